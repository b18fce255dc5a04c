import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { SearchEvent } from "@stepwise/core"
import { SearchEvent as SearchEvents } from "@stepwise/core"
import { ComputeOptimal } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"
import type { ResultRecord } from "../src/index.js"
import { ComputeOptimalPolicy } from "../src/index.js"
import { record } from "./fixtures/records.js"

interface Configuration {
  readonly strategy: string
  readonly kind: string
  readonly configuration: string
  readonly options: Readonly<Record<string, unknown>>
  readonly cost: number
  /** Correct problems out of 20, per level. */
  readonly correct: Readonly<Record<number, number>>
}

// 20 problems per level; each configuration gets `correct[level]` of them right and spends `cost` output tokens.
const recordsOf = (configurations: ReadonlyArray<Configuration>, levels: ReadonlyArray<number>): ReadonlyArray<ResultRecord.ResultRecord> =>
  configurations.flatMap((each) =>
    levels.flatMap((level) =>
      Array.from({ length: 20 }, (_, index) => {
        const problemId = `p${level}-${index}`
        return record({
          key: JSON.stringify([each.strategy, each.configuration, problemId]),
          problemId,
          strategy: each.strategy,
          strategyName: each.kind,
          configuration: each.configuration,
          options: { ...each.options, seed: 3 },
          difficulty: level,
          correct: index < (each.correct[level] ?? 0),
          outputTokens: each.cost
        })
      })
    )
  )

const configurations: ReadonlyArray<Configuration> = [
  { strategy: "best-of-n", kind: "best-of-n", configuration: "n=1", options: { n: 1 }, cost: 100, correct: { 1: 16, 3: 4 } },
  { strategy: "best-of-n", kind: "best-of-n", configuration: "n=4", options: { n: 4 }, cost: 400, correct: { 1: 18, 3: 6 } },
  { strategy: "best-of-n", kind: "best-of-n", configuration: "n=16", options: { n: 16 }, cost: 1600, correct: { 1: 19, 3: 10 } },
  { strategy: "a-star", kind: "a-star", configuration: "expansions=2", options: { expansions: 2 }, cost: 300, correct: { 1: 19, 3: 5 } },
  { strategy: "a-star", kind: "a-star", configuration: "expansions=4", options: { expansions: 4 }, cost: 900, correct: { 1: 19, 3: 12 } },
  // Never learned from: compute-optimal's own records.
  { strategy: "compute-optimal", kind: "compute-optimal", configuration: "budget=1", options: {}, cost: 1, correct: { 1: 20, 3: 20 } }
]

