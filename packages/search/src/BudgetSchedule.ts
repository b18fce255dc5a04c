/**
 * Plan-and-Budget's allocation of a token budget across sub-questions (Lin et al. 2025, arXiv 2505.16122): each
 * sub-question i of N (0-based, in answering order) gets a weight by a schedule, the weights are normalized into
 * shares, each share of the budget is floored to whole tokens, and the tokens the flooring left over go to the
 * sub-question with the largest weight (the first of equals).
 *
 * | schedule | weight of sub-question i |
 * | --- | --- |
 * | `uniform` | 1 |
 * | `weighted` | its estimated complexity (uniform when none is positive) |
 * | `linear` | N − i |
 * | `polynomial` | (N − i)² |
 * | `exponential` | 0.9^i |
 * | `cosine` | 0.5 (1 + cos(π i / (N − 1))) + 0.1 (1 when N = 1) |
 */

/** Every schedule. */
export const schedules = ["uniform", "weighted", "linear", "polynomial", "exponential", "cosine"] as const

/** A schedule. */
export type Schedule = (typeof schedules)[number]

/** The schedule's weight of each of `complexities.length` sub-questions, in order. */
export const weights = (schedule: Schedule, complexities: ReadonlyArray<number>): ReadonlyArray<number> => {
  const count = complexities.length
  switch (schedule) {
    case "uniform":
      return complexities.map(() => 1)
    case "weighted":
      return complexities.some((complexity) => complexity > 0) ? complexities.map((complexity) => Math.max(0, complexity)) : complexities.map(() => 1)
    case "linear":
      return complexities.map((_, index) => count - index)
    case "polynomial":
      return complexities.map((_, index) => (count - index) ** 2)
    case "exponential":
      return complexities.map((_, index) => 0.9 ** index)
    case "cosine":
      return complexities.map((_, index) => (count === 1 ? 1 : 0.5 * (1 + Math.cos((Math.PI * index) / (count - 1))) + 0.1))
  }
}

/**
 * Splits a whole budget by weights: ⌊budget · wᵢ / Σw⌋ each, and what the flooring left to the largest weight (the
 * first of equals), so the allocations sum to the budget exactly. Weights must be non-negative with a positive sum.
 *
 * @example
 * BudgetSchedule.allocate(10, [1, 1, 1]) // [4, 3, 3]
 */
export const allocate = (budget: number, shares: ReadonlyArray<number>): ReadonlyArray<number> => {
  const total = shares.reduce((sum, weight) => sum + weight, 0)
  const allocations = shares.map((weight) => Math.floor((budget * weight) / total))
  let largest = 0
  shares.forEach((weight, index) => {
    if (weight > (shares[largest] ?? 0)) largest = index
  })
  // Float rounding can put a floored share one token over; the difference (of either sign) goes to the largest.
  const left = budget - allocations.reduce((sum, allocation) => sum + allocation, 0)
  if (allocations.length > 0) allocations[largest] = (allocations[largest] ?? 0) + left
  return allocations
}

/**
 * The allocation of a budget across sub-questions with these estimated complexities, by a schedule.
 *
 * @example
 * BudgetSchedule.split("linear", 100, [5, 5, 5, 5]) // weights 4, 3, 2, 1 → [40, 30, 20, 10]
 */
export const split = (schedule: Schedule, budget: number, complexities: ReadonlyArray<number>): ReadonlyArray<number> =>
  complexities.length === 0 ? [] : allocate(budget, weights(schedule, complexities))
