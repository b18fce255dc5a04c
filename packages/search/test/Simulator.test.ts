import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { Presets, World } from "@stepwise/simulator"
import { contenders, evaluate, greedy } from "../bench/strategies.js"

// Medium world, 60 seeded problems, 6400 output tokens per problem for every search strategy (about 32 samples).
const budget = 6400
const seed = 7

describe("against the simulator (medium world)", () => {
  it("every search strategy beats a single greedy sample at an equal output-token budget", async () => {
    const world = World.make(Presets.medium, { seed })
    const problems = World.problems(world, { count: 60, seed: 1 })
    const { baseline, rows } = await Effect.runPromise(
      Effect.gen(function* () {
        const baseline = yield* evaluate(world, problems, yield* greedy(seed), {}, undefined)
        const rows = []
        for (const strategy of yield* contenders(budget, seed))
          rows.push(yield* evaluate(world, problems, strategy, { outputTokens: budget }, budget))
        return { baseline, rows }
      })
    )
    expect(baseline.outputTokens).toBeLessThan(budget)
    expect(rows.map((row) => row.strategy)).toHaveLength(7)
    for (const row of rows) {
      expect(row.outputTokens, row.strategy).toBeLessThanOrEqual(budget)
      expect(row.accuracy, `${row.strategy}: ${row.accuracy} vs greedy ${baseline.accuracy}`).toBeGreaterThan(baseline.accuracy)
    }
  })
})
