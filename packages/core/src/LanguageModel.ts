import { Context, Data, Duration, Effect } from "effect"
import type { BudgetExhausted, LanguageModelError } from "./Errors.js"
import { BadResponse, InvalidRequest, Timeout, Unmetered } from "./Errors.js"
import type { TokenLogprob } from "./Logprob.js"
import type { Message } from "./Message.js"
import * as Genuine from "./internal/Genuine.js"
import * as Hook from "./internal/Hook.js"
import * as Meter from "./Meter.js"
import * as Retry from "./Retry.js"
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

/**
 * Whether a backend returns token logprobs: on every request, only on requests without a `prefix` (a server whose
 * way of continuing an answer has none, e.g. TGI's `/v1/completions`), or never.
 */
export type LogprobSupport = "always" | "without-prefix" | "never"

/** Facts about a backend that callers may use. */
export interface Info {
  readonly name: string
  readonly model?: string
  /** The server's base URL, when the backend is a server (a verifier served beside the model defaults to it). */
  readonly baseUrl?: string
  /** Whether logprobs come back (unknown when absent); verifiers that need them check it when they are made. */
  readonly logprobs?: LogprobSupport
  /**
   * How a request's `prefix` is continued, when the backend knows: after the chat template's generation prompt
   * (`"generation-prompt"`: a prompt rendered here, llama.cpp in-process), or as a final assistant message with no
   * generation prompt rendered (`"final-message"`: vLLM's `continue_final_message`, a prefill), so anything the
   * generation prompt would open (R1's `<think>`) is not there.
   */
  readonly continuesWith?: "generation-prompt" | "final-message"
}

// Type-level brand: only `make` produces a value of type `Service`, so a hand-built object literal is a type
// error. At run time the generate functions `make` built are remembered, and the accessors refuse any other.
declare const metered: unique symbol

/**
 * The language-model contract: one method, metered, traced and retried once by `make`. Only `make` builds a
 * `Service` (a hand-built object is a type error, and is refused at run time with `Unmetered`); spreading a made
 * service into a bigger object (`{ ...service, tokenize }`) keeps it a service.
 */
export interface Service {
  readonly [metered]: "LanguageModel.make"
  readonly info: Info
  readonly generate: (
    request: GenerateRequest
  ) => Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted>
  /** Counts (or bounds from above) the prompt tokens of a request. */
  readonly countInputTokens: (request: GenerateRequest) => number
}

/** The language-model service. */
export class LanguageModel extends Context.Service<LanguageModel, Service>()("@stepwise/LanguageModel") {}

/** The version of the backend hook this release implements (the AI SDK's `specificationVersion` idea). */
export const specificationVersion = "v1"

/** What a backend implements: a single call, plus optional knowledge of its tokenizer. */
export interface Backend {
  /** The hook's contract version; absent means `"v1"`. `make` refuses a version it does not implement. */
  readonly specificationVersion?: typeof specificationVersion
  readonly info: Info
  readonly generate: (request: GenerateRequest) => Effect.Effect<ReadonlyArray<Completion>, LanguageModelError>
  /** Exact or upper-bound prompt-token count; defaults to `upperBoundInputTokens`. */
  readonly countInputTokens?: (request: GenerateRequest) => number
  /**
   * True when each of a request's samples reads the whole prompt by itself (one HTTP request per sample, or a
   * sequence each in process) rather than sharing one read of it: its calls' prompt tokens count it once per
   * sample, and a cost model that prices attention over the prompt (Kinetics) prices each sample's own.
   */
  readonly promptPerSample?: boolean
}

/** A backend hook declares a contract version this release does not implement (a programming error, at start-up). */
export class UnsupportedSpecification extends Error {
  constructor(
    readonly backend: string,
    readonly version: unknown
  ) {
    super(`backend ${backend} implements hook version ${String(version)}; this release implements "${specificationVersion}"`)
  }
}

/** Retry settings (see `Retry.Options`). */
export type RetryOptions = Retry.Options

/** Output-token limits per role: a request made under that role asks for at most this many tokens per sample. */
export interface RoleLimits {
  readonly policy?: number | undefined
  readonly verifier?: number | undefined
}

/** Options of `make`. */
export interface MakeOptions {
  readonly retry?: RetryOptions
  /** Time limit per attempt; unset means none. */
  readonly timeoutMillis?: number
  /** Caps each request's `maxTokens` by the role it is metered under (e.g. a small model's verifier chains). */
  readonly maxTokens?: RoleLimits
}

