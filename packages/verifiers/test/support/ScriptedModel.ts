import { Effect } from "effect"
import type { LanguageModelError, Logprob } from "@stepwise/core"
import { LanguageModel, Usage } from "@stepwise/core"

/** One scripted answer: text, optional finish reason and token logprobs. */
export interface Answer {
  readonly text: string
  readonly finishReason?: LanguageModel.Completion["finishReason"]
  readonly logprobs?: ReadonlyArray<Logprob.TokenLogprob>
  /** How many tokens the text counts as (default one per character; set 1 for a one-word answer). */
  readonly tokens?: number
}

/**
 * A language model answering from a function of the request and sample index, built through the real
 * `LanguageModel.make`, recording every request. One token per character; the prompt counted on sample 0.
 */
export const make = (
  respond: (request: LanguageModel.GenerateRequest, index: number) => Answer | LanguageModelError,
  info: Omit<LanguageModel.Info, "name"> = {}
) => {
  const requests: Array<LanguageModel.GenerateRequest> = []
  const inputTokensOf = (request: LanguageModel.GenerateRequest) =>
    request.messages.reduce((total, message) => total + message.content.length, 0) + (request.prefix?.length ?? 0)
  const service = LanguageModel.make(
    {
      info: { name: "scripted-logprobs", ...info },
      countInputTokens: inputTokensOf,
      generate: (request) =>
        Effect.suspend(() => {
          requests.push(request)
          const completions: Array<LanguageModel.Completion> = []
          for (let index = 0; index < request.n; index++) {
            const answer = respond(request, index)
            if ("_tag" in answer) return Effect.fail(answer)
            const tokens = answer.tokens ?? answer.text.length
            const truncated = tokens > request.maxTokens
            const text = truncated ? answer.text.slice(0, request.maxTokens) : answer.text
            completions.push({
              index,
              text,
              finishReason: truncated ? "length" : (answer.finishReason ?? "stop"),
              usage: Usage.make({
                inputTokens: index === 0 ? inputTokensOf(request) : 0,
                outputTokens: truncated ? request.maxTokens : tokens,
                cachedInputTokens: 0
              }),
              ...(answer.logprobs === undefined ? {} : { logprobs: answer.logprobs })
            })
          }
          return Effect.succeed(completions)
        })
    },
    { retry: { times: 0, baseMillis: 1, capMillis: 1 } }
  )
  return { service, requests }
}

/** A one-token position whose top alternatives have the given probabilities. */
export const position = (probabilities: Readonly<Record<string, number>>): Logprob.TokenLogprob => {
  const top = Object.entries(probabilities).map(([token, probability]) => ({ token, logprob: Math.log(probability) }))
  const best = [...top].sort((a, b) => b.logprob - a.logprob)[0] ?? { token: "", logprob: 0 }
  return { token: best.token, logprob: best.logprob, top }
}

/** The total characters of a request's prompt, as the scripted model counts input tokens. */
export const inputTokensOf = (request: LanguageModel.GenerateRequest): number =>
  request.messages.reduce((total, message) => total + message.content.length, 0) + (request.prefix?.length ?? 0)
