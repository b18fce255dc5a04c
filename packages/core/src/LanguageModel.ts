import { Context, Duration, Effect, Random } from "effect"
import type { BudgetExhausted, LanguageModelError } from "./Errors.js"
import { InvalidRequest, Timeout, isRetryable } from "./Errors.js"
import type { TokenLogprob } from "./Logprob.js"
import type { Message } from "./Message.js"
import * as Meter from "./Meter.js"
import type { FinishReason } from "./Step.js"
import type { Usage } from "./Usage.js"
import * as Usage_ from "./Usage.js"

/**
 * One generation request: the chat prompt, an optional assistant prefix to continue (the trajectory so far),
 * how many samples, and the sampling parameters.
 */
export interface GenerateRequest {
  readonly messages: ReadonlyArray<Message>
  /** Assistant text to continue, e.g. the steps so far. */
  readonly prefix?: string
  /** Number of samples (≥ 1). */
  readonly n: number
  /** Output-token limit per sample (≥ 1); the meter may lower it to what the budget has left. */
  readonly maxTokens: number
  /** The least output-token limit worth running with; below it the call fails with `BudgetExhausted` (default 1). */
  readonly minTokens?: number
  readonly stop?: ReadonlyArray<string>
  readonly temperature?: number
  readonly topP?: number
  readonly seed?: number
  /** How many top alternatives to return per token; asking for it turns logprobs on. */
  readonly topLogprobs?: number
  /** Return the sampled tokens' logprobs. */
  readonly logprobs?: boolean
}

/**
 * One sampled continuation. `usage` is this sample's share of the request's usage: the prompt is counted once,
 * on the first completion of a request, so the usages of a request's completions sum to the request's usage.
 */
export interface Completion {
  readonly index: number
  readonly text: string
  readonly finishReason: FinishReason
  readonly usage: Usage
  readonly logprobs?: ReadonlyArray<TokenLogprob>
}

/** Facts about a backend that callers may use. */
export interface Info {
  readonly name: string
  readonly model?: string
}

/** The language-model contract: one method, metered, traced and retried once by `make`. */
export interface Service {
  readonly info: Info
  readonly generate: (
    request: GenerateRequest
  ) => Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted>
  /** Counts (or bounds from above) the prompt tokens of a request. */
  readonly countInputTokens: (request: GenerateRequest) => number
}

/** The language-model service. */
export class LanguageModel extends Context.Service<LanguageModel, Service>()("@stepwise/LanguageModel") {}

/** What a backend implements: a single call, plus optional knowledge of its tokenizer. */
export interface Backend {
  readonly info: Info
  readonly generate: (request: GenerateRequest) => Effect.Effect<ReadonlyArray<Completion>, LanguageModelError>
  /** Exact or upper-bound prompt-token count; defaults to `upperBoundInputTokens`. */
  readonly countInputTokens?: (request: GenerateRequest) => number
}

/** Retry settings: attempts after the first, exponential backoff with jitter, capped; Retry-After wins when sent. */
export interface RetryOptions {
  readonly times: number
  readonly baseMillis: number
  readonly capMillis: number
}

/** Options of `make`. */
export interface MakeOptions {
  readonly retry?: RetryOptions
  /** Time limit per attempt; unset means none. */
  readonly timeoutMillis?: number
}

/** Default retries: 3 more attempts, 200 ms base, 10 s cap. */
export const defaultRetry: RetryOptions = { times: 3, baseMillis: 200, capMillis: 10_000 }

const utf8 = new TextEncoder()

/**
 * An upper bound on a request's prompt tokens without a tokenizer: byte-level tokenizers never emit more tokens
 * than bytes, plus a margin per message for the chat template's special tokens.
 */
export const upperBoundInputTokens = (request: GenerateRequest): number => {
  let total = 16
  for (const message of request.messages) total += utf8.encode(message.content).length + 8
  if (request.prefix !== undefined) total += utf8.encode(request.prefix).length
  return total
}

