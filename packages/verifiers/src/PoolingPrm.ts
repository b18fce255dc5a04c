import { Duration, Effect, Random, Schema } from "effect"
import type { BudgetExhausted, InvalidOptions, LanguageModelError, Problem } from "@stepwise/core"
import { BadResponse, InvalidRequest, ProcessRewardModel, RateLimited, Timeout, Trajectory, Unavailable, Usage, VerifierError } from "@stepwise/core"
import * as OptionCheck from "./OptionCheck.js"

/**
 * A discriminative PRM served by vLLM's `/pooling` endpoint, for Qwen2.5-Math-PRM-style models: the steps are
 * joined with the step tag after each one (`<extra_0>` by default), the server returns one [P(negative),
 * P(positive)] pair per tag, and step k's score is the positive entry at the k-th tag.
 *
 * The request is `POST {url}/pooling` with `{ model, messages }` (system prompt, the question as the user
 * turn, the tagged steps as the assistant turn; the server applies the chat template), or with
 * `{ model, input }` when `format: "input"` (you give the whole text through `render`). The response is decoded
 * with Effect Schema. HTTP failures are typed — 429 `RateLimited` (Retry-After honoured), 5xx and dropped
 * connections `Unavailable`, other 4xx `InvalidRequest`, undecodable bodies `BadResponse`, slow answers
 * `Timeout` — retried when worth it, then reported as `VerifierError` whose `cause` is that typed error.
 *
 * Spend: one verifier call per score; its prompt tokens (the server's `usage.prompt_tokens`, or the reserved
 * upper bound when it reports none) count as verifier tokens.
 *
 * @example
 * const prm = yield* PoolingPrm.make({ url: "http://127.0.0.1:8000", model: "Qwen/Qwen2.5-Math-PRM-7B" })
 */
export interface Options {
  /** The server's base URL (without `/pooling`). */
  readonly url: string
  readonly model: string
  /** The tag after each step (default "<extra_0>"). */
  readonly stepTag?: string
  /** What separates a tagged step from the next (default ""). */
  readonly delimiter?: string
  /** The system prompt (default Qwen2.5-Math's). */
  readonly system?: string
  /** `messages` (default; the server applies the chat template) or `input` (the text from `render`). */
  readonly format?: "messages" | "input"
  /** Renders the whole input text for `format: "input"` from the question and the tagged steps. */
  readonly render?: (question: string, taggedSteps: string) => string
  /** Which entry of each pair is the positive class (default 1). */
  readonly positiveIndex?: number
  /** Extra body fields (e.g. `{ task: "token_classify" }` on newer servers). */
  readonly body?: Readonly<Record<string, unknown>>
  readonly headers?: Readonly<Record<string, string>>
  /** Time limit per attempt (default 60 s). */
  readonly timeoutMillis?: number
  /** Retries after the first attempt (default 3), exponential backoff from `retryBaseMillis` (default 200). */
  readonly retries?: number
  readonly retryBaseMillis?: number
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof globalThis.fetch
  readonly name?: string
}

/** Qwen2.5-Math's system prompt. */
export const defaultSystem = "Please reason step by step, and put your final answer within \\boxed{}."

/** The `/pooling` response, as far as it is read. */
export const PoolingResponse = Schema.Struct({
  data: Schema.Array(
    Schema.Struct({
      index: Schema.optional(Schema.Number),
      data: Schema.Array(Schema.Array(Schema.Number))
    })
  ),
  usage: Schema.optional(
    Schema.Struct({
      prompt_tokens: Schema.optional(Schema.Number)
    })
  )
})

/** The steps with the tag after each, joined by the delimiter; tags inside step texts are removed. */
export const tagSteps = (stepTexts: ReadonlyArray<string>, stepTag: string, delimiter: string): string =>
  stepTexts.map((text) => text.split(stepTag).join("") + stepTag).join(delimiter)

const utf8 = new TextEncoder()

const retryAfterMillis = (header: string | null): number | undefined => {
  if (header === null) return undefined
  // Seconds only; an HTTP date falls back to the backoff (time is read from the Clock, never the wall).
  const seconds = Number(header)
  return header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}

