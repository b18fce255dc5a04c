import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { BudgetSchedule } from "@stepwise/search"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 500 : 200))

describe("Plan-and-Budget schedules", () => {
  it("weigh sub-questions as the paper's schedules, hand-computed", () => {
    const three = [5, 2, 9]
    expect(BudgetSchedule.weights("uniform", three)).toEqual([1, 1, 1])
    expect(BudgetSchedule.weights("weighted", three)).toEqual([5, 2, 9])
    expect(BudgetSchedule.weights("linear", three)).toEqual([3, 2, 1])
    expect(BudgetSchedule.weights("polynomial", three)).toEqual([9, 4, 1])
    const exponential = BudgetSchedule.weights("exponential", three)
    ;[1, 0.9, 0.81].forEach((weight, index) => expect(exponential[index]).toBeCloseTo(weight, 12))
    const cosine = BudgetSchedule.weights("cosine", three)
    ;[1.1, 0.6, 0.1].forEach((weight, index) => expect(cosine[index]).toBeCloseTo(weight, 12))
    expect(BudgetSchedule.weights("cosine", [4])).toEqual([1])
    expect(BudgetSchedule.weights("weighted", [0, 0])).toEqual([1, 1])
  })

  it("floor the shares and give what is left to the largest, hand-computed", () => {
    expect(BudgetSchedule.allocate(10, [1, 1, 1])).toEqual([4, 3, 3])
    expect(BudgetSchedule.split("linear", 100, [1, 1, 1, 1])).toEqual([40, 30, 20, 10])
    // Polynomial over 3: shares 9/14, 4/14, 1/14 of 100 → 64.28, 28.57, 7.14 → 64, 28, 7, and 1 left to the first.
    expect(BudgetSchedule.split("polynomial", 100, [1, 1, 1])).toEqual([65, 28, 7])
    // Weighted: 2 : 5 : 3 of 7 tokens → 1.4, 3.5, 2.1 → 1, 3, 2, and 1 left to the second (the largest weight).
    expect(BudgetSchedule.split("weighted", 7, [2, 5, 3])).toEqual([1, 4, 2])
    expect(BudgetSchedule.split("uniform", 5, [])).toEqual([])
  })

  property.prop(
    [
      fc.constantFrom(...BudgetSchedule.schedules),
      fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 0, max: 1_000_000 })
    ],
    { numRuns: runs }
  )("allocations sum to the budget and follow the schedule, for every count and budget", (schedule, complexities, budget) => {
    const allocations = BudgetSchedule.split(schedule, budget, complexities)
    const weights = BudgetSchedule.weights(schedule, complexities)
    const total = weights.reduce((sum, weight) => sum + weight, 0)
    expect(allocations).toHaveLength(complexities.length)
    expect(allocations.reduce((sum, allocation) => sum + allocation, 0)).toBe(budget)
    // The largest weight (the first of equals) takes what the flooring left: less than one token per sub-question.
    const largest = weights.indexOf(Math.max(...weights))
    allocations.forEach((allocation, index) => {
      expect(Number.isInteger(allocation)).toBe(true)
      expect(allocation).toBeGreaterThanOrEqual(0)
      const share = (budget * (weights[index] ?? 0)) / total
      if (index === largest) {
        expect(allocation).toBeGreaterThanOrEqual(Math.floor(share) - 1)
        expect(allocation).toBeLessThanOrEqual(share + complexities.length)
      } else {
        expect(Math.abs(allocation - share)).toBeLessThan(1 + 1e-9)
        expect(allocation).toBeLessThanOrEqual(share + 1e-9)
      }
    })
    // Decay schedules never give a later sub-question more than an earlier one; uniform gives all but the first the same.
    if (schedule === "linear" || schedule === "polynomial" || schedule === "exponential" || schedule === "cosine")
      for (let index = 1; index < allocations.length; index++) expect(allocations[index]).toBeLessThanOrEqual(allocations[index - 1] ?? 0)
    if (schedule === "uniform") expect(new Set(allocations.slice(1)).size).toBeLessThanOrEqual(1)
    // Weighted: more complex never gets fewer tokens (beyond the first largest's remainder).
    if (schedule === "weighted")
      for (let left = 0; left < allocations.length; left++)
        for (let right = 0; right < allocations.length; right++)
          if ((weights[left] ?? 0) > (weights[right] ?? 0)) expect(allocations[left]).toBeGreaterThanOrEqual(allocations[right] ?? 0)
  })
})
