import { Effect } from "effect"
import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { Statistics } from "../src/index.js"

describe("Statistics", () => {
  it("computes Wilson intervals as by hand", () => {
    const eight = Statistics.wilson(8, 10)
    expect(eight.estimate).toBe(0.8)
    expect(eight.lower).toBeCloseTo(0.4902, 4)
    expect(eight.upper).toBeCloseTo(0.9433, 4)
    const none = Statistics.wilson(0, 10)
    expect(none.lower).toBe(0)
    expect(none.upper).toBeCloseTo(0.2775, 4)
    const half = Statistics.wilson(50, 100)
    expect(half.lower).toBeCloseTo(0.4038, 4)
    expect(half.upper).toBeCloseTo(0.5962, 4)
    expect(Statistics.wilson(0, 0)).toEqual({ estimate: Number.NaN, lower: 0, upper: 1 })
  })

  test.prop([fc.integer({ min: 1, max: 500 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)))])(
    "a Wilson interval holds its estimate and stays in [0, 1]",
    ([successes, n]) => {
      const interval = Statistics.wilson(successes, n)
      expect(interval.lower).toBeGreaterThanOrEqual(0)
      expect(interval.upper).toBeLessThanOrEqual(1)
      expect(interval.lower).toBeLessThanOrEqual(interval.estimate + 1e-12)
      expect(interval.upper).toBeGreaterThanOrEqual(interval.estimate - 1e-12)
    }
  )

  it("computes mean, median and quantiles", () => {
    expect(Statistics.mean([1, 2, 6])).toBe(3)
    expect(Statistics.median([3, 1, 2])).toBe(2)
    expect(Statistics.median([4, 1, 3, 2])).toBe(2.5)
    expect(Statistics.quantile([0, 10], 0.25)).toBe(2.5)
    expect(Statistics.mean([])).toBeNaN()
    expect(Statistics.median([])).toBeNaN()
  })

  it("computes erfc to 1e-7", () => {
    expect(Statistics.erfc(0)).toBeCloseTo(1, 7)
    expect(Statistics.erfc(1)).toBeCloseTo(0.157299207, 7)
    expect(Statistics.erfc(-1)).toBeCloseTo(1.842700793, 7)
  })

  it("computes McNemar's exact and χ² tests as by hand", () => {
    const lopsided = Statistics.mcnemar(1, 9)
    expect(lopsided.exactP).toBeCloseTo(22 / 1024, 10)
    expect(lopsided.chiSquare).toBeCloseTo(4.9, 10)
    expect(lopsided.chiSquareP).toBeCloseTo(0.02686, 4)
    expect(Statistics.mcnemar(5, 5).exactP).toBe(1)
    expect(Statistics.mcnemar(0, 0)).toMatchObject({ exactP: 1, chiSquareP: 1 })
    // 0 vs 6: p = 2 / 64.
    expect(Statistics.mcnemar(0, 6).exactP).toBeCloseTo(2 / 64, 12)
  })

  it("bootstraps a seeded interval of the mean difference", async () => {
    const differences = [1, 0, 0, 1, -1, 1, 0, 1, 0, 0]
    const first = await Effect.runPromise(Statistics.bootstrapMeanInterval(differences, { seed: 3, resamples: 500 }))
    const again = await Effect.runPromise(Statistics.bootstrapMeanInterval(differences, { seed: 3, resamples: 500 }))
    expect(first).toEqual(again)
    expect(first.estimate).toBeCloseTo(0.3, 12)
    expect(first.lower).toBeLessThan(0.3)
    expect(first.upper).toBeGreaterThan(0.3)
    expect(first.lower).toBeGreaterThanOrEqual(-1)
    const constant = await Effect.runPromise(Statistics.bootstrapMeanInterval([1, 1, 1], { seed: 1, resamples: 50 }))
    expect(constant).toEqual({ estimate: 1, lower: 1, upper: 1 })
  })
})

describe("Statistics with clusters (a problem run under several seeds)", () => {
  test.prop([fc.array(fc.boolean(), { minLength: 1, maxLength: 60 })])("for all single-run clusters, clusteredWilson is the Wilson interval", (runs) => {
    const clustered = Statistics.clusteredWilson(runs.map(Number), runs.length)
    const plain = Statistics.wilson(runs.filter(Boolean).length, runs.length)
    expect(clustered.estimate).toBeCloseTo(plain.estimate, 12)
    expect(clustered.lower).toBeCloseTo(plain.lower, 12)
    expect(clustered.upper).toBeCloseTo(plain.upper, 12)
  })

  test.prop([fc.array(fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }).map((seeds) => seeds), { minLength: 2, maxLength: 30 }), fc.integer({ min: 2, max: 40 })])(
    "for all problems and seed counts, the clustered interval lies between the Wilson intervals of the runs and of the problems",
    (problems, seeds) => {
      // Every problem's seeds agree (the extreme of dependence) or split evenly.
      const means = problems.map(([first, second]) => (first === second ? Number(first) : 0.5))
      const runs = problems.length * seeds
      const successes = means.reduce((total, value) => total + value, 0)
      const clustered = Statistics.clusteredWilson(means, runs)
      const asRuns = Statistics.wilson(successes * seeds, runs)
      const asProblems = Statistics.wilson(successes, problems.length)
      expect(clustered.upper - clustered.lower).toBeGreaterThanOrEqual(asRuns.upper - asRuns.lower - 1e-9)
      expect(clustered.upper - clustered.lower).toBeLessThanOrEqual(asProblems.upper - asProblems.lower + 1e-9)
    }
  )

  it("treats one problem under 40 seeds as one run: no spread between problems to measure", () => {
    const one = Statistics.clusteredWilson([0.5], 40)
    expect(one.estimate).toBe(0.5)
    expect(one.upper - one.lower).toBeGreaterThan(0.7)
  })

  it("treats 8 problems run under 40 seeds each, all seeds agreeing, as 8 runs, not 320", () => {
    const means = [1, 1, 1, 0, 0, 0, 0, 0]
    expect(Statistics.clusteredWilson(means, 320)).toMatchObject(Statistics.wilson(3, 8))
  })

  test.prop([fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })], { numRuns: 40 })(
    "for all 2×2 tables of single pairs, the sign-flip test is McNemar's exact test",
    async (onlyFirst, onlySecond, ties) => {
      const differences = [...Array(onlyFirst).fill(1), ...Array(onlySecond).fill(-1), ...Array(ties).fill(0)]
      const p = await Effect.runPromise(Statistics.signFlip(differences, { seed: 1, resamples: 40_000 }))
      const exact = Statistics.mcnemar(onlyFirst, onlySecond).exactP
      // Exact enumeration up to 16 discordant pairs; a seeded Monte Carlo estimate beyond.
      if (onlyFirst + onlySecond <= 16) expect(p).toBeCloseTo(exact, 12)
      else expect(Math.abs(p - exact)).toBeLessThan(0.02)
    }
  )

  it("gives a sign-flip p by hand: differences 1, 1, 0.5 have 2 of 8 flips as extreme", async () => {
    expect(await Effect.runPromise(Statistics.signFlip([1, 1, 0.5, 0], { seed: 0 }))).toBe(2 / 8)
  })
})