/** Default retries: 3 more attempts, 200 ms base, 10 s cap. */
export const defaultRetry: RetryOptions = Retry.defaults

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

/**
 * Checks what a backend returned before anything is charged: every usage count must be a finite number ≥ 0 (or
 * unknown). A bad count is a `BadResponse` carrying the raw value.
 */
const checkCompletions = (backend: string, completions: ReadonlyArray<Completion>): Effect.Effect<ReadonlyArray<Completion>, BadResponse> => {
  if (!Array.isArray(completions))
    return Effect.fail(new BadResponse({ backend, detail: `generate gave ${completions === null ? "null" : typeof completions}, not an array of completions`, value: completions }))
  for (const [index, completion] of completions.entries()) {
    const shape = completion as Partial<Completion> | null | undefined
    if (typeof shape !== "object" || shape === null || typeof shape.text !== "string" || typeof shape.usage !== "object" || shape.usage === null)
      return Effect.fail(new BadResponse({ backend, detail: `completion ${index} is not { text, usage, … } (its text a string, its usage an object)`, value: completion }))
    const invalid = Usage_.invalidCount(completion.usage)
    if (invalid !== undefined)
      return Effect.fail(
        new BadResponse({
          backend,
          detail: `usage.${invalid.field} of completion ${completion.index} is ${String(invalid.value)}, not a count (a finite number ≥ 0)`,
          value: invalid.value
        })
      )
  }
  return Effect.succeed(completions)
}

// A hook that broke its contract, kept apart from the language-model errors so that no retry calls it again.
class ContractBroken extends Data.TaggedError("ContractBroken")<{ readonly error: BadResponse }> {}

const genuine = Genuine.make("generate")
const nameOf = Genuine.nameOf

/** True when a value is a service built by `make` (its `generate` is the one `make` built). */
export const isMetered = (service: unknown): service is Service => genuine.has(service)

/**
 * The service itself when `make` built it; otherwise `Unmetered`. Use where a service enters from user code
 * (the Promise API, a plugin) to refuse an unmetered one before anything runs.
 */
export const check = (service: Service): Effect.Effect<Service, Unmetered> =>
  isMetered(service) ? Effect.succeed(service) : Effect.fail(new Unmetered({ contract: "LanguageModel", name: nameOf(service) }))

/**
 * Wraps a backend's single hook into the contract: validates the request, meters it against the current
 * `Meter` (reserve the worst case, clamp `maxTokens`, commit the real usage), checks the usage it reports,
 * retries retryable failures on `Retry`'s schedule, applies the time limit and traces the call. Every backend goes
 * through here exactly once.
 *
 * @example
 * const model = LanguageModel.make({ specificationVersion: "v1", info: { name: "echo" }, generate: (request) => Effect.succeed([...]) })
 */
