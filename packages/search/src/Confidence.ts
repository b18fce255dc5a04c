import type { Logprob } from "@stepwise/core"

/**
 * DeepConf's confidence measures (Fu et al. 2025, "Deep Think with Confidence", arXiv 2508.15260; reference code
 * facebookresearch/deepconf `helper.py` and `analysis_offline.py`), computed from the top-k logprobs a backend
 * returns with each token:
 * - token confidence C_i = −(1/k) Σ_j log P_i(j) over the position's top-k alternatives (high when the model is
 *   sure: the alternatives are unlikely);
 * - group confidence: the mean of C over a sliding window of `window` tokens (the whole trace when shorter);
 * - trace confidences: the lowest group, the mean of the bottom `percent` of groups, the tail (last `tailTokens`
 *   tokens), or the mean.
 *
 * Sliding means are computed with one running sum (add the entering value, then add entering − leaving), the same
 * sequence of floating-point operations in `groupConfidences` and in the online `Monitor`, so a trace's groups are
 * bit-identical however its tokens arrive.
 */

/**
 * The logprobs a position's confidence averages: its distinct top alternatives, plus the sampled token when the
 * server left it out of them (the set vLLM returns, which the reference code averages). With no alternatives,
 * only the sampled token's.
 */
export const alternativesOf = (position: Logprob.TokenLogprob): ReadonlyArray<number> => {
  const seen = new Set<string>()
  const logprobs: Array<number> = []
  for (const alternative of position.top) {
    if (seen.has(alternative.token)) continue
    seen.add(alternative.token)
    logprobs.push(alternative.logprob)
  }
  if (!seen.has(position.token)) logprobs.push(position.logprob)
  return logprobs
}

/**
 * DeepConf's token confidence: the negative mean logprob of the position's top-k alternatives.
 *
 * @example
 * Confidence.tokenConfidence({ token: "a", logprob: Math.log(0.5), top: [{ token: "a", logprob: Math.log(0.5) }, { token: "b", logprob: Math.log(0.25) }] }) // ≈ 1.040
 */
export const tokenConfidence = (position: Logprob.TokenLogprob): number => {
  const logprobs = alternativesOf(position)
  let total = 0
  for (const logprob of logprobs) total += logprob
  return -total / logprobs.length
}

/** The token confidence of every position of a trace, in order. */
export const tokenConfidences = (positions: ReadonlyArray<Logprob.TokenLogprob>): ReadonlyArray<number> => positions.map(tokenConfidence)

/**
 * The group confidences of a trace: the mean of every full window of `window` consecutive token confidences, in
 * order; a trace shorter than a window has one group, its mean (an empty trace: none).
 */
export const groupConfidences = (confidences: ReadonlyArray<number>, window: number): ReadonlyArray<number> => {
  if (confidences.length === 0) return []
  if (confidences.length < window) return [mean(confidences)]
  const groups: Array<number> = []
  let sum = 0
  for (let index = 0; index < confidences.length; index++) {
    const entering = confidences[index] ?? 0
    if (index < window) sum += entering
    else sum += entering - (confidences[index - window] ?? 0)
    if (index >= window - 1) groups.push(sum / window)
  }
  return groups
}

/** The mean of values (0 for none, as the reference code). */
export const mean = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return 0
  let total = 0
  for (const value of values) total += value
  return total / values.length
}

/** The lowest group confidence of a trace (0 for an empty trace, as the reference code). */
export const lowestGroup = (confidences: ReadonlyArray<number>, window: number): number => {
  const groups = groupConfidences(confidences, window)
  if (groups.length === 0) return 0
  let lowest = Number.POSITIVE_INFINITY
  for (const group of groups) lowest = Math.min(lowest, group)
  return lowest
}

/**
 * The bottom-`percent` group confidence: the mean of the lowest max(1, ⌊groups · percent⌋) group confidences (the
 * whole trace's mean when it is shorter than a window), as `calculate_bottom_window_confidence`.
 */
