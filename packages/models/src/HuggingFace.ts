/**
 * The Hugging Face backend: Inference Providers (token, provider, model) and self-hosted servers (TGI, vLLM,
 * llama.cpp server, Ollama, any OpenAI-compatible server) through `@huggingface/inference`'s `chatCompletion`,
 * behind the `LanguageModel` contract.
 *
 * Use it to run stepwise against a server you already have. `model` is always sent.
 *
 * - Continuing a partial answer (`request.prefix`, the steps so far) takes one of three paths (`continuation`):
 *   `"continue-final-message"` sends the prefix as a final assistant message with vLLM's
 *   `continue_final_message: true, add_generation_prompt: false`; `"prefill"` sends it as a final assistant
 *   message alone (llama.cpp server and Ollama continue it); `"completions"` renders the chat template client-side
 *   (`chatTemplate` or `tokenizerConfig`) and posts the text plus prefix to `/v1/completions`. Defaults per `kind`:
 *   vLLM, providers and generic servers continue the final message, TGI uses completions, llama.cpp and Ollama
 *   prefill.
 * - `n` is sent where the server honours it (vLLM, providers, generic); TGI, llama.cpp server and Ollama get `n`
 *   parallel requests (seed `s + i` for sample `i`). A server that returns fewer choices than asked is topped up
 *   the same way.
 * - Usage is the server's, including `prompt_tokens_details.cached_tokens`; the prompt counts on completion 0 and a
 *   request's `completion_tokens` is split over its choices by their logprob counts (else text length), so sums stay
 *   exact. A server that reports no usage leaves the counts unknown, or, given a `tokenizer`, counts them with it
 *   and marks the usage `estimated`. Token logprobs come back whole.
 * - Failures map to core's errors: 429 → `RateLimited` (with Retry-After), 5xx and dropped connections →
 *   `Unavailable`, other 4xx → `InvalidRequest` (naming the field when the body does), malformed JSON or shape →
 *   `BadResponse`. The client's own retry is off; `LanguageModel.make` retries with capped, jittered exponential
 *   backoff that honours Retry-After, and applies `timeoutMillis`. Interruption aborts the HTTP request. At most
 *   `concurrency` requests are in flight. The access token never appears in errors or logs.
 *
 * @example
 * const model = yield* HuggingFace.make({ endpointUrl: "http://127.0.0.1:8000", model: "Qwen/Qwen2.5-Math-7B-Instruct", kind: "vllm" })
 * const hosted = yield* HuggingFace.make({ model: "meta-llama/Llama-3.1-8B-Instruct", provider: "auto", accessToken: Redacted.make(token) })
 */
import type * as Inference from "@huggingface/inference"
import type { LanguageModelError, Logprob, Message, Step } from "@stepwise/core"
import { BadResponse, ChatTemplate, InvalidOptions, InvalidRequest, LanguageModel, PooledFetch, Retry, Timeout, Unavailable, Usage, withSpent } from "@stepwise/core"
import { Clock, Effect, Layer, Redacted, Result, Schema, Semaphore } from "effect"
import * as ServerKinds from "./ServerKind.js"
import type * as Tokenizer from "./Tokenizer.js"

/** The kind of server, which picks the defaults for continuation and sampling and the fields it is sent. */
export type ServerKind = ServerKinds.ServerKind

/** How a partial assistant answer is continued (see the module doc). */
export type Continuation = ServerKinds.Continuation

/** How `n` samples are obtained: one request with `n`, or `n` parallel requests. */
export type Sampling = ServerKinds.Sampling

/** Options of `make`. */
export interface Options {
  /** The model id, always sent (a Hub id for providers, the served name for a self-hosted server). */
  readonly model: string
  /** A self-hosted server's base URL (`http://host:port`, with or without `/v1`); absent means Inference Providers. */
  readonly endpointUrl?: string
  /** An Inference Provider (`"auto"` by default when no `endpointUrl`). */
  readonly provider?: string
  /** An `hf_…` token or a provider key; kept redacted. */
  readonly accessToken?: string | Redacted.Redacted<string>
  readonly kind?: ServerKind
  readonly continuation?: Continuation
  /** A Jinja chat template for `completions`. */
  readonly chatTemplate?: string
  /** A local `tokenizer_config.json` holding the chat template (and special tokens) for `completions`. */
  readonly tokenizerConfig?: string
  /** A chat template already read (e.g. by `ChatTemplate.fromPath` from a model folder), for `completions`. */
  readonly template?: ChatTemplate.ChatTemplate
  readonly sampling?: Sampling
  /** Most HTTP requests in flight at once for this backend (default: the server kind's, `ServerKind.facts`). */
  readonly concurrency?: number
  /** Counts tokens when a server reports no usage (the counts are then marked estimated). */
  readonly tokenizer?: Tokenizer.Tokenizer
  /** The backend's name in errors, traces and meters (default `"huggingface"`). */
  readonly name?: string
  readonly retry?: LanguageModel.RetryOptions
  /** Time limit per attempt (default 120 s). */
  readonly timeoutMillis?: number
  /** The server's context size: each request's `maxTokens` is lowered so the prompt plus it fits. */
  readonly contextSize?: number
  /** Output-token limits per role (e.g. the verifier's chains on a small model). */
  readonly maxTokens?: LanguageModel.RoleLimits
  /**
   * A fetch to use instead of the default: core's `PooledFetch` (kept-alive pooled connections) against a
   * self-hosted server, the global fetch for Inference Providers. A proxy, a test double.
   */
  readonly fetch?: typeof fetch
}