/** Makes the PRM (validated options), built through `ProcessRewardModel.make`. */
export const make = (options: Options): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    const subject = "PoolingPrm"
    yield* OptionCheck.require(subject, "url", /^https?:\/\/\S+$/.test(options.url ?? ""), `must be an http(s) URL, got ${String(options.url)}`)
    yield* OptionCheck.require(subject, "model", typeof options.model === "string" && options.model.length > 0, "must be a model name")
    yield* OptionCheck.require(subject, "stepTag", options.stepTag === undefined || options.stepTag.length > 0, "must not be empty")
    yield* OptionCheck.require(subject, "format", options.format === undefined || options.format === "messages" || options.format === "input", `must be "messages" or "input"`)
    yield* OptionCheck.require(subject, "render", options.format !== "input" || typeof options.render === "function", `is needed with format "input"`)
    yield* OptionCheck.integerAtLeast(subject, "positiveIndex", options.positiveIndex, 0)
    yield* OptionCheck.positive(subject, "timeoutMillis", options.timeoutMillis)
    yield* OptionCheck.integerAtLeast(subject, "retries", options.retries, 0)
    yield* OptionCheck.integerAtLeast(subject, "retryBaseMillis", options.retryBaseMillis, 0)
    const name = options.name ?? `pooling-prm(${options.model})`
    const endpoint = options.url.replace(/\/+$/, "") + "/pooling"
    const stepTag = options.stepTag ?? "<extra_0>"
    const delimiter = options.delimiter ?? ""
    const positiveIndex = options.positiveIndex ?? 1
    const timeoutMillis = options.timeoutMillis ?? 60_000
    const retries = options.retries ?? 3
    const retryBaseMillis = options.retryBaseMillis ?? 200
    const doFetch = options.fetch ?? globalThis.fetch

    const bodyOf = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Record<string, unknown> => {
      const tagged = tagSteps(Trajectory.stepTexts(trajectory), stepTag, delimiter)
      const prompt =
        options.format === "input" && options.render !== undefined
          ? { input: options.render(problem.question, tagged) }
          : {
              messages: [
                { role: "system", content: options.system ?? defaultSystem },
                { role: "user", content: problem.question },
                { role: "assistant", content: tagged }
              ]
            }
      return { ...options.body, model: options.model, ...prompt }
    }

    const attempt = (body: string): Effect.Effect<unknown, LanguageModelError> =>
      Effect.gen(function* () {
        const response = yield* Effect.tryPromise({
          try: (signal) =>
            doFetch(endpoint, { method: "POST", headers: { "content-type": "application/json", ...options.headers }, body, signal }),
          catch: (cause) => new Unavailable({ backend: name, detail: `request failed: ${String(cause)}` })
        })
        const text = yield* Effect.tryPromise({
          try: () => response.text(),
          catch: (cause) => new Unavailable({ backend: name, detail: `connection dropped: ${String(cause)}`, status: response.status })
        })
        if (response.status === 429)
          return yield* Effect.fail(
            new RateLimited({ backend: name, retryAfterMillis: retryAfterMillis(response.headers.get("retry-after")), detail: text.slice(0, 200) })
          )
        if (response.status >= 500)
          return yield* Effect.fail(new Unavailable({ backend: name, detail: `HTTP ${response.status}: ${text.slice(0, 200)}`, status: response.status }))
        if (response.status >= 400)
          return yield* Effect.fail(new InvalidRequest({ backend: name, detail: `HTTP ${response.status}: ${text.slice(0, 200)}` }))
        return yield* Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: () => new BadResponse({ backend: name, detail: `not JSON: ${text.slice(0, 200)}` })
        })
      }).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(timeoutMillis),
          orElse: () => Effect.fail(new Timeout({ backend: name, afterMillis: timeoutMillis }))
        })
      )

    const decode = (trajectory: Trajectory.Trajectory) => (json: unknown): Effect.Effect<ProcessRewardModel.Scoring, BadResponse> =>
      Effect.flatMap(
        Effect.mapError(Schema.decodeUnknownEffect(PoolingResponse)(json), (error) => new BadResponse({ backend: name, detail: error.message })),
        (response) => {
          const pairs = response.data[0]?.data ?? []
          if (pairs.length !== trajectory.length)
            return Effect.fail(new BadResponse({ backend: name, detail: `${pairs.length} step scores for ${trajectory.length} steps` }))
          const stepScores = pairs.map((pair) => pair[positiveIndex])
          if (stepScores.some((score) => score === undefined || !(score >= 0 && score <= 1)))
            return Effect.fail(new BadResponse({ backend: name, detail: `a step's positive probability is missing or outside [0, 1]` }))
          return Effect.succeed({
            stepScores: stepScores as ReadonlyArray<number>,
            usage: Usage.make({ inputTokens: response.usage?.prompt_tokens, outputTokens: 0, cachedInputTokens: undefined })
          })
        }
      )

    const withRetries = (body: string, trajectory: Trajectory.Trajectory, attemptNumber: number): Effect.Effect<ProcessRewardModel.Scoring, LanguageModelError> =>
      Effect.flatMap(attempt(body), decode(trajectory)).pipe(
        Effect.catchIf(
          (error: LanguageModelError) => error._tag !== "InvalidRequest" && attemptNumber < retries,
          (error) =>
            Effect.flatMap(Random.next, (jitter) => {
              const millis =
                error._tag === "RateLimited" && error.retryAfterMillis !== undefined
                  ? error.retryAfterMillis
                  : Math.min(10_000, retryBaseMillis * 2 ** attemptNumber) * (0.5 + jitter / 2)
              return Effect.andThen(Effect.sleep(Duration.millis(millis)), withRetries(body, trajectory, attemptNumber + 1))
            })
        )
      )

    const score = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<ProcessRewardModel.Scoring, VerifierError | BudgetExhausted> =>
      trajectory.length === 0
        ? Effect.succeed({ stepScores: [], usage: Usage.zero })
        : withRetries(JSON.stringify(bodyOf(problem, trajectory)), trajectory, 0).pipe(
            Effect.mapError((error) => new VerifierError({ verifier: name, detail: error.message, cause: error }))
          )

    return ProcessRewardModel.make({
      info: { name },
      score,
      // An upper bound on the prompt tokens: a byte-level tokenizer never makes more tokens than bytes.
      maxTokens: (problem, trajectory) => utf8.encode(JSON.stringify(bodyOf(problem, trajectory))).length + 64
    })
  })
