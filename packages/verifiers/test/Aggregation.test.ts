import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Aggregation } from "@stepwise/verifiers"

const scores = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 })

describe("Aggregation", () => {
  it("computes each method on a known list", () => {
    const list = [0.9, 0.4, 0.8]
    expect(Aggregation.aggregate("last", list)).toBe(0.8)
    expect(Aggregation.aggregate("min", list)).toBe(0.4)
    expect(Aggregation.aggregate("prod", list)).toBeCloseTo(0.288, 12)
    expect(Aggregation.aggregate("mean", list)).toBeCloseTo(0.7, 12)
    expect(Aggregation.aggregate("geometricMean", list)).toBeCloseTo(0.288 ** (1 / 3), 12)
    expect(Aggregation.geometricMean([0.5, 0])).toBe(0)
  })

  it("has no aggregate for no scores", () => {
    for (const method of Aggregation.methods) expect(Aggregation.aggregate(method, [])).toBeUndefined()
  })

  property.prop([scores])("prod ≤ geometric mean ≤ mean, min ≤ every method ≤ max (except prod), all in [0, 1]", (list) => {
    const [prod, geometric, mean, min, last] = (["prod", "geometricMean", "mean", "min", "last"] as const).map((method) => Aggregation.aggregate(method, list)!)
    const max = Math.max(...list)
    const slack = 1e-12
    expect(prod).toBeLessThanOrEqual(geometric! + slack)
    expect(geometric).toBeLessThanOrEqual(mean! + slack)
    expect(min).toBeLessThanOrEqual(geometric! + slack)
    expect(mean).toBeLessThanOrEqual(max + slack)
    expect(last).toBe(list[list.length - 1])
    for (const value of [prod, geometric, mean, min, last]) expect(value! >= 0 && value! <= 1).toBe(true)
  })

  it("validates method names", () => {
    expect(Aggregation.isMethod("min")).toBe(true)
    expect(Aggregation.isMethod("max")).toBe(false)
  })
})
