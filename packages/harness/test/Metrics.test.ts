import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Metrics } from "../src/index.js"
import { record } from "./fixtures/records.js"

describe("Metrics", () => {
  const records = [
    record({ problemId: "a", correct: true, inputTokens: 100, outputTokens: 50, verifierCalls: 4, verifierTokens: 10, wallMillis: 5 }),
    record({ problemId: "b", correct: false, inputTokens: 200, outputTokens: 150, verifierCalls: 2, verifierTokens: 30, wallMillis: 7 }),
    record({ problemId: "c", correct: true, inputTokens: 300, outputTokens: 100, verifierCalls: 0, verifierTokens: 20, wallMillis: 9, budgetExhausted: true }),
    record({ problemId: "d", correct: false, inputTokens: 400, outputTokens: 300, verifierCalls: 6, verifierTokens: 40, wallMillis: 11, error: "boom" })
  ]

  it("summarizes a group as by hand", () => {
    const summary = Metrics.summarize(records)
    expect(summary.problems).toBe(4)
    expect(summary.correct).toBe(2)
    expect(summary.accuracy.estimate).toBe(0.5)
    expect(summary.accuracy.lower).toBeCloseTo(0.15004, 4)
    expect(summary.accuracy.upper).toBeCloseTo(0.84996, 4)
    expect(summary.inputTokens).toEqual({ mean: 250, median: 250 })
    expect(summary.outputTokens).toEqual({ mean: 150, median: 125 })
    expect(summary.policyTokens).toEqual({ mean: 400, median: 375 })
    expect(summary.verifierCalls).toEqual({ mean: 3, median: 3 })
    expect(summary.verifierTokens).toEqual({ mean: 25, median: 25 })
    expect(summary.allTokens.mean).toBe(425)
    expect(summary.e3).toBeCloseTo(0.25 / 425, 12)
    expect(summary.eflops).toBeUndefined()
    expect(summary.wallMillis).toEqual({ mean: 8, median: 8, total: 32 })
    expect(summary.budgetExhausted).toBe(1)
    expect(summary.errors).toBe(1)
  })

  it("averages eFLOPs only when every record has them", () => {
    expect(Metrics.summarize([record({ problemId: "a", eflops: 10 }), record({ problemId: "b", eflops: 30 })]).eflops).toBe(20)
    expect(Metrics.summarize([record({ problemId: "a", eflops: 10 }), record({ problemId: "b" })]).eflops).toBeUndefined()
  })

  it("computes E³ and estimates Kinetics eFLOPs as by hand", () => {
    expect(Metrics.e3(0.5, 1000)).toBe(0.00025)
    expect(Metrics.e3(0.5, 0)).toBeNaN()
    const shape = { parameters: 1e9, queryHeads: 16, kvHeads: 8, headDim: 64, layers: 16 }
    // compute = 2·1e9·50 + 2·(200 + 50)·50·16·1024; memory = 2·(200 + 50)·50·8·1024·562.5
    expect(Metrics.estimateEflops(shape, record({ problemId: "a", inputTokens: 100, outputTokens: 50 }))).toBe(
      100_409_600_000 + 115_200_000_000
    )
  })

  it("groups by dataset × strategy × budget in first-seen order", () => {
    const groups = Metrics.groupByCell([
      record({ problemId: "a", budget: "large" }),
      record({ problemId: "a", budget: "small" }),
      record({ problemId: "b", budget: "large", seed: 2 })
    ])
    expect(groups.map((group) => [group.budget, group.records.length])).toEqual([
      ["large", 2],
      ["small", 1]
    ])
  })

  it("compares two strategies on the same problems", async () => {
    const pattern = (strategy: string, correct: ReadonlyArray<boolean>) =>
      correct.map((value, index) => record({ problemId: `p${index}`, strategy, correct: value }))
    const first = pattern("beam", [true, true, false, false, true, true])
    const second = [...pattern("best-of-n", [true, false, true, false, false]), record({ problemId: "other", strategy: "best-of-n" })]
    const comparison = await Effect.runPromise(Metrics.compare(first, second, { seed: 7, resamples: 400 }))
    expect(comparison).toMatchObject({ pairs: 5, bothCorrect: 1, onlyFirst: 2, onlySecond: 1, neither: 1 })
    expect(comparison.firstAccuracy).toBeCloseTo(0.6, 12)
    expect(comparison.secondAccuracy).toBeCloseTo(0.4, 12)
    expect(comparison.difference.estimate).toBeCloseTo(0.2, 12)
    expect(comparison.mcnemar.exactP).toBe(1) // 2 vs 1 discordant: 2·(1 + 3)/8 > 1
    expect(comparison.difference.lower).toBeLessThanOrEqual(0.2)
    expect(comparison.difference.upper).toBeGreaterThanOrEqual(0.2)
  })

  it("counts a problem's seeds as one cluster: 8 problems under 40 seeds are about as sure as 8 runs, and compared by a sign-flip test", async () => {
    const seeds = Array.from({ length: 40 }, (_, seed) => seed)
    // Each problem is always right or always wrong, whatever the seed: 3 of 8.
    const cell = (strategy: string, right: (problem: number) => boolean) =>
      Array.from({ length: 8 }, (_, problem) => seeds.map((seed) => record({ problemId: `p${problem}`, key: `${strategy}${problem}-${seed}`, strategy, seed, correct: right(problem) }))).flat()
    const first = cell("first", (problem) => problem < 3)
    const summary = Metrics.summarize(first)
    expect(summary.problems).toBe(320)
    expect(summary.accuracy.estimate).toBeCloseTo(3 / 8)
    expect(summary.accuracy.upper - summary.accuracy.lower).toBeGreaterThan(0.5)
    const second = cell("second", (problem) => problem < 5)
    const comparison = await Effect.runPromise(Metrics.compare(first, second, { seed: 1, resamples: 200 }))
    expect(comparison).toMatchObject({ pairs: 320, problems: 8, test: "sign-flip" })
    // Two discordant problems out of 8: p = 0.5 (as McNemar on 2 problems), where 80 pooled pairs would give < 1e-20.
    expect(comparison.p).toBeCloseTo(0.5, 12)
    expect(comparison.mcnemar.exactP).toBeLessThan(1e-20)
  })
})
