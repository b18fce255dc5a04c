import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { Auroc } from "../src/index.js"

const runs = process.env["CI"] ? 300 : 100

describe("Auroc.of", () => {
  test.prop([fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 30 })], { numRuns: runs })(
    "equals the share of (positive, negative) pairs the positive wins, ties counted half",
    (positives, negatives) => {
      let wins = 0
      for (const positive of positives) for (const negative of negatives) wins += positive > negative ? 1 : positive === negative ? 0.5 : 0
      expect(Auroc.of(positives, negatives)).toBeCloseTo(wins / (positives.length * negatives.length), 12)
    }
  )

  it("is 1 for a perfect separation and 0.5 for none", () => {
    expect(Auroc.of([3, 4], [1, 2])).toBe(1)
    expect(Auroc.of([1, 1], [1, 1])).toBe(0.5)
  })
})
