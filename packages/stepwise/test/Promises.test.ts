import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { AStar, bench, Presets, solve, toPromise, World } from "stepwise-decoding"

const world = World.make(Presets.calibrated)
const [problem] = World.problems(world, { count: 1, seed: 5, difficulty: 2 })

describe("solve", () => {
  it("solves a simulator problem with a named strategy under a budget", async () => {
    if (problem === undefined) throw new Error("no problem generated")
    const events: Array<string> = []
    const result = await solve({
      problem,
      strategy: { kind: "a-star", options: { expansions: 4, seed: 1 } },
      budget: { totalTokens: 6000 },
      onEvent: (event) => events.push(event._tag)
    })
    expect(result.strategy).toBe("a-star-4")
    expect(result.spend.totalTokens).toBeGreaterThan(0)
    expect(result.spend.totalTokens).toBeLessThanOrEqual(6000)
    expect(events[0]).toBe("search-start")
    expect(events.at(-1)).toBe("search-end")
  })

  it("takes a strategy value built with a make", async () => {
    if (problem === undefined) throw new Error("no problem generated")
    const strategy = await toPromise(AStar.make({ expansions: 2 }))
    const result = await solve({ problem, strategy, budget: { totalTokens: 3000 } })
    expect(result.strategy).toBe(strategy.name)
  })

  it("rejects an unknown strategy with a typed error naming it", async () => {
    // @ts-expect-error: the strategy kind is typed by the registry; the run-time check is what is tested here.
    await expect(solve({ problem: "2 + 2?", strategy: "depth-first" })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "kind",
      allowed: expect.arrayContaining(["a-star", "best-of-n"])
    })
  })

  it("rejects a misspelt option, a wrong type and an out-of-range value, naming the field and the allowed keys", async () => {
    // @ts-expect-error: "expansion" is not an option of a-star.
    const misspelt = solve({ problem: "2 + 2?", strategy: { kind: "a-star", options: { expansion: 99 } } })
    await expect(misspelt).rejects.toMatchObject({ _tag: "InvalidOptions", subject: "a-star", field: "expansion", allowed: expect.arrayContaining(["expansions"]) })
    await expect(misspelt).rejects.toThrow(/did you mean "expansions"/)
    // @ts-expect-error: n is a number.
    const wrongType = solve({ problem: "2 + 2?", strategy: { kind: "best-of-n", options: { n: "four" } } })
    await expect(wrongType).rejects.toMatchObject({ _tag: "InvalidOptions", field: "n", allowed: expect.arrayContaining(["n", "selection"]) })
    const outOfRange = solve({ problem: "2 + 2?", strategy: { kind: "beam-search", options: { beams: 0 } } })
    await expect(outOfRange).rejects.toMatchObject({ _tag: "InvalidOptions", field: "beams" })
  })

  it("rejects a model of one's own without a verifier", async () => {
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", model: world.languageModel })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "verifier"
    })
  })
})

describe("bench", () => {
  it("runs a recipe and renders its report", async () => {
    const folder = await mkdtemp(join(tmpdir(), "stepwise-bench-"))
    const { outcome, report } = await bench({
      results: join(folder, "results.jsonl"),
      recipe: {
        name: "tiny",
        datasets: [{ kind: "simulator", count: 3, seed: 2 }],
        strategies: [{ kind: "best-of-n", options: { n: 4 } }, { kind: "a-star" }],
        budgets: [{ label: "3k", limits: { totalTokens: 3000 } }],
        backend: { kind: "simulator", preset: "calibrated", seed: 0 }
      }
    })
    expect(outcome.records).toHaveLength(6)
    expect(report.rows.map((row) => row.strategy).sort()).toEqual(["a-star", "best-of-n"])
    expect(report.html).toContain("<svg")
  })
})
