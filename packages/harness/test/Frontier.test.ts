import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { CostAxes, Frontier } from "../src/index.js"
import { record } from "./fixtures/records.js"

const point = (cost: number, accuracy: number) => ({ cost, accuracy: { estimate: accuracy, lower: accuracy, upper: accuracy } })

const pointsArbitrary = fc.array(
  fc.record({ cost: fc.integer({ min: 1, max: 50 }), accuracy: fc.integer({ min: 0, max: 20 }).map((value) => value / 20) }),
  { maxLength: 40 }
)

describe("Frontier.pareto", () => {
  property.prop([pointsArbitrary])("no frontier point is dominated, and every other point is dominated by a frontier point", (raw) => {
    const candidates = raw.map(({ cost, accuracy }) => point(cost, accuracy))
    const frontier = Frontier.pareto(candidates)
    for (const member of frontier) for (const other of candidates) expect(Frontier.dominates(other, member)).toBe(false)
    for (const other of candidates)
      if (!frontier.includes(other))
        expect(frontier.some((member) => Frontier.dominates(member, other) || (member.cost === other.cost && member.accuracy.estimate === other.accuracy.estimate))).toBe(true)
    // Cheapest first, each more accurate than the one before.
    for (let index = 1; index < frontier.length; index++) {
      expect(frontier[index]!.cost).toBeGreaterThan(frontier[index - 1]!.cost)
      expect(frontier[index]!.accuracy.estimate).toBeGreaterThan(frontier[index - 1]!.accuracy.estimate)
    }
  })

  it("keeps the staircase of a hand-made example", () => {
    const candidates = [point(10, 0.3), point(20, 0.25), point(20, 0.5), point(40, 0.5), point(80, 0.6), point(5, 0.1)]
    expect(Frontier.pareto(candidates).map((each) => [each.cost, each.accuracy.estimate])).toEqual([
      [5, 0.1],
      [10, 0.3],
      [20, 0.5],
      [80, 0.6]
    ])
  })
})

describe("Frontier.holm", () => {
  it("matches Holm's step-down adjustment computed by hand", () => {
    // Sorted: 0.01 (×3 = 0.03), 0.03 (×2 = 0.06), 0.04 (×1 = 0.04 → monotone 0.06).
    expect(Frontier.holm([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06])
    expect(Frontier.holm([0.5, 0.9])).toEqual([1, 1])
    expect(Frontier.holm([])).toEqual([])
  })

  property.prop([fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 })])(
    "never lowers a p-value, stays in [0, 1] and keeps the order of the raw p-values",
    (pValues) => {
      const adjusted = Frontier.holm(pValues)
      pValues.forEach((p, index) => {
        expect(adjusted[index]).toBeGreaterThanOrEqual(p)
        expect(adjusted[index]).toBeLessThanOrEqual(1)
        pValues.forEach((q, other) => {
          if (p < q) expect(adjusted[index]).toBeLessThanOrEqual(adjusted[other]!)
        })
      })
    }
  )
})

describe("Frontier.levels", () => {
  it("spaces levels geometrically between the cheapest and dearest points, rounded up to two significant figures", () => {
    expect(Frontier.levels([{ cost: 100 }, { cost: 10_000 }], 3)).toEqual([100, 1_000, 10_000])
    expect(Frontier.levels([{ cost: 123 }, { cost: 987 }], 2)).toEqual([130, 990])
    expect(Frontier.levels([], 4)).toEqual([])
  })
})

describe("Frontier.matched", () => {
  // Two strategies on 40 problems: "cheap" spends 100 tokens and is right on half; "dear" spends 300 or 1000.
  const records = [
    ...Array.from({ length: 40 }, (_, index) =>
      record({ problemId: `p${index}`, key: `c${index}`, strategy: "cheap", configuration: "n=1", outputTokens: 100, correct: index % 2 === 0 })
    ),
    ...Array.from({ length: 40 }, (_, index) =>
      record({ problemId: `p${index}`, key: `d${index}`, strategy: "dear", configuration: "n=4", outputTokens: 300, correct: index % 4 !== 3 })
    ),
    ...Array.from({ length: 40 }, (_, index) =>
      record({ problemId: `p${index}`, key: `e${index}`, strategy: "dear", configuration: "n=16", outputTokens: 1000, correct: index % 10 !== 9 })
    )
  ]
  const axis = CostAxes.byName("output-tokens")!

  it("compares, at each level, each strategy's most accurate point within it, paired on the same problems", async () => {
    const levels = await Effect.runPromise(Frontier.matched(records, axis, { seed: 1, resamples: 200, levels: 3 }))
    expect(levels.map((level) => level.level)).toEqual([100, 320, 1_000])
    // At 100 tokens only "cheap" fits; at 320 "dear" with n=4 (0.75) beats it; at 1,000 "dear" with n=16 (0.9).
    expect(levels[0]!.entries.map((entry) => entry.strategy)).toEqual(["cheap"])
    expect(levels[1]!.entries.map((entry) => [entry.strategy, entry.point.configuration])).toEqual([
      ["dear", "n=4"],
      ["cheap", "n=1"]
    ])
    expect(levels[2]!.entries[0]!.point.configuration).toBe("n=16")
    const versus = levels[2]!.entries[1]!
    expect(versus.comparison?.pairs).toBe(40)
    expect(versus.comparison?.difference.estimate).toBeCloseTo(0.5 - 0.9)
    expect(versus.holmP).toBe(versus.comparison?.mcnemar.exactP)
  })

  it("leaves out a configuration that ran fewer of the problem runs (an interrupted cell), however accurate, and names it", async () => {
    // "lucky" ran only the first 8 problems, all right: 1.0 on them would outrank everything.
    const lucky = Array.from({ length: 8 }, (_, index) =>
      record({ problemId: `p${index}`, key: `l${index}`, strategy: "lucky", configuration: "n=2", outputTokens: 200, correct: true })
    )
    const levels = await Effect.runPromise(Frontier.matched([...records, ...lucky], axis, { seed: 1, resamples: 200, levels: 3 }))
    expect(levels.flatMap((level) => level.entries.map((entry) => entry.strategy))).not.toContain("lucky")
    expect(levels.map((level) => level.level)).toEqual([100, 320, 1_000])
    expect(Frontier.incomplete([...records, ...lucky], axis).map(({ point, runs, of }) => [point.strategy, runs, of])).toEqual([["lucky", 8, 40]])
    expect(Frontier.incomplete(records, axis)).toEqual([])
  })
})
