/**
 * How a trajectory's step scores become one number: the newest step's score, the weakest step, the product, or
 * the mean. The small local set the strategies need; the verifiers package owns richer aggregations.
 */
export type Aggregation = "last" | "min" | "prod" | "mean"

/** Every aggregation, for validation and documentation. */
export const all: ReadonlyArray<Aggregation> = ["last", "min", "prod", "mean"]

/**
 * Aggregates step scores; `undefined` for no scores (nothing to say).
 *
 * @example
 * Aggregation.aggregate([0.9, 0.5, 0.8], "min") // 0.5
 */
export const aggregate = (scores: ReadonlyArray<number>, aggregation: Aggregation): number | undefined => {
  if (scores.length === 0) return undefined
  switch (aggregation) {
    case "last":
      return scores[scores.length - 1]
    case "min":
      return Math.min(...scores)
    case "prod":
      return scores.reduce((product, score) => product * score, 1)
    case "mean":
      return scores.reduce((total, score) => total + score, 0) / scores.length
  }
}
