import { Clock, Duration, Effect, Random, Schedule } from "effect"
import type { LanguageModelError } from "./Errors.js"
import { InvalidRequest, RateLimited, Timeout, Unavailable, isRetryable } from "./Errors.js"

/**
 * The one retry path of every call to a server: an Effect `Schedule` of capped exponential backoff with jitter
 * that waits the server's `Retry-After` when it sent one, the one `Retry-After` parser, and the one mapping of
 * an HTTP status to core's typed errors. `LanguageModel.make` retries every backend through it; a verifier that
 * calls a server itself (`PoolingPrm`) uses the same functions.
 */

/** Retry settings: attempts after the first, exponential backoff from `baseMillis` with jitter, capped at `capMillis`. */
export interface Options {
  readonly times: number
  readonly baseMillis: number
  readonly capMillis: number
}

/** Default retries: 3 more attempts, 200 ms base, 10 s cap. */
export const defaults: Options = { times: 3, baseMillis: 200, capMillis: 10_000 }

/**
 * The delay before retry number `retry` (0 for the first retry) after `error`: the server's Retry-After when a
 * rate limit carried one, else `min(cap, base · 2^retry)` scaled by a jitter factor in [0.5, 1) drawn from `Random`.
 */
export const delayMillis = (options: Options, retry: number, error: unknown): Effect.Effect<number> =>
  Effect.map(Random.next, (jitter) => {
    if (error instanceof RateLimited && error.retryAfterMillis !== undefined) return error.retryAfterMillis
    const exponential = Math.min(options.capMillis, options.baseMillis * 2 ** retry)
    return Math.round(exponential * (0.5 + jitter / 2))
  })

/** The backoff schedule over failures (its input is the error that failed the attempt). */
export const schedule = <E>(options: Options): Schedule.Schedule<Duration.Duration, E> =>
  Schedule.exponential(Duration.millis(options.baseMillis)).pipe(
    Schedule.setInputType<E>(),
    Schedule.modifyDelay(({ input, attempt }) => Effect.map(delayMillis(options, attempt - 1, input), Duration.millis))
  )

/**
 * The longest server's `Retry-After` a retry waits out: `capMillis`, or a minute when the cap is shorter. A rate limit
 * that asks for longer (a provider's daily quota: `Retry-After: 3600`) is not retried: the call fails at once with
 * it, where it would have slept for the hour unseen.
 */
export const longestWaitMillis = (options: Options): number => Math.max(options.capMillis, 60_000)

const waitable = (options: Options) => (error: unknown): boolean =>
  !(error instanceof RateLimited && error.retryAfterMillis !== undefined && error.retryAfterMillis > longestWaitMillis(options))

/**
 * Retries an effect's failures that `retryable` accepts, `options.times` times at most, on the backoff schedule;
 * never a rate limit whose `Retry-After` is longer than `longestWaitMillis`.
 * The schedule is built once per `retrying`; a call that succeeds (or fails for good) at its first attempt costs
 * one error handler, not a run of the schedule: the schedule starts at the first retryable failure, which it sees
 * as its first input, exactly as if it had run from the start.
 *
 * @example
 * const answer = yield* call.pipe(Retry.retrying(Retry.defaults, isRetryable))
 */
export const retrying = <E>(options: Options, retryableAtAll: (error: E) => boolean) => {
  const wait = waitable(options)
  const retryable = (error: E) => retryableAtAll(error) && wait(error)
  const policy = { schedule: schedule<E>(options), times: options.times, while: retryable }
  return <A, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    options.times <= 0
      ? effect
      : Effect.catch(effect, (first: E) => {
          if (!retryable(first)) return Effect.fail(first)
          // The attempt that already failed is replayed (as its error) so the schedule counts and delays from it.
          let replayed = false
          const again = Effect.suspend(() => {
            if (replayed) return effect
            replayed = true
            return Effect.fail(first)
          })
          return Effect.retry(again, policy)
        })
}

/** Retries the retryable language-model failures (rate limits, time-outs, unavailable servers, bad responses). */
export const languageModelFailures = (options: Options) => {
  const retried = retrying<LanguageModelError>(options, (error) => isLanguageModelError(error) && isRetryable(error))
  return <A, E, R>(effect: Effect.Effect<A, E | LanguageModelError, R>): Effect.Effect<A, E | LanguageModelError, R> =>
    retried(effect as Effect.Effect<A, LanguageModelError, R>) as Effect.Effect<A, E | LanguageModelError, R>
}

const languageModelTags: ReadonlySet<string> = new Set(["RateLimited", "Timeout", "BadResponse", "Unavailable", "InvalidRequest", "Unmetered"])

const isLanguageModelError = (error: unknown): error is LanguageModelError =>
  typeof error === "object" && error !== null && languageModelTags.has((error as { readonly _tag?: string })._tag ?? "")

/**
 * Reads an HTTP `Retry-After` header: delta-seconds (`"2"`, `"0.5"`) or an HTTP date, against `nowMillis`.
 * `undefined` when absent or unreadable; never negative.
 *
 * @example
 * Retry.retryAfterMillis("2", 0) // 2000
 */
export const retryAfterMillis = (header: string | null | undefined, nowMillis: number): number | undefined => {
  if (header === null || header === undefined || header.trim() === "") return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis)
}

/** What an HTTP failure is: the status, a detail (already scrubbed of secrets), its Retry-After, the field it names. */
export interface HttpFailure {
  readonly backend: string
  readonly status: number
  readonly detail: string
  readonly retryAfter?: string | null | undefined
  readonly field?: string | undefined
}

/**
 * Maps a non-2xx HTTP answer to core's typed errors: 429 `RateLimited` (with its Retry-After, read against the
 * `Clock`), 408 `Timeout`, 5xx and 424 `Unavailable` (TGI's failed generation, `FAILED_DEPENDENCY`), any other 4xx
 * `InvalidRequest` (naming the field when known).
 */
export const httpFailure = (failure: HttpFailure): Effect.Effect<LanguageModelError> =>
  Effect.map(Clock.currentTimeMillis, (now) => httpFailureAt(failure, now))

/** `httpFailure` at a given time (for code outside Effect). */
export const httpFailureAt = (failure: HttpFailure, nowMillis: number): LanguageModelError => {
  const { backend, status, detail } = failure
  if (status === 429) return new RateLimited({ backend, retryAfterMillis: retryAfterMillis(failure.retryAfter, nowMillis), detail })
  if (status === 408) return new Timeout({ backend, afterMillis: 0 })
  if (status >= 500 || status === 424) return new Unavailable({ backend, detail, status })
  return new InvalidRequest({ backend, detail, ...(failure.field === undefined ? {} : { field: failure.field }) })
}