const kinds: ReadonlyArray<ServerKind> = ServerKinds.kinds

const validate = (options: Options): Effect.Effect<void, InvalidOptions> => {
  const invalid = (field: string, detail: string) => Effect.fail(new InvalidOptions({ subject: "HuggingFace", field, detail }))
  if (typeof options.model !== "string" || options.model.length === 0) return invalid("model", "must be a non-empty model id")
  if (options.endpointUrl !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(options.endpointUrl)) return invalid("endpointUrl", "must be an http(s) URL")
    if (options.provider !== undefined) return invalid("provider", "cannot be combined with endpointUrl")
  }
  if (options.kind !== undefined && !kinds.includes(options.kind)) return invalid("kind", `must be one of ${kinds.join(", ")}`)
  if (options.kind !== undefined && options.kind !== "provider" && options.endpointUrl === undefined)
    return invalid("endpointUrl", `is required for a ${options.kind} server`)
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1))
    return invalid("concurrency", `must be an integer ≥ 1, got ${options.concurrency}`)
  if (options.timeoutMillis !== undefined && !(options.timeoutMillis > 0))
    return invalid("timeoutMillis", `must be > 0, got ${options.timeoutMillis}`)
  if (options.continuation === "completions" && options.endpointUrl === undefined)
    return invalid("continuation", "completions needs an endpointUrl (providers serve chat only)")
  const kind = options.kind ?? (options.endpointUrl === undefined ? "provider" : "openai-compatible")
  const facts = ServerKinds.facts[kind]
  if (options.continuation === "continue-final-message" && !facts.continueFinalMessage)
    return invalid("continuation", `continue-final-message is vLLM's field, which a ${kind} server does not accept: use prefill or completions`)
  if (options.continuation === "completions" && !facts.completions)
    return invalid("continuation", `a ${kind} server has no /v1/completions: use prefill`)
  if (options.sampling === "n" && !facts.n) return invalid("sampling", `a ${kind} server gives one choice per request: use parallel`)
  if (options.contextSize !== undefined && !(Number.isInteger(options.contextSize) && options.contextSize >= 16))
    return invalid("contextSize", `must be an integer ≥ 16, got ${options.contextSize}`)
  return Effect.void
}

/** What one HTTP request returned, parsed: choices in order, and the request's usage as reported. */
interface Reply {
  readonly choices: ReadonlyArray<{
    readonly text: string
    readonly finishReason: Step.FinishReason
    readonly logprobs: ReadonlyArray<Logprob.TokenLogprob> | undefined
    /** The stop string the server says it matched (vLLM's `stop_reason`, SGLang's `matched_stop`), when it says. */
    readonly matchedStop?: string | undefined
  }>
  readonly usage: { readonly prompt: number; readonly completion: number; readonly cached: number | undefined } | undefined
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const UsageSchema = Schema.Struct({
  prompt_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  completion_tokens: Schema.optional(Schema.NullOr(Schema.Number)),
  prompt_tokens_details: Schema.optional(Schema.NullOr(Schema.Struct({ cached_tokens: Schema.optional(Schema.NullOr(Schema.Number)) })))
})

const finishFields = {
  finish_reason: Schema.optional(Schema.NullOr(Schema.String)),
  // vLLM: the matched stop string, a stop token id, or null at the end of sequence; absent on other servers.
  stop_reason: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Number]))),
  // SGLang's name for the same: the matched stop string or token id.
  matched_stop: Schema.optionalKey(Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))
}

const Alternative = Schema.Struct({ token: Schema.String, logprob: Schema.Number })