export const bottomPercent = (confidences: ReadonlyArray<number>, window: number, percent: number): number => {
  const groups = [...groupConfidences(confidences, window)]
  if (groups.length === 0) return 0
  const count = Math.max(1, Math.floor(groups.length * percent))
  groups.sort((left, right) => left - right)
  return mean(groups.slice(0, count))
}

/** The tail confidence: the mean token confidence of the last `tokens` tokens. */
export const tail = (confidences: ReadonlyArray<number>, tokens: number): number =>
  mean(confidences.length > tokens ? confidences.slice(confidences.length - tokens) : confidences)

/** The trace-level measures DeepConf filters and weighs by. */
export const measures = ["lowest-group", "bottom-percent", "tail", "mean"] as const

/** A trace-level measure. */
export type Measure = (typeof measures)[number]

/** What the trace-level measures need: the group window, the bottom share and the tail length. */
export interface MeasureSettings {
  readonly window: number
  readonly bottomPercent: number
  readonly tailTokens: number
}

/** A trace's confidence under a measure, from its token confidences. */
export const traceConfidence = (measure: Measure, confidences: ReadonlyArray<number>, settings: MeasureSettings): number => {
  switch (measure) {
    case "lowest-group":
      return lowestGroup(confidences, settings.window)
    case "bottom-percent":
      return bottomPercent(confidences, settings.window, settings.bottomPercent)
    case "tail":
      return tail(confidences, settings.tailTokens)
    case "mean":
      return mean(confidences)
  }
}

/**
 * The q-th percentile (0–100) of values with linear interpolation between order statistics, as numpy's default
 * `np.percentile` (the reference code's thresholds). `NaN` for no values.
 *
 * @example
 * Confidence.percentile([1, 2, 3, 4], 90) // 3.7
 */
export const percentile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((left, right) => left - right)
  const position = ((sorted.length - 1) * Math.min(100, Math.max(0, q))) / 100
  const lower = Math.floor(position)
  const upper = Math.min(sorted.length - 1, lower + 1)
  const fraction = position - lower
  const low = sorted[lower] ?? 0
  const high = sorted[upper] ?? 0
  // numpy's lerp: from the nearer end, so the result stays within [low, high].
  return fraction >= 0.5 ? high - (high - low) * (1 - fraction) : low + (high - low) * fraction
}

/**
 * The online stop rule, token by token, as the reference's per-request logits processor: a window of the last
 * `window` token confidences with a running sum; once the window is full, the trace stops at the first token
 * where the window's mean falls below `threshold`.
 */
export interface Monitor {
  readonly window: number
  readonly threshold: number
  /** The confidences in the window, oldest first. */
  readonly recent: Array<number>
  sum: number
  /** Tokens seen. */
  seen: number
  /** The number of tokens seen when the window first fell below the threshold; `undefined` while it has not. */
  stoppedAfter: number | undefined
  /** The group confidence that fell below the threshold. */
  stoppedAt: number | undefined
}

/** A monitor with an empty window. */
export const monitor = (window: number, threshold: number): Monitor => ({
  window,
  threshold,
  recent: [],
  sum: 0,
  seen: 0,
  stoppedAfter: undefined,
  stoppedAt: undefined
})

/**
 * Feeds a monitor the token confidences of newly generated tokens, in order; returns true when the trace must
 * stop (its window fell below the threshold at one of them, or had before). Tokens after the stop are ignored.
 */
export const observe = (state: Monitor, confidences: ReadonlyArray<number>): boolean => {
  for (const confidence of confidences) {
    if (state.stoppedAfter !== undefined) return true
    if (state.recent.length < state.window) state.sum += confidence
    else state.sum += confidence - (state.recent.shift() ?? 0)
    state.recent.push(confidence)
    state.seen++
    if (state.recent.length >= state.window) {
      const group = state.sum / state.window
      if (group < state.threshold) {
        state.stoppedAfter = state.seen
        state.stoppedAt = group
      }
    }
  }
  return state.stoppedAfter !== undefined
}