describe("ComputeOptimalPolicy.learn", () => {
  it("picks, per difficulty level and budget, the most accurate configuration within the budget", async () => {
    const policy = await Effect.runPromise(
      ComputeOptimalPolicy.learn(recordsOf(configurations, [1, 3]), { axis: "output-tokens", budgets: [1000, 50, 350, 2000] })
    )
    expect(policy.axis).toBe("output-tokens")
    const table = policy.table.map((row) => ({ budget: row.budget, bins: row.bins.map((bin) => [bin.level, bin.upTo, bin.choice.kind, bin.choice.options]) }))
    // Levels placed at 1 − the cheapest configuration's accuracy: level 1 at 0.2, level 3 at 0.8; the edge between is 0.5.
    expect(table).toEqual([
      // Nothing within 50: the cheapest.
      { budget: 50, bins: [[1, 0.5, "best-of-n", { n: 1 }], [3, 1, "best-of-n", { n: 1 }]] },
      // Level 1: A* k=2 (0.95 at 300); level 3: A* k=2 (0.25) beats n=1 (0.2).
      { budget: 350, bins: [[1, 0.5, "a-star", { expansions: 2 }], [3, 1, "a-star", { expansions: 2 }]] },
      // Level 1: A* k=2 ties k=4 and n=16 at 0.95 and is the cheapest; level 3: A* k=4 (0.6).
      { budget: 1000, bins: [[1, 0.5, "a-star", { expansions: 2 }], [3, 1, "a-star", { expansions: 4 }]] },
      // Level 3: A* k=4 (0.6) still beats best-of-16 (0.5).
      { budget: 2000, bins: [[1, 0.5, "a-star", { expansions: 2 }], [3, 1, "a-star", { expansions: 4 }]] }
    ])
    const hard = policy.table[2]?.bins[1]
    expect(hard?.accuracy).toBeCloseTo(0.6, 12)
    expect(hard?.cost).toBe(900)
  })

  it("places the levels by a named reference configuration", async () => {
    const policy = await Effect.runPromise(
      ComputeOptimalPolicy.learn(recordsOf(configurations, [1, 3]), { axis: "output-tokens", budgets: [1000], reference: { strategy: "best-of-n", configuration: "n=4" } })
    )
    // n=4: level 1 at 1 − 0.9 = 0.1, level 3 at 1 − 0.3 = 0.7; the edge is 0.4.
    const edges = policy.table[0]?.bins.map((bin) => bin.upTo) ?? []
    expect(edges[0]).toBeCloseTo(0.4, 12)
    expect(edges[1]).toBe(1)
  })

  it("fails with a typed error on an unknown axis, a missing reference, several data sets or no records", async () => {
    const records = recordsOf(configurations, [1])
    const failures = await Effect.runPromise(
      Effect.all([
        Effect.flip(ComputeOptimalPolicy.learn(records, { axis: "tokens-ish", budgets: [1] })),
        Effect.flip(ComputeOptimalPolicy.learn(records, { axis: "output-tokens", budgets: [1], reference: { strategy: "beam" } })),
        Effect.flip(ComputeOptimalPolicy.learn([...records, { ...records[0]!, key: "other", dataset: "other" }], { axis: "output-tokens", budgets: [1] })),
        Effect.flip(ComputeOptimalPolicy.learn([], { axis: "output-tokens", budgets: [1] })),
        Effect.flip(ComputeOptimalPolicy.learn(records, { axis: "output-tokens", budgets: [] }))
      ])
    )
    expect(failures.map((failure) => failure._tag)).toEqual(Array.from({ length: 5 }, () => "PolicyLearnError"))
    expect(failures[0]?.message).toContain("tokens-ish")
    expect(failures[1]?.message).toContain("beam")
    expect(failures[2]?.message).toContain("several data sets")
  })

  const configurationsArbitrary = fc.array(
    fc.record({
      cost: fc.integer({ min: 1, max: 2000 }),
      easy: fc.integer({ min: 0, max: 20 }),
      hard: fc.integer({ min: 0, max: 20 })
    }),
    { minLength: 1, maxLength: 8 }
  )

  property.prop([configurationsArbitrary, fc.integer({ min: 1, max: 2500 })], { numRuns: 60 })(
    "for all synthetic benchmarks: the choice at each level is the most accurate within the budget, or the cheapest when none fits",
    async (raw, budget) => {
      const generated = raw.map((each, index) => ({
        strategy: "best-of-n",
        kind: "best-of-n",
        configuration: `n=${index + 1}`,
        options: { n: index + 1 },
        cost: each.cost,
        correct: { 1: each.easy, 2: each.hard }
      }))
      const policy = await Effect.runPromise(ComputeOptimalPolicy.learn(recordsOf(generated, [1, 2]), { axis: "output-tokens", budgets: [budget] }))
      const bins = policy.table[0]?.bins ?? []
      expect(bins).toHaveLength(2)
      for (const bin of bins) {
        const level = bin.level as 1 | 2
        const accuracyOf = (each: Configuration) => (each.correct[level] ?? 0) / 20
        const within = generated.filter((each) => each.cost <= budget)
        const chosen = generated.find((each) => each.options.n === bin.choice.options["n"])!
        if (within.length > 0) {
          expect(chosen.cost).toBeLessThanOrEqual(budget)
          expect(accuracyOf(chosen)).toBe(Math.max(...within.map(accuracyOf)))
          // Among the equally accurate, the cheapest.
          for (const other of within) if (accuracyOf(other) === accuracyOf(chosen)) expect(chosen.cost).toBeLessThanOrEqual(other.cost)
        } else expect(chosen.cost).toBe(Math.min(...generated.map((each) => each.cost)))
      }
      // Bin edges ascend and end at 1.
      expect(bins[0]!.upTo).toBeLessThanOrEqual(bins[1]!.upTo)
      expect(bins[1]!.upTo).toBe(1)
    }
  )
})

describe("a learned policy, applied by ComputeOptimal on the simulator", () => {
  it("runs the learned choice of each problem's estimated difficulty through the registry", async () => {
    // Easy problems (estimated difficulty ≤ 0.5) get one sample, hard ones a best-of-8.
    const records = recordsOf(
      [
        { strategy: "best-of-n", kind: "best-of-n", configuration: "n=1", options: { n: 1, maxTokens: 512 }, cost: 100, correct: { 1: 16, 5: 4 } },
        { strategy: "best-of-n", kind: "best-of-n", configuration: "n=8", options: { n: 8, maxTokens: 512 }, cost: 800, correct: { 1: 16, 5: 9 } }
      ],
      [1, 5]
    )
    const policy = await Effect.runPromise(ComputeOptimalPolicy.learn(records, { axis: "output-tokens", budgets: [1000] }))
    expect(policy.table[0]?.bins.map((bin) => bin.choice.options["n"])).toEqual([1, 8])
    const world = World.make(Presets.calibrated, { seed: 2 })
    const problems = World.problems(world, { count: 12, seed: 4 })
    const events: Array<SearchEvent.SearchEvent> = []
    const results = await Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* ComputeOptimal.make({ policy, budget: 1000, probeSamples: 4, maxTokens: 512, seed: 1 })
        const out = []
        for (const problem of problems) {
          const accountant = yield* Accountant.make({ totalTokens: 100_000 })
          out.push(
            yield* strategy.run(problem).pipe(Effect.provide(World.layer(world)), Accountant.provide(accountant), SearchEvents.withListener((event) => events.push(event)), Effect.exit)
          )
        }
        return out
      })
    )
    const choices = events.flatMap((event) =>
      event._tag === "strategy-event" && event.name === "strategy-choose" ? [event.detail as { difficulty: number; bin: number; kind: string }] : []
    )
    expect(choices).toHaveLength(problems.length)
    for (const choice of choices) {
      expect(choice.kind).toBe("best-of-n")
      expect(choice.bin).toBe(choice.difficulty <= 0.5 ? 0 : 1)
    }
    for (const exit of results) {
      if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
      // The probe's 4 samples, then the chosen 1 or 8.
      const samples = exit.value.candidates.length
      expect([5, 12]).toContain(samples)
      expect(exit.value.spend.verifierCalls).toBe(samples)
      expect(exit.value.outcome._tag).toBe("Answered")
    }
    // Both bins were used on this set.
    expect(new Set(choices.map((choice) => choice.bin)).size).toBe(2)
  })
})
