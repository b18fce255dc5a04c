import type { TokenLogprob } from "./Logprob.js"
import type { Usage } from "./Usage.js"

/**
 * The step protocol's delimiter: the blank line that separates reasoning steps (search-and-learn's `\n\n`).
 * A next-step request stops at it; a prefix is the steps joined by it. Defined once, here.
 */
export const delimiter = "\n\n"

/** Why a generation ended: a stop sequence, the token limit, or the model's end of sequence. */
export type FinishReason = "stop" | "length" | "eos"

/**
 * One reasoning step: its text, what generating it cost, and why it ended.
 * Use as the unit a `Trajectory` grows by.
 */
export interface Step {
  readonly text: string
  readonly usage: Usage
  readonly finishReason: FinishReason
  readonly logprobs?: ReadonlyArray<TokenLogprob>
}

/**
 * Makes a step; usage defaults to unknown counts and the finish reason to `stop`.
 *
 * @example
 * Step.make({ text: "Step 1: 2 + 2 = 4" })
 */
export const make = (options: {
  readonly text: string
  readonly usage?: Usage
  readonly finishReason?: FinishReason
  readonly logprobs?: ReadonlyArray<TokenLogprob>
}): Step => ({
  text: options.text,
  usage: options.usage ?? { inputTokens: undefined, outputTokens: undefined, cachedInputTokens: undefined },
  finishReason: options.finishReason ?? "stop",
  ...(options.logprobs === undefined ? {} : { logprobs: options.logprobs })
})