const validate = (backend: string, request: GenerateRequest): Effect.Effect<void, InvalidRequest> => {
  const problem = (field: string, detail: string) => Effect.fail(new InvalidRequest({ backend, field, detail }))
  if (!Number.isInteger(request.n) || request.n < 1) return problem("n", `must be an integer ≥ 1, got ${request.n}`)
  if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1)
    return problem("maxTokens", `must be an integer ≥ 1, got ${request.maxTokens}`)
  if (request.minTokens !== undefined && (!Number.isInteger(request.minTokens) || request.minTokens < 1))
    return problem("minTokens", `must be an integer ≥ 1, got ${request.minTokens}`)
  if (request.temperature !== undefined && !(request.temperature >= 0))
    return problem("temperature", `must be ≥ 0, got ${request.temperature}`)
  if (request.topP !== undefined && !(request.topP > 0 && request.topP <= 1))
    return problem("topP", `must be in (0, 1], got ${request.topP}`)
  if (request.messages.length === 0) return problem("messages", "must not be empty")
  return Effect.void
}

const backoffMillis = (options: RetryOptions, attempt: number, error: LanguageModelError) =>
  Effect.map(Random.next, (jitter) => {
    if (error._tag === "RateLimited" && error.retryAfterMillis !== undefined) return error.retryAfterMillis
    const exponential = Math.min(options.capMillis, options.baseMillis * 2 ** attempt)
    return Math.round(exponential * (0.5 + jitter / 2))
  })

/**
 * Wraps a backend's single hook into the contract: validates the request, meters it against the current
 * `Meter` (reserve the worst case, clamp `maxTokens`, commit the real usage), retries retryable failures, applies
 * the time limit and traces the call. Every backend goes through here exactly once.
 *
 * @example
 * const model = LanguageModel.make({ info: { name: "echo" }, generate: (request) => Effect.succeed([...]) })
 */
export const make = (backend: Backend, options: MakeOptions = {}): Service => {
  const retry = options.retry ?? defaultRetry
  const countInputTokens = backend.countInputTokens ?? upperBoundInputTokens
  const attempt = (request: GenerateRequest): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError> => {
    const call = backend.generate(request)
    if (options.timeoutMillis === undefined) return call
    const afterMillis = options.timeoutMillis
    return Effect.timeoutOrElse(call, {
      duration: Duration.millis(afterMillis),
      orElse: () => Effect.fail(new Timeout({ backend: backend.info.name, afterMillis }))
    })
  }
  const withRetries = (
    request: GenerateRequest,
    attemptNumber: number
  ): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted> =>
    Effect.gen(function* () {
      const meter = yield* Meter.Meter
      const role = yield* Meter.CurrentRole
      const claim: Meter.Claim = {
        role,
        label: backend.info.name,
        inputTokens: countInputTokens(request),
        samples: request.n,
        maxTokensPerSample: request.maxTokens,
        minTokensPerSample: Math.min(request.minTokens ?? 1, request.maxTokens),
        verifierCalls: 0
      }
      return yield* meter.metered(
        claim,
        (grant) => attempt({ ...request, maxTokens: grant.maxTokensPerSample }),
        (completions) => Usage_.sum(completions.map((completion) => completion.usage))
      )
    }).pipe(
      Effect.catchIf(
        (error): error is LanguageModelError =>
          error._tag !== "BudgetExhausted" && isRetryable(error) && attemptNumber < retry.times,
        (error) =>
          Effect.flatMap(backoffMillis(retry, attemptNumber, error), (millis) =>
            Effect.andThen(Effect.sleep(Duration.millis(millis)), withRetries(request, attemptNumber + 1))
          )
      )
    )
  return {
    info: backend.info,
    countInputTokens,
    generate: (request) =>
      Effect.andThen(validate(backend.info.name, request), withRetries(request, 0)).pipe(
        Effect.withSpan("LanguageModel.generate", {
          attributes: { backend: backend.info.name, n: request.n, maxTokens: request.maxTokens }
        })
      )
  }
}

/** Calls `generate` on the `LanguageModel` in context. */
export const generate = (
  request: GenerateRequest
): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted, LanguageModel> =>
  Effect.flatMap(LanguageModel, (model) => model.generate(request))
