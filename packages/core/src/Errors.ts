import { Data } from "effect"
import * as Redaction from "./Redaction.js"
import type { Resource } from "./Resource.js"
import { add as addUsage, type Usage } from "./Usage.js"

/**
 * A reservation would pass a budget limit: names the resource, what was requested and what remained.
 * Strategies catch it to return their best answer so far. `resource` is `"deadline"` when a time limit ended the
 * call (a served request's deadline): then `requested` is the limit in milliseconds and `remaining` 0.
 */
export class BudgetExhausted extends Data.TaggedError("BudgetExhausted")<{
  readonly resource: Resource | "deadline"
  readonly requested: number
  readonly remaining: number
  /** The budget whose limit was hit (its label). */
  readonly budget: string
}> {
  override get message(): string {
    return this.resource === "deadline"
      ? `budget "${this.budget}" exhausted: its deadline of ${this.requested} ms passed`
      : `budget "${this.budget}" exhausted: ${this.resource} requested ${this.requested}, remaining ${this.remaining}`
  }
}

/** The server refused for rate; `retryAfterMillis` is its Retry-After, when it sent one. The message is scrubbed of credentials. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly backend: string
  readonly retryAfterMillis: number | undefined
  readonly detail: string
  /**
   * What the failed call had spent before it failed, when it knows (a call of several requests, some of them
   * answered): `LanguageModel.make` charges it to the budget instead of releasing the whole reservation.
   */
  readonly spent?: Usage
}> {
  override get message(): string {
    return Redaction.scrub(`${this.backend}: rate limited (${this.detail})`)
  }
}

/** The call took longer than its time limit. */
export class Timeout extends Data.TaggedError("Timeout")<{
  readonly backend: string
  readonly afterMillis: number
  /**
   * What the failed call had spent before it failed, when it knows (a call of several requests, some of them
   * answered): `LanguageModel.make` charges it to the budget instead of releasing the whole reservation.
   */
  readonly spent?: Usage
}> {
  override get message(): string {
    return `${this.backend}: no answer within ${this.afterMillis} ms`
  }
}

/**
 * The server answered with something that is not a valid response. `value` keeps the offending raw value when
 * there is one (a usage count of `-3` or `Infinity`), so it can be inspected; it is never charged or written. The
 * message is scrubbed of credentials.
 */
export class BadResponse extends Data.TaggedError("BadResponse")<{
  readonly backend: string
  readonly detail: string
  readonly value?: unknown
  /**
   * What the failed call had spent before it failed, when it knows (a call of several requests, some of them
   * answered): `LanguageModel.make` charges it to the budget instead of releasing the whole reservation.
   */
  readonly spent?: Usage
}> {
  override get message(): string {
    return Redaction.scrub(`${this.backend}: bad response (${this.detail})`)
  }
}

/** The server could not be reached or is failing (5xx, dropped connection). The message is scrubbed of credentials. */
export class Unavailable extends Data.TaggedError("Unavailable")<{
  readonly backend: string
  readonly detail: string
  readonly status?: number
  /**
   * What the failed call had spent before it failed, when it knows (a call of several requests, some of them
   * answered): `LanguageModel.make` charges it to the budget instead of releasing the whole reservation.
   */
  readonly spent?: Usage
}> {
  override get message(): string {
    return Redaction.scrub(`${this.backend}: unavailable (${this.detail})`)
  }
}

/**
 * The request itself is wrong (4xx other than 429): retrying will not help. `field` names the culprit when known.
 * The message is scrubbed of credentials.
 */
export class InvalidRequest extends Data.TaggedError("InvalidRequest")<{
  readonly backend: string
  readonly detail: string
  readonly field?: string
  /**
   * What the failed call had spent before it failed, when it knows (a call of several requests, some of them
   * answered): `LanguageModel.make` charges it to the budget instead of releasing the whole reservation.
   */
  readonly spent?: Usage
}> {
  override get message(): string {
    return Redaction.scrub(`${this.backend}: invalid request${this.field === undefined ? "" : ` (field ${this.field})`}: ${this.detail}`)
  }
}

