import { Effect } from "effect"
import { BadResponse, LanguageModel, Unavailable, Usage } from "@stepwise/core"

/**
 * A minimal OpenAI-compatible chat client (vLLM dialect: an assistant prefix is sent as a final assistant message
 * with `continue_final_message`), built through the real `LanguageModel.make`. Test support only, so the
 * model-based verifiers can be run through the simulator's loopback server; the project's real HTTP backends
 * live in `@stepwise/models`.
 */
export const make = (url: string, model: string): LanguageModel.Service =>
  LanguageModel.make(
    {
      info: { name: "openai-chat-test", model },
      generate: (request) =>
        Effect.gen(function* () {
          const messages = [...request.messages, ...(request.prefix === undefined ? [] : [{ role: "assistant", content: request.prefix }])]
          const body = {
            model,
            messages,
            n: request.n,
            max_tokens: request.maxTokens,
            ...(request.prefix === undefined ? {} : { continue_final_message: true, add_generation_prompt: false }),
            ...(request.stop === undefined ? {} : { stop: request.stop }),
            ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
            ...(request.seed === undefined ? {} : { seed: request.seed }),
            ...(request.topLogprobs === undefined && request.logprobs !== true ? {} : { logprobs: true, top_logprobs: request.topLogprobs ?? 0 })
          }
          const response = yield* Effect.tryPromise({
            try: () => fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((reply) => reply.json()),
            catch: (cause) => new Unavailable({ backend: "openai-chat-test", detail: String(cause) })
          })
          const json = response as {
            choices?: ReadonlyArray<{
              index: number
              message: { content: string }
              finish_reason: string
              stop_reason: string | null
              logprobs: { content: ReadonlyArray<{ token: string; logprob: number; top_logprobs: ReadonlyArray<{ token: string; logprob: number }> }> } | null
            }>
            usage?: { prompt_tokens: number; completion_tokens: number }
          }
          if (json.choices === undefined) return yield* Effect.fail(new BadResponse({ backend: "openai-chat-test", detail: JSON.stringify(response).slice(0, 200) }))
          return json.choices.map((choice, index): LanguageModel.Completion => ({
            index: choice.index,
            text: choice.message.content,
            finishReason: choice.finish_reason === "length" ? "length" : choice.stop_reason === null ? "eos" : "stop",
            // The server reports usage per request: all of it on the first completion.
            usage: Usage.make({
              inputTokens: index === 0 ? json.usage?.prompt_tokens : 0,
              outputTokens: index === 0 ? json.usage?.completion_tokens : 0,
              cachedInputTokens: undefined
            }),
            ...(choice.logprobs === null
              ? {}
              : { logprobs: choice.logprobs.content.map((position) => ({ token: position.token, logprob: position.logprob, top: position.top_logprobs })) })
          }))
        })
    },
    { retry: { times: 0, baseMillis: 1, capMillis: 1 } }
  )
