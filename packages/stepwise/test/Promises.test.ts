import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { AStar, bench, Presets, ProcessRewardModel, Server, solve, toPromise, World } from "stepwise-decoding"

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

  it("rejects what is not a problem, a strategy or an options object with a typed error naming the field, never a TypeError", async () => {
    const cases: ReadonlyArray<readonly [unknown, string, RegExp]> = [
      [undefined, "(options)", /must be of type object/],
      [{ problem: "2 + 2?", strategy: {} }, "strategy", /must be a strategy kind's name, \{ kind, options \} or a strategy value/],
      [{ problem: "2 + 2?", strategy: 5 }, "strategy", /got 5/],
      [{ problem: "2 + 2?", strategy: null }, "strategy", /got null/],
      [{ problem: "2 + 2?" }, "strategy", /strategy/],
      [{ problem: "2 + 2?", strategy: { kind: 5 } }, "strategy", /strategy kind's name/],
      [{ problem: 42, strategy: "a-star" }, "problem", /must be the question's text or a Problem/],
      [{ problem: { foo: 1 }, strategy: "a-star" }, "problem", /Problem\.make/],
      [{ problem: "2 + 2?", strategy: "a-star", onEvent: "log" }, "onEvent", /must be a function/],
      [{ problem: "2 + 2?", strategy: "a-star", budget: 100 }, "budget", /object of limits/]
    ]
    for (const [input, field, message] of cases) {
      const rejected = await (solve as (options: unknown) => Promise<unknown>)(input).then(
        () => undefined,
        (error: unknown) => error
      )
      expect(rejected, JSON.stringify(input)).toMatchObject({ _tag: "InvalidOptions", subject: "solve", field })
      expect((rejected as Error).message).toMatch(message)
    }
  })

  it("rejects a misspelt key of its own options (a budget spelt budgte would have run unlimited)", async () => {
    // @ts-expect-error: "budgte" is not an option of solve.
    const misspelt = solve({ problem: "2 + 2?", strategy: "a-star", budgte: { totalTokens: 2000 } })
    await expect(misspelt).rejects.toMatchObject({ _tag: "InvalidOptions", subject: "solve", field: "budgte" })
    await expect(misspelt).rejects.toThrow(/did you mean "budget"/)
    // Inside a union (a kind's name, { kind, options } or a strategy value), the object member's keys.
    // @ts-expect-error: "option" is not a key of a strategy spec.
    const inner = solve({ problem: "2 + 2?", strategy: { kind: "a-star", option: {} } })
    await expect(inner).rejects.toMatchObject({ _tag: "InvalidOptions", field: "strategy.option", allowed: ["kind", "options"] })
    await expect(inner).rejects.toThrow(/did you mean "options"/)
  })

  it("ends at its deadline with what it has, even when a verifier never answers", async () => {
    const never = ProcessRewardModel.make({ info: { name: "never" }, score: () => Effect.never })
    const exhausted: Array<string> = []
    const result = await solve({
      problem: "A farmer has 17 sheep and buys 5 more. How many sheep?",
      strategy: "best-of-n",
      verifier: never,
      deadlineMillis: 1_000,
      onEvent: (event) => void (event._tag === "budget-exhaust" && exhausted.push(`${event.resource} ${event.budget}`))
    })
    expect(result.budgetExhausted).toBe(true)
    expect(exhausted).toEqual(["deadline solve"])
    // The rollouts finished before the deadline: best-of-n answers from them unscored, as when a budget ends.
    expect(result.candidates.length).toBeGreaterThan(0)
    expect(result.candidates.every((candidate) => candidate.score === undefined)).toBe(true)
    // @ts-expect-error: the deadline is a number of milliseconds.
    await expect(solve({ problem: "2 + 2?", strategy: "a-star", deadlineMillis: "soon" })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "deadlineMillis" })
    await expect(solve({ problem: "2 + 2?", strategy: "a-star", deadlineMillis: 0 })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "deadlineMillis" })
  })

  it("stops when its signal aborts, rejecting with the signal's reason, and releases the verifier call in flight", async () => {
    let started = 0
    let interrupted = 0
    const hanging = ProcessRewardModel.make({
      info: { name: "hanging" },
      score: () => Effect.onInterrupt(Effect.suspend(() => (started++, Effect.never)), () => Effect.sync(() => void interrupted++))
    })
    const controller = new AbortController()
    const pending = solve({ problem: "A farmer has 17 sheep and buys 5 more. How many sheep?", strategy: "best-of-n", verifier: hanging, signal: controller.signal })
    const stop = setInterval(() => {
      if (started > 0) controller.abort()
    }, 5)
    try {
      await expect(pending).rejects.toMatchObject({ name: "AbortError" })
    } finally {
      clearInterval(stop)
    }
    expect(interrupted).toBe(started)
    // Aborted before the call: rejects at once with the reason given.
    const reason = new Error("not wanted")
    await expect(solve({ problem: "2 + 2?", strategy: "a-star", signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    await expect(bench({ recipe: "nothing.json", results: "nothing.jsonl", signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    // @ts-expect-error: a signal is an AbortSignal.
    await expect(solve({ problem: "2 + 2?", strategy: "a-star", signal: "stop" })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "signal" })
  })

  it("rejects a model of one's own without a verifier", async () => {
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", model: world.languageModel })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "verifier"
    })
  })
})

describe("solve with backends and verifiers by kind", () => {
  it("names the verifier by kind over the default simulator backend, and prices cost by a cost model kind", async () => {
    if (problem === undefined) throw new Error("no problem generated")
    const result = await solve({
      problem,
      strategy: { kind: "best-of-n", options: { n: 2 } },
      verifier: "exact-arithmetic",
      costModel: { kind: "weighted", options: { output: 2 } },
      budget: { totalTokens: 4000 }
    })
    expect(result.spend.verifierCalls).toBeGreaterThan(0)
    expect(result.spend.cost).toBeGreaterThan(result.spend.totalTokens)
  })

  it("runs on a served backend named by kind (vLLM-shaped loopback server) with its pooling PRM", async () => {
    if (problem === undefined) throw new Error("no problem generated")
    const server = await Server.listen(world, { port: 0 })
    try {
      const result = await solve({
        problem,
        strategy: { kind: "best-of-n", options: { n: 2 } },
        backend: { kind: "vllm", options: { url: server.url, model: World.modelName } },
        verifier: "pooling-prm",
        budget: { totalTokens: 4000 }
      })
      expect(result.spend.verifierCalls).toBeGreaterThan(0)
      expect(result.spend.totalTokens).toBeGreaterThan(0)
    } finally {
      await server.close()
    }
  })

  it("rejects misspelt backend, verifier and cost-model options with InvalidOptions naming the field", async () => {
    // @ts-expect-error: "preset" is spelt wrong.
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", backend: { kind: "simulator", options: { prest: "easy" } } })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "prest",
      allowed: ["preset", "seed", "prefixCache"]
    })
    // @ts-expect-error: chains is a number.
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", verifier: { kind: "think-prm", options: { chains: "two" } } })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "chains"
    })
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", costModel: { kind: "weighted", options: { input: -1 } } })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "input"
    })
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", budget: { totalTokens: -5 } })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "totalTokens" })
  })

  it("rejects a hand-built model with Unmetered before anything runs", async () => {
    let calls = 0
    const handBuilt = {
      info: { name: "hand-built" },
      countInputTokens: () => 0,
      generate: () => {
        calls++
        return world.languageModel.generate({ messages: [], n: 1, maxTokens: 1 })
      }
    }
    // @ts-expect-error: a model must come from LanguageModel.make.
    await expect(solve({ problem: "2 + 2?", strategy: "best-of-n", model: handBuilt, verifier: "exact-arithmetic", budget: { totalTokens: 100 } })).rejects.toMatchObject({
      _tag: "Unmetered",
      name: "hand-built"
    })
    expect(calls).toBe(0)
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
        backend: { kind: "simulator", options: { preset: "calibrated", seed: 0 } }
      }
    })
    expect(outcome.records).toHaveLength(6)
    expect(report.rows.map((row) => row.strategy).sort()).toEqual(["a-star", "best-of-n"])
    expect(report.html).toContain("<svg")
  })

  it("rejects a misspelt key or a missing results file name with a typed error naming it", async () => {
    // @ts-expect-error: "result" is not an option of bench.
    const misspelt = bench({ recipe: "recipe.json", result: "out.jsonl" })
    await expect(misspelt).rejects.toMatchObject({ _tag: "InvalidOptions", subject: "bench", field: "result" })
    await expect(misspelt).rejects.toThrow(/did you mean "results"/)
    await expect((bench as (options: unknown) => Promise<unknown>)({ recipe: 5, results: "out.jsonl" })).rejects.toMatchObject({
      _tag: "InvalidOptions",
      field: "recipe"
    })
  })
})