/** Chat-style token logprobs: `{ content: [{ token, logprob, top_logprobs }] }`. */
const ChatLogprobs = Schema.Struct({
  content: Schema.NullOr(
    Schema.Array(
      Schema.Struct({
        token: Schema.String,
        logprob: Schema.Number,
        top_logprobs: Schema.optional(Schema.NullOr(Schema.Array(Alternative)))
      })
    )
  )
})

type ChatLogprobs = typeof ChatLogprobs.Type

const chatLogprobsOf = (logprobs: ChatLogprobs | null | undefined): ReadonlyArray<Logprob.TokenLogprob> | undefined =>
  logprobs === null || logprobs === undefined || logprobs.content === null
    ? undefined
    : logprobs.content.map((position) => ({
        token: position.token,
        logprob: position.logprob,
        top: (position.top_logprobs ?? []).map((alternative) => ({ token: alternative.token, logprob: alternative.logprob }))
      }))

/** The body of a `/v1/chat/completions` reply, as far as the backend reads it. */
export const ChatResponse = Schema.Struct({
  choices: Schema.Array(
    Schema.Struct({
      index: Schema.optional(Schema.Number),
      message: Schema.Struct({
        content: Schema.optional(Schema.NullOr(Schema.String)),
        // vLLM's reasoning parsers (`--reasoning-parser`) put the thinking here: `reasoning`, in older releases
        // `reasoning_content`; `content` is null while the output has not closed its thinking.
        reasoning: Schema.optional(Schema.NullOr(Schema.String)),
        reasoning_content: Schema.optional(Schema.NullOr(Schema.String))
      }),
      logprobs: Schema.optional(Schema.NullOr(ChatLogprobs)),
      ...finishFields
    })
  ),
  usage: Schema.optional(Schema.NullOr(UsageSchema))
})

/** The body of a `/v1/completions` reply, as far as the backend reads it. */
export const CompletionResponse = Schema.Struct({
  choices: Schema.Array(
    Schema.Struct({
      index: Schema.optional(Schema.Number),
      text: Schema.String,
      // OpenAI's legacy arrays (vLLM, SGLang), or the chat-style `{ content: [...] }` llama.cpp's server sends.
      logprobs: Schema.optional(
        Schema.NullOr(
          Schema.Union([
            Schema.Struct({
              tokens: Schema.Array(Schema.String),
              token_logprobs: Schema.Array(Schema.NullOr(Schema.Number)),
              top_logprobs: Schema.optional(Schema.NullOr(Schema.Array(Schema.NullOr(Schema.Record(Schema.String, Schema.Number)))))
            }),
            ChatLogprobs
          ])
        )
      ),
      ...finishFields
    })
  ),
  usage: Schema.optional(Schema.NullOr(UsageSchema))
})

const finishReasonOf = (
  choice: { readonly finish_reason?: string | null | undefined; readonly stop_reason?: string | number | null; readonly matched_stop?: string | number | null },
  stops: ReadonlyArray<string>
): Step.FinishReason => {
  const reason = choice.finish_reason
  // Cut short, not ended: vLLM's "repetition" (its repetition detection stopped it) and OpenAI's "content_filter".
  if (reason === "length" || reason === "repetition" || reason === "content_filter") return "length"
  if (reason === "eos_token") return "eos"
  if (reason === "stop_sequence") return "stop"
  if ("stop_reason" in choice) return typeof choice.stop_reason === "string" ? "stop" : "eos"
  // SGLang: a matched stop string, or a token id (its end of sequence among them).
  if ("matched_stop" in choice) return typeof choice.matched_stop === "string" ? "stop" : "eos"
  return stops.length > 0 ? "stop" : "eos"
}

const cutAtStop = (text: string, stops: ReadonlyArray<string>): string => {
  let end = text.length
  for (const stop of stops) {
    if (stop.length === 0) continue
    const at = text.indexOf(stop)
    if (at >= 0 && at < end) end = at
  }
  return text.slice(0, end)
}

const usageOf = (usage: typeof UsageSchema.Type | null | undefined): Reply["usage"] => {
  if (usage === null || usage === undefined) return undefined
  const prompt = usage.prompt_tokens ?? undefined
  const completion = usage.completion_tokens ?? undefined
  if (prompt === undefined || completion === undefined) return undefined
  return { prompt, completion, cached: usage.prompt_tokens_details?.cached_tokens ?? undefined }
}

const byIndex = <A extends { readonly index?: number | undefined }>(choices: ReadonlyArray<A>): ReadonlyArray<A> =>
  [...choices].sort((left, right) => (left.index ?? 0) - (right.index ?? 0))

/**
 * A chat choice's text: its content, or, when a reasoning parser left the content empty (the output stopped before
 * it closed its thinking, as a ThinkPRM chain stops at its end), the reasoning it holds instead.
 */
