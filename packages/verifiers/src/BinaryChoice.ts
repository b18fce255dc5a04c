import { Logprob } from "@stepwise/core"

/**
 * A two-way choice read from one token position's top logprobs: P(positive) / (P(positive) + P(negative)),
 * each side summing its spellings and their case and leading-space variants (core's `Logprob.massOf`),
 * sharpened or flattened by a decision temperature. Use for ThinkPRM's P(yes), a judge's yes/no and a
 * token-logit PRM's P("+").
 */
export interface Sides {
  readonly positive: ReadonlyArray<string>
  readonly negative: ReadonlyArray<string>
}

/** "yes" against "no". */
export const yesNo: Sides = { positive: ["yes"], negative: ["no"] }

/** "+" against "-" (also the Unicode minus sign). */
export const plusMinus: Sides = { positive: ["+"], negative: ["-", "\u2212"] }

/** The probability mass of a side at a position (spellings that normalize alike are counted once). */
export const massOf = (position: Logprob.TokenLogprob, spellings: ReadonlyArray<string>): number => {
  const seen = new Set<string>()
  let total = 0
  for (const spelling of spellings) {
    const normalized = spelling.trim().toLowerCase()
    if (seen.has(normalized)) continue
    seen.add(normalized)
    total += Logprob.massOf(position, spelling)
  }
  return total
}

/**
 * P(positive) among the two sides at a position, with a decision temperature `t`: softmax over the two summed
 * log-masses divided by `t` (t = 1 keeps the model's odds, t < 1 sharpens, t > 1 flattens).
 * `undefined` when neither side appears among the alternatives (the position says nothing).
 *
 * @example
 * BinaryChoice.probability(completion.logprobs[0], BinaryChoice.yesNo, 1)
 */
export const probability = (position: Logprob.TokenLogprob, sides: Sides, temperature = 1): number | undefined => {
  const positive = massOf(position, sides.positive)
  const negative = massOf(position, sides.negative)
  if (!(positive > 0) && !(negative > 0)) return undefined
  if (!(negative > 0)) return 1
  if (!(positive > 0)) return 0
  const difference = (Math.log(negative) - Math.log(positive)) / temperature
  const result = 1 / (1 + Math.exp(difference))
  return Number.isFinite(result) ? result : undefined
}
