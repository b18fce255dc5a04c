/**
 * Particle weights and resampling schemes (Puri et al. 2025; its_hub): weights = softmax(logit(r) / T), and
 * multinomial or systematic resampling driven by given uniforms, so the caller controls the seed.
 */

/** How particles are resampled: independent draws, or one draw spread over evenly spaced positions. */
export type Scheme = "multinomial" | "systematic"

/** Every scheme. */
export const schemes = ["multinomial", "systematic"] as const satisfies ReadonlyArray<Scheme>

const clamp = (reward: number): number => Math.min(1 - 1e-6, Math.max(1e-6, reward))

/** log(r / (1 − r)), with r clamped away from 0 and 1. */
export const logit = (reward: number): number => {
  const r = clamp(reward)
  return Math.log(r / (1 - r))
}

/**
 * Normalized weights softmax(logit(r) / T) of rewards in [0, 1]; an unknown reward counts as 0.5 (logit 0).
 *
 * @example
 * Resampling.weights([0.9, 0.5], 1) // [0.9, 0.1]
 */
export const weights = (rewards: ReadonlyArray<number | undefined>, temperature: number): ReadonlyArray<number> => {
  if (rewards.length === 0) return []
  const logits = rewards.map((reward) => logit(reward ?? 0.5) / temperature)
  const top = Math.max(...logits)
  const exponentials = logits.map((value) => Math.exp(value - top))
  const total = exponentials.reduce((sum, value) => sum + value, 0)
  return exponentials.map((value) => value / total)
}

// The index whose cumulative-weight interval holds `position` (in [0, 1)).
const locate = (cumulative: ReadonlyArray<number>, position: number): number => {
  let low = 0
  let high = cumulative.length - 1
  while (low < high) {
    const middle = (low + high) >> 1
    if ((cumulative[middle] ?? 1) > position) high = middle
    else low = middle + 1
  }
  return low
}

const cumulativeOf = (normalized: ReadonlyArray<number>): ReadonlyArray<number> => {
  const cumulative: Array<number> = []
  let total = 0
  for (const weight of normalized) cumulative.push((total += weight))
  cumulative[cumulative.length - 1] = Number.POSITIVE_INFINITY
  return cumulative
}

/**
 * Multinomial resampling: one independent draw per uniform, index i with probability w_i.
 * The expected number of copies of i is `uniforms.length`·w_i.
 */
export const multinomial = (normalized: ReadonlyArray<number>, uniforms: ReadonlyArray<number>): ReadonlyArray<number> => {
  const cumulative = cumulativeOf(normalized)
  return uniforms.map((uniform) => locate(cumulative, uniform))
}

/**
 * Systematic resampling: `count` evenly spaced positions (u + k) / count from one uniform u. Unbiased (expected
 * copies count·w_i) with lower variance than multinomial: each index gets ⌊count·w_i⌋ or ⌈count·w_i⌉ copies.
 */
export const systematic = (normalized: ReadonlyArray<number>, count: number, uniform: number): ReadonlyArray<number> => {
  const cumulative = cumulativeOf(normalized)
  return Array.from({ length: count }, (_, k) => locate(cumulative, (uniform + k) / count))
}

/**
 * Resamples `count` indices by a scheme from uniforms (multinomial uses `count` of them, systematic the first).
 */
export const resample = (
  scheme: Scheme,
  normalized: ReadonlyArray<number>,
  count: number,
  uniforms: ReadonlyArray<number>
): ReadonlyArray<number> =>
  scheme === "multinomial"
    ? multinomial(normalized, uniforms.slice(0, count))
    : systematic(normalized, count, uniforms[0] ?? 0)