const textOf = (message: (typeof ChatResponse.Type)["choices"][number]["message"]): string => {
  const content = message.content ?? ""
  if (content.length > 0) return content
  return message.reasoning ?? message.reasoning_content ?? ""
}

const chatReply = (body: typeof ChatResponse.Type, stops: ReadonlyArray<string>): Reply => ({
  choices: byIndex(body.choices).map((choice) => ({
    text: cutAtStop(textOf(choice.message), stops),
    finishReason: finishReasonOf(choice, stops),
    matchedStop: typeof choice.stop_reason === "string" ? choice.stop_reason : typeof choice.matched_stop === "string" ? choice.matched_stop : undefined,
    logprobs: chatLogprobsOf(choice.logprobs)
  })),
  usage: usageOf(body.usage)
})

const completionReply = (body: typeof CompletionResponse.Type, stops: ReadonlyArray<string>): Reply => ({
  choices: byIndex(body.choices).map((choice) => {
    const logprobs = choice.logprobs
    return {
      text: cutAtStop(choice.text, stops),
      finishReason: finishReasonOf(choice, stops),
      logprobs:
        logprobs === null || logprobs === undefined
          ? undefined
          : "content" in logprobs
            ? chatLogprobsOf(logprobs)
            : logprobs.tokens.map((token, position) => ({
              token,
              logprob: logprobs.token_logprobs[position] ?? Number.NEGATIVE_INFINITY,
              top: Object.entries(logprobs.top_logprobs?.[position] ?? {})
                .map(([alternative, logprob]) => ({ token: alternative, logprob }))
                .sort((left, right) => right.logprob - left.logprob)
            }))
    }
  }),
  usage: usageOf(body.usage)
})

/**
 * Splits a total over parts in proportion to weights, exactly (largest remainder): how a reply's
 * `completion_tokens` is shared among its choices. The parts always sum to the total.
 */
export const apportion = (total: number, weights: ReadonlyArray<number>): ReadonlyArray<number> => {
  const sum = weights.reduce((accumulated, weight) => accumulated + weight, 0)
  if (weights.length === 0) return []
  if (sum === 0) return weights.map((_, index) => Math.floor(total / weights.length) + (index < total % weights.length ? 1 : 0))
  const exact = weights.map((weight) => (total * weight) / sum)
  const floors = exact.map(Math.floor)
  let left = total - floors.reduce((accumulated, value) => accumulated + value, 0)
  const order = exact.map((value, index) => [value - Math.floor(value), index] as const).sort((a, b) => b[0] - a[0])
  for (const [, index] of order) {
    if (left <= 0) break
    floors[index] = (floors[index] ?? 0) + 1
    left--
  }
  return floors
}

