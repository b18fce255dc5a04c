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

/** "+" against "-" (the two tokens the reference PRMs read; with `variants` matching, " +" and " -" count too). */
export const plusMinus: Sides = { positive: ["+"], negative: ["-"] }

/**
 * How spellings match a position's tokens: `variants` sums each spelling's case and leading/trailing-space variants
 * (robust to how a server prints a token: "▁+" may come back as " +" or "+"); `exact` counts only tokens spelled
 * exactly as given (one token per spelling, as a reference that reads fixed token ids does).
 */
export type Matching = "variants" | "exact"

/** The probability mass of a side at a position (spellings that normalize alike are counted once). */
export const massOf = (position: Logprob.TokenLogprob, spellings: ReadonlyArray<string>, matching: Matching = "variants"): number => {
  if (matching === "exact") {
    const wanted = new Set(spellings)
    const seen = new Set<string>()
    let total = 0
    for (const candidate of [...position.top, { token: position.token, logprob: position.logprob }]) {
      if (seen.has(candidate.token) || !wanted.has(candidate.token)) continue
      seen.add(candidate.token)
      total += Math.exp(candidate.logprob)
    }
    return total
  }
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
 * log-masses divided by `t` (t = 1 keeps the model's odds, t < 1 sharpens, t > 1 flattens); spellings match by
 * `matching` (default `variants`).
 * `undefined` when neither side appears among the alternatives (the position says nothing).
 *
 * @example
 * BinaryChoice.probability(completion.logprobs[0], BinaryChoice.yesNo, 1)
 */
export const probability = (position: Logprob.TokenLogprob, sides: Sides, temperature = 1, matching: Matching = "variants"): number | undefined => {
  const positive = massOf(position, sides.positive, matching)
  const negative = massOf(position, sides.negative, matching)
  if (!(positive > 0) && !(negative > 0)) return undefined
  if (!(negative > 0)) return 1
  if (!(positive > 0)) return 0
  const difference = (Math.log(negative) - Math.log(positive)) / temperature
  const result = 1 / (1 + Math.exp(difference))
  return Number.isFinite(result) ? result : undefined
}
