import type { Logprob } from "@stepwise/core"
import type { Confidence as Settings } from "./Preset.js"
import * as Seeded from "./Seeded.js"
import * as Solution from "./Solution.js"
import * as Tokens from "./Tokens.js"
import type { WordProblem } from "./WordProblem.js"
import * as WordProblem_ from "./WordProblem.js"

/**
 * Token confidence of the simulated policy: the token logprobs it returns when a request asks, informative about
 * step correctness. Each token's probability is `sigmoid(sound − separation·weight + stepSpread·z_step +
 * tokenSpread·z_token)`, where `weight` is 1 for the tokens of a step that makes an error (a slip, a wrong operand, a
 * lucky guess), `trapVisibility` for a trap step and 0 otherwise; the rest of the mass goes to `k − 1` alternatives
 * (and an unlisted tail). The draws come from their own seeded stream, so asking for logprobs never changes a text.
 */

/** How much of the separation each step of a text shows: 1 for an error, `trapVisibility` for a trap, 0 if sound. */
export const stepWeights = (settings: Settings, problem: WordProblem, state: Solution.State, texts: ReadonlyArray<string>): ReadonlyArray<number> => {
  let current = state
  return texts.map((text) => {
    const before = current
    current = Solution.read(problem, before, text)
    if (current.trapped && !before.derailed) return settings.trapVisibility
    const computation = Solution.computationOf(text)
    if (computation === undefined) return 0
    const expected = problem.operations[before.progress]
    const sound =
      expected !== undefined &&
      computation.input === before.value &&
      computation.kind === expected.kind &&
      computation.operand === expected.operand &&
      computation.result === WordProblem_.apply(computation.kind, computation.input, computation.operand)
    return sound ? 0 : 1
  })
}

const wordAlternatives = [
  " the", " so", ",", " and", ".", " is", " of", " to", " a", " we", " it", "\n", " that", " this", " for", " with", " as",
  " on", " be", " at", " now", " has"
]
const numberAlternatives = [" 1", " 2", " 3", " 4", " 5", " 6", " 7", " 8", " 9", " 10", " 12", " 20", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

/**
 * Token logprobs for a text made of steps (separated by blank lines), each step weighted by `stepWeights`
 * (missing weights count as 0), with `topLogprobs` alternatives per token sorted by probability.
 */
export const logprobs = (
  settings: Settings,
  text: string,
  key: number,
  topLogprobs: number,
  weights: ReadonlyArray<number>
): ReadonlyArray<Logprob.TokenLogprob> => {
  const base = Seeded.key(key, "confidence")
  let step = 0
  let offset = 0
  let stepShift = Number.NaN
  let stepStart = 0
  return Tokens.pieces(text).map((token, position) => {
    // A token belongs to the step its first character is in; a step ends after its blank line.
    while (true) {
      const boundary = text.indexOf("\n\n", stepStart)
      if (boundary < 0 || offset < boundary + 2) break
      stepStart = boundary + 2
      step++
      stepShift = Number.NaN
    }
    if (Number.isNaN(stepShift)) {
      const draw = Seeded.stream(Seeded.combine(base, 0x5eed0000 + step))
      stepShift = settings.stepSpread * Seeded.normal(draw(), draw())
    }
    offset += token.length
    const next = Seeded.stream(Seeded.combine(base, position))
    const logit = settings.sound - settings.separation * (weights[step] ?? 0) + stepShift + settings.tokenSpread * Seeded.normal(next(), next())
    const probability = Math.min(1 - 1e-6, Seeded.sigmoid(logit))
    const entries: Array<{ token: string; logprob: number }> = [{ token, logprob: Math.log(probability) }]
    const pool = /\d/.test(token) ? numberAlternatives : wordAlternatives
    const start = Math.floor(next() * pool.length)
    let rest = 1 - probability
    for (let index = 0; entries.length < topLogprobs && index < pool.length; index++) {
      const alternative = pool[(start + index) % pool.length] ?? " "
      if (alternative === token) continue
      const share = rest * (0.35 + 0.4 * next())
      rest -= share
      entries.push({ token: alternative, logprob: Math.log(Math.max(share, 1e-12)) })
    }
    const top = entries.slice().sort((a, b) => b.logprob - a.logprob)
    return { token, logprob: Math.log(probability), top }
  })
}

/**
 * DeepConf's token confidence (arXiv 2508.15260): the negative mean log-probability of the top-k alternatives
 * at a position. High when the model is sure (the alternatives are unlikely).
 */
export const tokenConfidence = (position: Logprob.TokenLogprob): number =>
  position.top.length === 0 ? -position.logprob : -position.top.reduce((total, entry) => total + entry.logprob, 0) / position.top.length

/** The mean token confidence of a trace. */
export const meanConfidence = (positions: ReadonlyArray<Logprob.TokenLogprob>): number =>
  positions.length === 0 ? 0 : positions.reduce((total, position) => total + tokenConfidence(position), 0) / positions.length

/**
 * DeepConf's lowest group confidence: the minimum, over sliding windows of `window` tokens, of the window's mean
 * token confidence (the whole trace when it is shorter than a window).
 */
export const lowestGroupConfidence = (positions: ReadonlyArray<Logprob.TokenLogprob>, window: number): number => {
  if (positions.length === 0) return 0
  const confidences = positions.map(tokenConfidence)
  const size = Math.max(1, Math.min(window, confidences.length))
  let sum = 0
  for (let index = 0; index < size; index++) sum += confidences[index] ?? 0
  let lowest = sum / size
  for (let index = size; index < confidences.length; index++) {
    sum += (confidences[index] ?? 0) - (confidences[index - size] ?? 0)
    lowest = Math.min(lowest, sum / size)
  }
  return lowest
}