/**
 * A service value that did not come from its contract's `make` (or `wrap`) was used: its calls would not be
 * metered, so it is refused. Build backends with `LanguageModel.make` and verifiers with `ProcessRewardModel.make`.
 */
export class Unmetered extends Data.TaggedError("Unmetered")<{
  /** The contract: `LanguageModel` or `ProcessRewardModel`. */
  readonly contract: "LanguageModel" | "ProcessRewardModel"
  /** The name the value gave itself (`info.name`), when it had one. */
  readonly name: string
}> {
  override get message(): string {
    const maker = this.contract === "LanguageModel" ? "LanguageModel.make" : "ProcessRewardModel.make or ProcessRewardModel.wrap"
    return `${this.contract} "${this.name}" was not built by ${maker}, so its calls would not be metered; build it with ${maker}`
  }
}

/** Any failure of a language-model call. */
export type LanguageModelError = RateLimited | Timeout | BadResponse | Unavailable | InvalidRequest | Unmetered

/**
 * The same failure, saying what its call had spent before it failed (`spent`, added to what it said already);
 * `Unmetered` (which spends nothing) as it is.
 *
 * @example
 * Effect.fail(withSpent(failure, Usage.make({ inputTokens: 40, outputTokens: 230 })))
 */
export const withSpent = <E extends LanguageModelError>(error: E, spent: Usage): E => {
  if (error._tag === "Unmetered") return error
  const total = error.spent === undefined ? spent : addUsage(error.spent, spent)
  const make = error.constructor as new (fields: object) => E
  return new make({ ...error, spent: total })
}

/** Language-model errors that are worth retrying. */
export const isRetryable = (error: LanguageModelError): boolean =>
  error._tag === "RateLimited" || error._tag === "Timeout" || error._tag === "Unavailable" || error._tag === "BadResponse"

/**
 * A verifier failed to score a trajectory; `cause` keeps the underlying error when there is one. The message is
 * scrubbed of credentials (`detail` and `cause` are kept as they came: print the message, not them).
 */
export class VerifierError extends Data.TaggedError("VerifierError")<{
  readonly verifier: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return Redaction.scrub(`verifier ${this.verifier}: ${this.detail}`)
  }
}

/**
 * An options object failed validation: `subject` is what was being configured (a strategy, a verifier, a
 * backend, …), `field` the offending option (a dotted path for nested ones), and `allowed` the option names
 * accepted at that level, when known.
 */
export class InvalidOptions extends Data.TaggedError("InvalidOptions")<{
  readonly subject: string
  readonly field: string
  readonly detail: string
  readonly allowed?: ReadonlyArray<string>
}> {
  override get message(): string {
    const allowed =
      this.allowed === undefined ? "" : this.allowed.length === 0 ? " (it takes no options)" : ` (allowed: ${this.allowed.join(", ")})`
    return `${this.subject}: option "${this.field}" ${this.detail}${allowed}`
  }
}

/**
 * A strategy that reads token confidence (DeepConf, Self-Certainty) asked the backend for top-k logprobs and got
 * none back: the backend cannot give them (or drops them). Retrying will not help; use a backend that returns them.
 */
export class LogprobsUnavailable extends Data.TaggedError("LogprobsUnavailable")<{
  readonly strategy: string
  readonly backend: string
  readonly detail: string
}> {
  override get message(): string {
    return Redaction.scrub(
      `${this.strategy} needs token logprobs with top-k alternatives, but ${this.backend} returned none (${this.detail}); ` +
        "use a backend that returns them (vLLM, llama.cpp, the simulator)"
    )
  }
}

/** Any error a search strategy can fail with. */
export type SearchError = LanguageModelError | VerifierError | InvalidOptions | BudgetExhausted | LogprobsUnavailable
