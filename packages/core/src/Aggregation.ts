/**
 * Aggregations of a trajectory's step scores into one number, chosen by the caller (pure functions).
 * Use to rank trajectories: `last` (search-and-learn's default), `min`, `prod`, `mean` or `geometricMean`.
 * An empty list of scores has no aggregate: every function returns `undefined` for it.
 *
 * @example
 * Aggregation.aggregate("min", [0.9, 0.4, 0.8]) // 0.4
 */
export type Method = "last" | "min" | "prod" | "mean" | "geometricMean"

/** Every method, in a fixed order (for option validation and reports). */
export const methods = ["last", "min", "prod", "mean", "geometricMean"] as const satisfies ReadonlyArray<Method>

/** The score of the newest step: what the PRM says about the whole prefix. */
export const last = (scores: ReadonlyArray<number>): number | undefined => scores[scores.length - 1]

/** The lowest step score: a chain is as good as its weakest step. */
export const min = (scores: ReadonlyArray<number>): number | undefined =>
  scores.length === 0 ? undefined : scores.reduce((low, score) => Math.min(low, score))

/** The product of the step scores: the probability that every step is right, if they were independent. */
export const prod = (scores: ReadonlyArray<number>): number | undefined =>
  scores.length === 0 ? undefined : scores.reduce((product, score) => product * score, 1)

/** The arithmetic mean of the step scores. */
export const mean = (scores: ReadonlyArray<number>): number | undefined =>
  scores.length === 0 ? undefined : scores.reduce((total, score) => total + score, 0) / scores.length

/**
 * The geometric mean of the step scores: `prod` without its bias against long trajectories.
 * Any zero score makes it 0.
 */
export const geometricMean = (scores: ReadonlyArray<number>): number | undefined => {
  if (scores.length === 0) return undefined
  if (scores.some((score) => score <= 0)) return 0
  return Math.exp(scores.reduce((total, score) => total + Math.log(score), 0) / scores.length)
}

/** The function of a method. */
export const of = (method: Method): ((scores: ReadonlyArray<number>) => number | undefined) => {
  switch (method) {
    case "last":
      return last
    case "min":
      return min
    case "prod":
      return prod
    case "mean":
      return mean
    case "geometricMean":
      return geometricMean
  }
}

/** Aggregates step scores with a method; `undefined` for no scores. */
export const aggregate = (method: Method, scores: ReadonlyArray<number>): number | undefined => of(method)(scores)

/** True when a value names a method (for validating user options). */
export const isMethod = (value: unknown): value is Method => (methods as ReadonlyArray<unknown>).includes(value)