export const make = (backend: Backend, options: MakeOptions = {}): Service => {
  const version = backend.specificationVersion ?? specificationVersion
  if (version !== specificationVersion) throw new UnsupportedSpecification(backend.info.name, version)
  const retry = options.retry ?? defaultRetry
  const retried = Retry.languageModelFailures(retry)
  const countInputTokens = backend.countInputTokens ?? upperBoundInputTokens
  // Each attempt calls the hook anew (a retry is a new request, not the failed one replayed), and what escapes the
  // hook's contract (a throw, a Promise or any value that is no Effect, a defect inside) is a typed BadResponse,
  // carried past the retries unretried (calling a broken hook again would only repeat its side effects).
  const hooked = (request: GenerateRequest) =>
    Hook.call<ReadonlyArray<Completion>, LanguageModelError, never, ContractBroken>(
      () => backend.generate(request),
      (broken) =>
        new ContractBroken({
          error: new BadResponse({
            backend: backend.info.name,
            detail:
              broken._tag === "Threw"
                ? `generate failed unexpectedly: ${Hook.messageOf(broken.defect)}`
                : `generate returned ${broken.returned}, not an Effect (an async function returns a Promise: wrap it in Effect.tryPromise)`,
            value: broken._tag === "Threw" ? broken.defect : broken.returned
          })
        })
    )
  const attempt = (request: GenerateRequest): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | ContractBroken> => {
    const call = Effect.flatMap(Effect.suspend(() => hooked(request)), (completions) => checkCompletions(backend.info.name, completions))
    if (options.timeoutMillis === undefined) return call
    const afterMillis = options.timeoutMillis
    return Effect.timeoutOrElse(call, {
      duration: Duration.millis(afterMillis),
      orElse: () => Effect.fail(new Timeout({ backend: backend.info.name, afterMillis }))
    })
  }
  const meteredAttempt = (request: GenerateRequest): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted> =>
    Effect.gen(function* () {
      const meter = yield* Meter.Meter
      const role = yield* Meter.CurrentRole
      const roleLimit = options.maxTokens?.[role]
      const maxTokens = roleLimit === undefined ? request.maxTokens : Math.max(1, Math.min(request.maxTokens, roleLimit))
      const claim: Meter.Claim = {
        role,
        label: backend.info.name,
        ...(backend.info.model === undefined ? {} : { model: backend.info.model }),
        inputTokens: countInputTokens(request),
        samples: request.n,
        maxTokensPerSample: maxTokens,
        minTokensPerSample: Math.min(request.minTokens ?? 1, maxTokens),
        verifierCalls: 0,
        ...(backend.promptPerSample === true && request.n > 1 ? { promptPerSample: true } : {})
      }
      // Retries run inside the metered call: one reservation covers every attempt, so a retried failure changes
      // neither what the call is granted nor what other calls find left (see `Admission`). What a failed attempt
      // says it spent (`spent`: the answered requests of a call of several) is charged with the call's usage, or
      // alone when the call fails in the end; a count that is no count is charged at the worst case.
      let spentBefore: Usage_.Usage | undefined
      const noteSpent = (error: LanguageModelError | ContractBroken) =>
        Effect.sync(() => {
          const spent = error._tag === "ContractBroken" || error._tag === "Unmetered" ? undefined : error.spent
          if (spent === undefined) return
          const counted = Usage_.invalidCount(spent) === undefined ? spent : Usage_.unknown
          spentBefore = spentBefore === undefined ? counted : Usage_.add(spentBefore, counted)
        })
      return yield* meter.metered(
        claim,
        (grant) =>
          retried(Effect.tapError(attempt({ ...request, maxTokens: grant.maxTokensPerSample }), noteSpent)).pipe(
            Effect.catchTag("ContractBroken", (broken) => Effect.fail(broken.error))
          ),
        (completions) => {
          const usage = Usage_.sum(completions.map((completion) => completion.usage))
          return spentBefore === undefined ? usage : Usage_.add(usage, spentBefore)
        },
        (completions) => (spentBefore === undefined ? completions.map((completion) => completion.usage.outputTokens) : []),
        () => spentBefore
      )
    })
  const generate = (request: GenerateRequest): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted> =>
    // Data-first: effect 4.0.6 reads `captureStackTrace` only there. Every span starts here, so a stack trace of
    // its creation says nothing and would cost a capture per call.
    Effect.withSpan(Effect.andThen(validate(backend.info.name, request), meteredAttempt(request)), "LanguageModel.generate", {
      attributes: { backend: backend.info.name, n: request.n, maxTokens: request.maxTokens },
      captureStackTrace: false
    })
  genuine.add(generate)
  return { info: backend.info, countInputTokens, generate } as Omit<Service, typeof metered> as Service
}

/**
 * A made service whose every call runs inside `around` (a concurrency limit, a deadline): for combinators over a
 * service that is metered already, so it stays a `Service` without being metered twice. `around` receives the
 * metered call and, being generic in its result, can only run it (or fail): it cannot answer in its place.
 *
 * @example
 * const pooled = LanguageModel.around(model, (call) => semaphore.withPermits(1)(call))
 */
export const around = (
  service: Service,
  around: <A, E>(call: Effect.Effect<A, E>) => Effect.Effect<A, E | BudgetExhausted>
): Service => {
  const generate = (request: GenerateRequest): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted> =>
    isMetered(service) ? around(service.generate(request)) : Effect.fail(new Unmetered({ contract: "LanguageModel", name: nameOf(service) }))
  genuine.add(generate)
  return { ...service, generate }
}

/**
 * Calls `generate` on the `LanguageModel` in context; a service that `make` did not build fails with `Unmetered`
 * (its calls would escape the accountant).
 */
export const generate = (
  request: GenerateRequest
): Effect.Effect<ReadonlyArray<Completion>, LanguageModelError | BudgetExhausted, LanguageModel> =>
  Effect.flatMap(LanguageModel, (model) =>
    isMetered(model) ? model.generate(request) : Effect.fail(new Unmetered({ contract: "LanguageModel", name: nameOf(model) }))
  )
