import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Backends, Dataset, Recipe, Runner, Strategies } from "../src/index.js"

describe("default factories", () => {
  it("make every registered strategy from JSON options, and refuse unknown names and bad options", async () => {
    for (const name of Strategies.names) {
      const strategy = await Effect.runPromise(Strategies.factory(name, { seed: 1 }))
      expect(typeof strategy.run).toBe("function")
    }
    expect(Strategies.names).toEqual(
      expect.arrayContaining(["best-of-n", "self-consistency", "beam", "dvts", "particle-filtering", "particle-gibbs", "a-star"])
    )
    const unknown = await Effect.runPromise(Effect.flip(Strategies.factory("toString", {})))
    expect(unknown).toMatchObject({ _tag: "InvalidOptions", field: "name" })
    const bad = await Effect.runPromise(Effect.flip(Strategies.factory("beam", { beams: 6, width: 4 })))
    expect(bad).toMatchObject({ _tag: "InvalidOptions", field: "width" })
  })

  it("make a simulator backend, and say what to pass for endpoint and GGUF backends", async () => {
    const backend = await Effect.runPromise(Effect.scoped(Backends.factory({ kind: "simulator", preset: "easy", seed: 3 })))
    expect(backend.name).toBe("simulator/easy")
    const unknown = await Effect.runPromise(Effect.flip(Effect.scoped(Backends.factory({ kind: "simulator", preset: "nope", seed: 0 }))))
    expect(unknown.detail).toContain("calibrated")
    const endpoint = await Effect.runPromise(
      Effect.flip(Effect.scoped(Backends.factory({ kind: "endpoint", url: "http://127.0.0.1:1", model: "m" })))
    )
    expect(endpoint).toMatchObject({ _tag: "BackendError", kind: "endpoint" })
    expect(endpoint.detail).toContain("factoryOf")
  })

  it("generates simulator sets with difficulty, graded by the world", async () => {
    const dataset = await Effect.runPromise(Dataset.simulator({ count: 5, seed: 2, difficulty: 3 }))
    expect(dataset.problems).toHaveLength(5)
    const problem = dataset.problems[0]!
    expect(problem.metadata?.["difficulty"]).toBe(3)
    expect(dataset.isCorrect?.(problem, problem.reference!)).toBe(true)
    expect(dataset.isCorrect?.(problem, `${Number(problem.reference) + 1}`)).toBe(false)
    const again = await Effect.runPromise(Dataset.simulator({ count: 5, seed: 2, difficulty: 3 }))
    expect(again.problems.map((p) => p.id)).toEqual(dataset.problems.map((p) => p.id))
    const error = await Effect.runPromise(Effect.flip(Dataset.simulator({ count: 1, preset: "nope" })))
    expect(error).toMatchObject({ field: "preset" })
  })

  it("run a small recipe on the simulator with every strategy, within every budget", async () => {
    const recipe = await Effect.runPromise(
      Recipe.parse({
        datasets: [{ kind: "simulator", count: 3, seed: 1 }],
        strategies: [
          { name: "best-of-n", options: { n: 4 } },
          { name: "self-consistency", options: { n: 4 } },
          { name: "beam", options: { beams: 4, width: 2 } },
          { name: "dvts", options: { beams: 4, width: 2 } },
          { name: "particle-filtering", options: { particles: 4 } },
          { name: "particle-gibbs", options: { particles: 2, sweeps: 2 } },
          { name: "a-star", options: { expansions: 2 } }
        ],
        budgets: [{ label: "1k", limits: { outputTokens: 1000 } }],
        backend: { kind: "simulator" }
      })
    )
    const outcome = await Effect.runPromise(
      Runner.run(recipe, { results: join(mkdtempSync(join(tmpdir(), "stepwise-defaults-")), "results.jsonl"), progress: "none" })
    )
    expect(outcome.ran).toBe(21)
    for (const record of outcome.records) {
      expect(record.error).toBeNull()
      expect(record.outputTokens).toBeLessThanOrEqual(1000)
      expect(record.difficulty).not.toBeNull()
    }
    expect(outcome.records.some((record) => record.correct)).toBe(true)
    const verifierFree = outcome.records.filter((record) => record.strategy === "self-consistency")
    expect(verifierFree.every((record) => record.verifierCalls === 0)).toBe(true)
  })
})