/** The field a 4xx body names: OpenAI/vLLM `param`, else a quoted or backticked name in the message. */
const fieldOf = (body: unknown, message: string): string | undefined => {
  const error = isObject(body) && isObject(body["error"]) ? body["error"] : body
  if (isObject(error) && typeof error["param"] === "string" && error["param"].length > 0) return error["param"]
  const quoted = /[`'"]([a-z_][a-z0-9_.[\]]*)[`'"]/i.exec(message)
  return quoted?.[1]
}

/** Whether an error body is OpenAI's `insufficient_quota` (a 429 that waiting does not cure). */
const quotaUsedUp = (body: unknown): boolean => {
  const error = isObject(body) && isObject(body["error"]) ? body["error"] : body
  return isObject(error) && (error["code"] === "insufficient_quota" || error["type"] === "insufficient_quota")
}

/** The message of an error body, whole: it is cut short only after credentials are scrubbed from it. */
const messageOf = (body: unknown): string => {
  if (typeof body === "string") return body
  if (!isObject(body)) return ""
  const error = body["error"]
  if (isObject(error) && typeof error["message"] === "string") return error["message"]
  for (const key of ["message", "error", "detail"]) if (typeof body[key] === "string") return body[key] as string
  return JSON.stringify(body)
}

// The sampling fields both endpoints share, in the order they are sent; unset settings are left out.
const samplingFields = (request: LanguageModel.GenerateRequest, n: number, seed: number | undefined) => ({
  max_tokens: request.maxTokens,
  ...(n === 1 ? {} : { n }),
  ...(request.stop === undefined || request.stop.length === 0 ? {} : { stop: [...request.stop] }),
  ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  ...(request.topP === undefined ? {} : { top_p: request.topP }),
  ...(seed === undefined ? {} : { seed })
})

/** What the last response of one HTTP exchange looked like (read by the error mapping). */
interface Exchange {
  status: number | undefined
  retryAfter: string | null
}

/**
 * Makes the backend, built through `LanguageModel.make`. Reads `tokenizerConfig` when given; fails with
 * `InvalidOptions` naming the field on bad options.
 */
export const make = (options: Options): Effect.Effect<LanguageModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    yield* validate(options)
    // The client loads with the first backend made, not with the package (a simulator-only run never needs it).
    const { chatCompletion, InferenceClientInputError, InferenceClientProviderApiError, InferenceClientProviderOutputError }: typeof Inference = yield* Effect.promise(
      () => import("@huggingface/inference")
    )
    const name = options.name ?? "huggingface"
    const kind: ServerKind = options.kind ?? (options.endpointUrl === undefined ? "provider" : "openai-compatible")
    const defaults = ServerKinds.facts[kind]
    const continuation = options.continuation ?? defaults.continuation
    const sampling = options.sampling ?? defaults.sampling
    const template =
      options.template !== undefined
        ? options.template
        : options.chatTemplate !== undefined
        ? yield* ChatTemplate.fromString(options.chatTemplate)
        : options.tokenizerConfig !== undefined
          ? yield* ChatTemplate.fromTokenizerConfig(options.tokenizerConfig)
          : undefined
    if (continuation === "completions" && template === undefined && options.endpointUrl !== undefined && options.continuation === "completions")
      return yield* Effect.fail(
        new InvalidOptions({ subject: "HuggingFace", field: "chatTemplate", detail: "completions needs chatTemplate or tokenizerConfig" })
      )
    const token =
      options.accessToken === undefined
        ? undefined
        : Redacted.isRedacted(options.accessToken)
          ? Redacted.value(options.accessToken)
          : options.accessToken
    const scrub = (text: string) => (token === undefined || token.length === 0 ? text : text.split(token).join("[redacted]"))
    const semaphore = yield* Semaphore.make(options.concurrency ?? defaults.concurrency)
    // A self-hosted server is called over kept-alive pooled connections (see `PooledFetch`); Providers through the
    // global fetch.
    const baseFetch = options.fetch ?? (options.endpointUrl === undefined ? globalThis.fetch : PooledFetch.fetch)

    // Scrubbed whole, then cut short: a key cut in two would no longer be recognised and half of it would show.
    const statusDetail = (status: number, body: unknown) => scrub(`HTTP ${status}: ${messageOf(body)}`).slice(0, 320)
    const failureOf = (error: unknown, exchange: Exchange, signal: AbortSignal, now: number): LanguageModelError => {
      if (error instanceof InferenceClientProviderApiError) {
        const status = error.httpResponse.status
        return httpFailure(status, statusDetail(status, error.httpResponse.body), error.httpResponse.body, exchange, now)
      }
      if (error instanceof HttpStatusError) return httpFailure(error.status, statusDetail(error.status, error.body), error.body, exchange, now)
      if (error instanceof InferenceClientProviderOutputError) return new BadResponse({ backend: name, detail: scrub(error.message) })
      if (error instanceof InferenceClientInputError) return new InvalidRequest({ backend: name, detail: scrub(error.message) })
      if (error instanceof SyntaxError) return new BadResponse({ backend: name, detail: `malformed JSON: ${scrub(error.message).slice(0, 200)}` })
      const described = PooledFetch.describeFailure(error)
      if (signal.aborted) return new Timeout({ backend: name, afterMillis: 0 })
      return new Unavailable({ backend: name, detail: scrub(`connection failed (${described})`) })
    }
    // A 404 from a chat or completions route is the model the server does not have (Ollama: "model "x" not found,
    // try pulling it first"): it names the `model` option, never a field called after the model's name.
    const httpFailure = (status: number, detail: string, body: unknown, exchange: Exchange, now: number): LanguageModelError =>
      // OpenAI's 429 for an account whose quota is used up is no rate limit: no retry will pass it.
      status === 429 && quotaUsedUp(body)
        ? new InvalidRequest({ backend: name, detail: `${detail} (the account's quota is used up: retrying will not help)` })
        : // transformers' refusal of a continued message its template rewrote (an R1 template keeps only what follows
          // `</think>`): only a prompt rendered here continues such a prefix verbatim.
          status === 400 && /final message does not appear/i.test(detail)
          ? new InvalidRequest({
              backend: name,
              field: "continuation",
              detail: `${detail} (the server's chat template rewrites the continued step, as R1 templates drop what precedes </think>: pass continuation: "completions" with the model's chatTemplate, which sends the steps verbatim)`
            })
          : Retry.httpFailureAt(
            {
              backend: name,
              status,
              detail: status === 404 ? `${detail} (is model "${options.model}" served there?)` : detail,
              retryAfter: exchange.retryAfter,
              field: status === 404 ? "model" : status < 500 ? fieldOf(body, detail) : undefined
            },
            now
          )

    /** One HTTP exchange under the concurrency limit; the Effect's interruption aborts it. */
    const exchange = <A>(run: (signal: AbortSignal, fetcher: typeof fetch) => Promise<A>): Effect.Effect<A, LanguageModelError> =>
      semaphore.withPermits(1)(
        Effect.suspend(() => {
          const seen: Exchange = { status: undefined, retryAfter: null }
          const fetcher: typeof fetch = async (input, init) => {
            const response = await baseFetch(input, init)
            seen.status = response.status
            seen.retryAfter = response.headers.get("retry-after")
            return response
          }
          let signalOf: AbortSignal | undefined
          return Effect.tryPromise({
            try: (signal) => {
              signalOf = signal
              return run(signal, fetcher)
            },
            catch: (error) => error
          }).pipe(
            // The failure is read against the Clock (a Retry-After date), then typed.
            Effect.catch((error) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(failureOf(error, seen, signalOf ?? new AbortController().signal, now)))
            )
          )
        })
      )

    const endpointBase = (options.endpointUrl ?? "").replace(/\/+$/, "").replace(/\/v1$/, "").replace(/\/v1\/chat\/completions$/, "")

    const chatRequest = (request: LanguageModel.GenerateRequest, n: number, seed: number | undefined) => {
      const prefix = request.prefix ?? ""
      const continuing = prefix.length > 0
      const messages: Array<Message.Message> = [...request.messages]
      if (continuing) messages.push({ role: "assistant", content: prefix })
      // Only the fields this kind of server accepts: logprobs where it returns them, vLLM's fields on vLLM and SGLang.
      const logprobs = defaults.chatLogprobs && (request.logprobs === true || request.topLogprobs !== undefined)
      const body = {
        model: options.model,
        messages,
        ...samplingFields(request, n, seed),
        ...(logprobs ? { logprobs: true } : {}),
        ...(logprobs && request.topLogprobs !== undefined ? { top_logprobs: request.topLogprobs } : {}),
        ...(continuing && continuation === "continue-final-message" && defaults.continueFinalMessage
          ? { continue_final_message: true, add_generation_prompt: false }
          : {})
      }
      return exchange((signal, fetcher) =>
        chatCompletion(
          {
            ...(body as unknown as Parameters<typeof chatCompletion>[0]),
            ...(token === undefined ? {} : { accessToken: token }),
            ...(options.endpointUrl === undefined ? { provider: (options.provider ?? "auto") as "auto" } : { endpointUrl: options.endpointUrl })
          },
          { retry_on_error: false, signal, fetch: fetcher }
        ) as Promise<unknown>
      ).pipe(
        Effect.flatMap((reply) => decoded(ChatResponse, reply)),
        Effect.flatMap((body) => unaborted(body, chatReply(body, request.stop ?? [])))
      )
    }

    const completionsRequest = (request: LanguageModel.GenerateRequest, n: number, seed: number | undefined, prompt: string) => {
      const body = {
        model: options.model,
        prompt,
        ...samplingFields(request, n, seed),
        ...(defaults.completionLogprobs === "none"
          ? {}
          : request.topLogprobs !== undefined
            ? { logprobs: Math.max(1, request.topLogprobs) }
            : request.logprobs === true
              ? { logprobs: 1 }
              : {})
      }
      return exchange(async (signal, fetcher) => {
        const response = await fetcher(`${endpointBase}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
          body: JSON.stringify(body),
          signal
        })
        const text = await response.text()
        if (!response.ok) {
          let parsed: unknown = text
          try {
            parsed = JSON.parse(text)
          } catch {
            parsed = text
          }
          throw new HttpStatusError(response.status, parsed)
        }
        return JSON.parse(text) as unknown
      }).pipe(
        Effect.flatMap((reply) => decoded(CompletionResponse, reply)),
        Effect.flatMap((body) => unaborted(body, completionReply(body, request.stop ?? [])))
      )
    }

    /**
     * The reply, or a retryable failure when the server aborted a generation (vLLM's finish_reason "abort": the
     * request was dropped mid-way, its text is no sample), saying what the reply spent.
     */
    const unaborted = (body: { readonly choices: ReadonlyArray<{ readonly finish_reason?: string | null | undefined }> }, reply: Reply) =>
      body.choices.some((choice) => choice.finish_reason === "abort")
        ? Effect.fail(spentWith(new Unavailable({ backend: name, detail: 'the server aborted a generation (finish_reason "abort")' }), [reply]))
        : Effect.succeed(reply)

    const decoded = <S extends typeof ChatResponse | typeof CompletionResponse>(schema: S, body: unknown) =>
      Effect.mapError(
        Schema.decodeUnknownEffect(schema)(body) as Effect.Effect<S["Type"], { readonly message: string }>,
        (error) => new BadResponse({ backend: name, detail: `unexpected reply: ${scrub(error.message).slice(0, 300)}` })
      )

    const promptTextOf = (request: LanguageModel.GenerateRequest): string =>
      template !== undefined
        ? ChatTemplate.renderText(template, request.messages, true) + (request.prefix ?? "")
        : request.messages.map((message) => `${message.role}: ${message.content}`).join("\n\n") + (request.prefix ?? "")

    /** One request for `n` samples (or fewer when the server returns fewer). */
    const sendOnce = (request: LanguageModel.GenerateRequest, n: number, seed: number | undefined, prompt: string | undefined) =>
      prompt === undefined ? chatRequest(request, n, seed) : completionsRequest(request, n, seed, prompt)

    const generate = (request: LanguageModel.GenerateRequest) =>
      Effect.gen(function* () {
        const continuing = (request.prefix ?? "").length > 0
        let prompt: string | undefined
        if (continuing && continuation === "completions") {
          if (template === undefined)
            return yield* Effect.fail(
              new InvalidRequest({ backend: name, field: "prefix", detail: "continuing on this server needs a chat template: pass chatTemplate or tokenizerConfig" })
            )
          // The server adds the model's BOS to a completion prompt itself (vLLM's and TGI's default): a rendered one
          // would be there twice (vllm-project/vllm#7382, Llama 3.1 degraded by it).
          prompt = ChatTemplate.withoutBos(template, yield* ChatTemplate.continuation(template, request.messages, request.prefix, name))
        }
        const seedOf = (index: number) => (request.seed === undefined ? undefined : request.seed + index)
        const replies: Array<Reply> = []
        // One request per sample, side by side: when one fails, the call fails saying what the answered ones spent.
        const eachAlone = (indices: ReadonlyArray<number>) =>
          Effect.flatMap(
            Effect.forEach(indices, (index) => Effect.result(sendOnce(request, 1, seedOf(index), prompt)), { concurrency: "unbounded" }),
            (results) => {
              for (const result of results) if (Result.isSuccess(result)) replies.push(result.success)
              const failed = results.find(Result.isFailure)
              return failed === undefined ? Effect.void : Effect.fail(spentWith(failed.failure, replies))
            }
          )
        if (sampling === "n" || request.n === 1) {
          const first = yield* sendOnce(request, request.n, request.seed, prompt)
          replies.push(first)
          const missing = request.n - first.choices.length
          if (missing > 0) yield* eachAlone(Array.from({ length: missing }, (_, offset) => first.choices.length + offset))
        } else yield* eachAlone(Array.from({ length: request.n }, (_, index) => index))
        const answered = replies.reduce((count, reply) => count + reply.choices.length, 0)
        if (answered < request.n)
          return yield* Effect.fail(
            spentWith(new BadResponse({ backend: name, detail: `the server returned ${answered} of ${request.n} samples` }), replies)
          )
        if (continuing && prompt === undefined && trimmedAway(request, replies))
          return yield* Effect.fail(
            spentWith(
              new InvalidRequest({
                backend: name,
                field: "continuation",
                detail:
                  "every sample stopped at once, empty, after a prefix that ends in whitespace: the server's chat template trims the " +
                  "assistant message it continues (Llama 3.x templates do), so the step delimiter the prefix ends with was dropped " +
                  'and the model wrote it again. Pass continuation: "completions" with the model\'s chatTemplate (the prefix is then ' +
                  "sent verbatim), or serve a template without the trim, as search-and-learn does for Llama"
              }),
              replies
            )
          )
        // The prompt's text is made only to count it, when a server reports no usage; once for all replies.
        let promptText: string | undefined
        return completionsOf(request, replies, () => (promptText ??= prompt ?? promptTextOf(request)))
      })

    /**
     * Whether a continued prefix lost its trailing whitespace to the server's template: every sample came back
     * empty, stopped by a stop string the server names (vLLM's `stop_reason`, SGLang's `matched_stop`) that begins with whitespace, after a
     * prefix ending in whitespace. (Where the server names no stop string, an empty sample may be the model's end
     * of sequence, reported as a stop: a normal end, not told apart.)
     */
    const trimmedAway = (request: LanguageModel.GenerateRequest, replies: ReadonlyArray<Reply>): boolean => {
      if (!/\s$/.test(request.prefix ?? "")) return false
      return replies.every((reply) =>
        reply.choices.every((choice) => choice.text === "" && choice.matchedStop !== undefined && /^\s/.test(choice.matchedStop))
      )
    }

    /** A failure that says what the replies answered before it spent (their reported usage; unknown when unreported). */
    const spentWith = (error: LanguageModelError, answered: ReadonlyArray<Reply>): LanguageModelError =>
      answered.length === 0
        ? error
        : withSpent(
            error,
            Usage.sum(
              answered.map((reply) =>
                reply.usage === undefined
                  ? Usage.unknown
                  : Usage.make({ inputTokens: reply.usage.prompt, outputTokens: reply.usage.completion, cachedInputTokens: reply.usage.cached })
              )
            )
          )

    /**
     * Turns replies into completions. Each HTTP reply's prompt counts on its first choice (one request with `n`
     * counts it once; parallel requests each paid for it), its output is split over its choices.
     */
    const completionsOf = (
      request: LanguageModel.GenerateRequest,
      replies: ReadonlyArray<Reply>,
      promptText: () => string
    ): ReadonlyArray<LanguageModel.Completion> => {
      const completions: Array<LanguageModel.Completion> = []
      const wantLogprobs = request.logprobs === true || request.topLogprobs !== undefined
      for (const reply of replies) {
        const reported = reply.usage
        const outputs =
          reported === undefined
            ? undefined
            : apportion(
                reported.completion,
                reply.choices.map((choice) => (choice.logprobs !== undefined ? choice.logprobs.length : Math.max(1, choice.text.length)))
              )
        reply.choices.forEach((choice, position) => {
          const index = completions.length
          if (index >= request.n) return
          const first = position === 0
          const usage =
            reported !== undefined
              ? Usage.make({
                  inputTokens: first ? reported.prompt : 0,
                  outputTokens: outputs?.[position],
                  cachedInputTokens: first ? reported.cached : 0
                })
              : options.tokenizer !== undefined
                ? Usage.make({
                    inputTokens: first ? options.tokenizer.count(promptText()) : 0,
                    outputTokens: options.tokenizer.count(choice.text),
                    cachedInputTokens: first ? undefined : 0,
                    estimated: true
                  })
                : Usage.make({ inputTokens: first ? undefined : 0, cachedInputTokens: first ? undefined : 0 })
          completions.push({
            index,
            text: choice.text,
            finishReason: choice.finishReason,
            usage,
            ...(choice.logprobs === undefined || !wantLogprobs ? {} : { logprobs: choice.logprobs })
          })
        })
      }
      return completions
    }

    /** The request with `maxTokens` lowered so that its prompt (counted, or bounded from above) plus it fits the context. */
    const fitted = (request: LanguageModel.GenerateRequest, contextSize: number): LanguageModel.GenerateRequest => {
      const prompt = countInputTokens({ ...request, n: 1 })
      return { ...request, maxTokens: Math.max(1, Math.min(request.maxTokens, contextSize - prompt)) }
    }

    /** A bound on the prompt tokens a request pays for: once with `n`, once per sample with parallel requests. */
    const countInputTokens = (request: LanguageModel.GenerateRequest): number => {
      const copies = sampling === "parallel" ? request.n : 1
      if (options.tokenizer === undefined) return copies * LanguageModel.upperBoundInputTokens(request)
      try {
        return copies * (options.tokenizer.count(promptTextOf(request)) + 8 * request.messages.length + 16)
      } catch {
        return copies * LanguageModel.upperBoundInputTokens(request)
      }
    }

    // Logprobs come back on every path but a server without them (Ollama) or a `/v1/completions` without them (TGI's,
    // which then gives them only on plain requests, through chat).
    const logprobs: LanguageModel.LogprobSupport = !defaults.chatLogprobs
      ? "never"
      : continuation === "completions" && defaults.completionLogprobs === "none"
        ? "without-prefix"
        : "always"
    return LanguageModel.make(
      {
        info: {
          name,
          model: options.model,
          logprobs,
          continuesWith: continuation === "completions" ? "generation-prompt" : "final-message",
          ...(options.endpointUrl === undefined ? {} : { baseUrl: endpointBase })
        },
        generate: options.contextSize === undefined ? generate : (request) => generate(fitted(request, options.contextSize ?? 0)),
        countInputTokens,
        // One request per sample: each reads the prompt (as `countInputTokens` and the usage count it).
        promptPerSample: sampling === "parallel"
      },
      {
        timeoutMillis: options.timeoutMillis ?? 120_000,
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens })
      }
    )
  })

/** A non-2xx answer of the completions endpoint (which is called without the client). */
class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown
  ) {
    super(`HTTP ${status}`)
  }
}

/** The backend as a layer providing `LanguageModel`. */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, InvalidOptions> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
