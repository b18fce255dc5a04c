import { Duration, Effect, Exit, Request, RequestResolver, Schema } from "effect"
import { z } from "zod"
import type { BudgetExhausted, LanguageModelError, Problem } from "@stepwise/core"
import { BadResponse, ChatTemplate, InvalidOptions, InvalidRequest, Message, isRetryable, Options as OptionSchemas, PooledFetch, ProcessRewardModel, Retry, Timeout, Trajectory, Unavailable, Usage, VerifierError } from "@stepwise/core"
import * as Verifier from "./Verifier.js"

/** Qwen2.5-Math's system prompt. */
export const defaultSystem = "Please reason step by step, and put your final answer within \\boxed{}."

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
 * **Batching.** With the input rendered here (`chatTemplate` or `render`, format "input"), scorings asked for
 * together (the calls of one search round, which start in the same moment) go out as one request whose `input` is
 * the list of their texts, up to `batch` of them (default 32), and the server's `data` is matched back by `index`:
 * one HTTP exchange per round instead of one per trajectory. A batch the server refuses (a 4xx other than 404) or
 * answers unreadably, after its retries, is sent again one input per request, so one bad trajectory fails only its
 * own call. A chat request (`format: "messages"`) holds one conversation, so it is never batched. An OpenAI-style
 * base URL (ending in `/v1`) is taken as the server's root.
 *
 * Spend: one verifier call per score, each metered by itself; its prompt tokens (the server's
 * `usage.prompt_tokens`, or the reserved upper bound when it reports none) count as verifier tokens. A batched
 * request's total is shared out over its inputs in proportion to their lengths (whole tokens, the shares summing to
 * the total).
 *
 * @example
 * const prm = yield* PoolingPrm.make({ url: "http://127.0.0.1:8000", model: "Qwen/Qwen2.5-Math-PRM-7B" })
 */
export const options = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\/\S+$/, "must be an http(s) URL")
      .optional()
      .describe("The server's base URL, without /pooling (default: the policy's server)."),
    model: z.string().min(1).optional().describe("The PRM's served name (default: the policy's model)."),
    apiKeyEnv: z.string().min(1).optional().describe("Name of the environment variable holding the server's API key (sent as a Bearer token)."),
    stepTag: z.string().min(1).default("<extra_0>").describe("The tag after each step."),
    delimiter: z.string().default("").describe("What separates a tagged step from the next."),
    system: z.string().default(defaultSystem).describe("The system prompt (Qwen2.5-Math's)."),
    format: z
      .enum(["messages", "input"])
      .optional()
      .describe("messages (the server applies the chat template) or input (the text rendered here; default when chatTemplate or render is given)."),
    chatTemplate: z
      .string()
      .min(1)
      .optional()
      .describe("The PRM's chat template, to render the input here: a model folder, its tokenizer_config.json or a Jinja file (format input)."),
    batch: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Most scorings sent in one request, as an input list (format input; default 32). A chat request holds one conversation: 1 with messages."),
    render: OptionSchemas.code<(question: string, taggedSteps: string) => string>("a function from the question and the tagged steps to the input text").optional(),
    positiveIndex: z.number().int().min(0).default(1).describe("Which entry of each pair is the positive class."),
    body: z.record(z.string(), z.unknown()).optional().describe('Extra body fields (e.g. { "task": "token_classify" } on newer servers).'),
    timeoutMillis: z.number().positive().default(60_000).describe("Time limit per attempt."),
    retries: z.number().int().min(0).default(Retry.defaults.times).describe("Retries after the first attempt."),
    retryBaseMillis: z.number().int().min(0).default(Retry.defaults.baseMillis).describe("Base of the exponential backoff."),
    fetch: OptionSchemas.code<typeof globalThis.fetch>("a fetch function (a proxy, a test double); default: core's PooledFetch, kept-alive pooled connections").optional(),
    name: z.string().min(1).optional().describe("Name reported to traces and the accountant (default pooling-prm(model))."),
    headers: z.record(z.string(), z.string()).optional().describe("Extra request headers (code: keep keys out of files, use apiKeyEnv).")
  })
  .strict()
  .superRefine((settings, context) => {
    if (settings.format === "input" && settings.render === undefined && settings.chatTemplate === undefined)
      context.addIssue({ code: "custom", path: ["render"], message: 'is needed with format "input" (or give chatTemplate)' })
    if (settings.render !== undefined && settings.chatTemplate !== undefined)
      context.addIssue({ code: "custom", path: ["chatTemplate"], message: "give render or chatTemplate, not both" })
    if (settings.format === "messages" && (settings.render !== undefined || settings.chatTemplate !== undefined))
      context.addIssue({ code: "custom", path: [settings.render !== undefined ? "render" : "chatTemplate"], message: 'renders the input here, which format "messages" does not send' })
    if (formatOf(settings) === "messages" && settings.batch !== undefined && settings.batch > 1)
      context.addIssue({ code: "custom", path: ["batch"], message: 'must be 1 with format "messages" (a chat request holds one conversation); use format "input" to batch' })
  })

/** The format a request takes: as given, else input when the input is rendered here (render or chatTemplate). */
function formatOf(settings: { readonly format?: "messages" | "input" | undefined; readonly render?: unknown; readonly chatTemplate?: string | undefined }): "messages" | "input" {
  return settings.format ?? (settings.render !== undefined || settings.chatTemplate !== undefined ? "input" : "messages")
}

/** Options as a user writes them in code: `url` and `model` are required there (no policy server to default to). */
export type Options = Omit<z.input<typeof options>, "url" | "model"> & { readonly url: string; readonly model: string }

/** Validated options, defaults filled in, with the server's address and the API key read from the environment. */
type Settings = Omit<z.output<typeof options>, "format" | "render"> & {
  readonly url: string
  readonly model: string
  readonly apiKey: string | undefined
  readonly format: "messages" | "input"
  /** The input text from the question and the tagged steps (format input): the user's render or the chat template's. */
  readonly render: ((question: string, taggedSteps: string) => string) | undefined
}


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


/** One scoring waiting to be sent: its rendered input and how many steps it tags. */
class ScoreRequest extends Request.Class<{ readonly input: string; readonly steps: number }, ProcessRewardModel.Scoring, LanguageModelError> {}

/**
 * Shares a request's prompt-token total over its inputs in proportion to their lengths, in whole tokens that sum to
 * the total (largest remainders first; ties to the earlier input). Unknown stays unknown; one input gets it all.
 */
export const shareTokens = (total: number | undefined, lengths: ReadonlyArray<number>): ReadonlyArray<number | undefined> => {
  if (total === undefined) return lengths.map(() => undefined)
  if (lengths.length === 1) return [total]
  const sum = lengths.reduce((left, right) => left + right, 0)
  const exact = lengths.map((length) => (sum === 0 ? total / lengths.length : (total * length) / sum))
  const shares = exact.map(Math.floor)
  let left = total - shares.reduce((a, b) => a + b, 0)
  const order = exact.map((value, index) => [value - Math.floor(value), index] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, index] of order) {
    if (left <= 0) break
    shares[index]! += 1
    left -= 1
  }
  return shares
}

const build = (settings: Settings): ProcessRewardModel.Service => {
    const name = settings.name ?? `pooling-prm(${settings.model})`
    // `/pooling` sits at the server's root, beside `/v1` (an OpenAI-style base URL given here means the same server).
    const endpoint = settings.url.replace(/\/+$/, "").replace(/\/v1$/, "") + "/pooling"
    const { stepTag, delimiter, positiveIndex, timeoutMillis } = settings
    const doFetch = settings.fetch ?? PooledFetch.fetch
    const retry: Retry.Options = { times: settings.retries, baseMillis: settings.retryBaseMillis, capMillis: Retry.defaults.capMillis }
    const scrub = (text: string) => (settings.apiKey === undefined || settings.apiKey.length === 0 ? text : text.split(settings.apiKey).join("[redacted]"))
    const headers = {
      "content-type": "application/json",
      ...settings.headers,
      ...(settings.apiKey === undefined ? {} : { authorization: `Bearer ${settings.apiKey}` })
    }

    // The last rendered input of each trajectory: a call renders once for its bound (`maxTokens`) and once to send,
    // and a chat template's interpreter is the costliest part of a batched scoring (a profile of beam search).
    const renders = new WeakMap<Trajectory.Trajectory, { readonly problem: Problem.Problem; readonly input: string }>()
    const promptOf = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): string => {
      const known = renders.get(trajectory)
      if (known !== undefined && known.problem === problem) return known.input
      const input = settings.render!(problem.question, tagSteps(Trajectory.stepTexts(trajectory), stepTag, delimiter))
      renders.set(trajectory, { problem, input })
      return input
    }

    const bodyOf = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Record<string, unknown> => {
      const prompt =
        settings.render !== undefined
          ? { input: promptOf(problem, trajectory) }
          : {
              messages: [
                { role: "system", content: settings.system },
                { role: "user", content: problem.question },
                { role: "assistant", content: tagSteps(Trajectory.stepTexts(trajectory), stepTag, delimiter) }
              ]
            }
      return { ...settings.body, model: settings.model, ...prompt }
    }

    const attempt = (body: string): Effect.Effect<unknown, LanguageModelError> =>
      Effect.gen(function* () {
        const response = yield* Effect.tryPromise({
          try: (signal) => doFetch(endpoint, { method: "POST", headers, body, signal }),
          catch: (cause) => new Unavailable({ backend: name, detail: scrub(`request to ${endpoint} failed: ${PooledFetch.describeFailure(cause)}`) })
        })
        const text = yield* Effect.tryPromise({
          try: () => response.text(),
          catch: (cause) => new Unavailable({ backend: name, detail: scrub(`connection dropped: ${String(cause)}`), status: response.status })
        })
        if (response.status >= 400)
          return yield* Effect.flip(
            Retry.httpFailure({
              backend: name,
              status: response.status,
              // Scrubbed whole, then cut short: a key cut in two would no longer be recognised.
              detail:
                response.status === 429
                  ? scrub(text).slice(0, 200)
                  : `HTTP ${response.status}${response.status === 404 ? ` at ${endpoint} (is it serving /pooling?)` : ""}: ${scrub(text).slice(0, 200)}`,
              retryAfter: response.headers.get("retry-after"),
              ...(response.status === 404 ? { field: "url" } : {})
            })
          )
        return yield* Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: () => new BadResponse({ backend: name, detail: `not JSON: ${scrub(text).slice(0, 200)}` })
        })
      }).pipe(
        Effect.timeoutOrElse({
          duration: Duration.millis(timeoutMillis),
          orElse: () => Effect.fail(new Timeout({ backend: name, afterMillis: timeoutMillis }))
        })
      )

    const decodeError = (detail: string) => new BadResponse({ backend: name, detail })

    /** The scorings of a request's inputs (in order), from its decoded response; `lengths` weigh the usage shares. */
    const decode = (steps: ReadonlyArray<number>, lengths: ReadonlyArray<number>) => (json: unknown): Effect.Effect<ReadonlyArray<ProcessRewardModel.Scoring>, BadResponse> =>
      Effect.flatMap(
        Effect.mapError(Schema.decodeUnknownEffect(PoolingResponse)(json), (error) => decodeError(error.message)),
        (response) => {
          if (response.data.length !== steps.length)
            return Effect.fail(decodeError(`${response.data.length} results for ${steps.length} input${steps.length === 1 ? "" : "s"}`))
          const items = response.data.every((item) => item.index !== undefined)
            ? [...response.data].sort((left, right) => left.index! - right.index!)
            : response.data
          if (items.some((item, position) => item.index !== undefined && item.index !== position))
            return Effect.fail(decodeError(`result indices ${response.data.map((item) => item.index).join(", ")} are not 0…${steps.length - 1}`))
          const shares = shareTokens(response.usage?.prompt_tokens, lengths)
          const scorings: Array<ProcessRewardModel.Scoring> = []
          for (const [position, item] of items.entries()) {
            const pairs = item.data
            const expected = steps[position]!
            if (pairs.length !== expected)
              return Effect.fail(decodeError(`${pairs.length} step scores for ${expected} steps${steps.length === 1 ? "" : ` (input ${position})`}`))
            const stepScores = pairs.map((pair) => pair[positiveIndex])
            if (stepScores.some((score) => score === undefined || !(score >= 0 && score <= 1)))
              return Effect.fail(decodeError(`a step's positive probability is missing or outside [0, 1]`))
            scorings.push({
              stepScores: stepScores as ReadonlyArray<number>,
              usage: Usage.make({ inputTokens: shares[position], outputTokens: 0, cachedInputTokens: undefined })
            })
          }
          return Effect.succeed(scorings)
        }
      )

    // Retried on the one shared schedule (Retry): rate limits, time-outs, unavailable servers and bad bodies.
    const retried = Retry.retrying<LanguageModelError>(retry, isRetryable)
    const send = (body: string, steps: ReadonlyArray<number>, lengths: ReadonlyArray<number>) =>
      retried(Effect.flatMap(attempt(body), decode(steps, lengths)))
    // The request's errors name this verifier as their backend: its name is said once, by the VerifierError.
    const asVerifierError = (error: LanguageModelError) =>
      new VerifierError({ verifier: name, detail: error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message, cause: error })

    /** Sends inputs in one request (`input` a string for one, a list for more) and completes their entries. */
    const sendBatch = (entries: ReadonlyArray<Request.Entry<ScoreRequest>>): Effect.Effect<void, LanguageModelError> => {
      const inputs = entries.map((entry) => entry.request.input)
      const body = JSON.stringify({ ...settings.body, model: settings.model, input: inputs.length === 1 ? inputs[0] : inputs })
      return Effect.map(
        send(
          body,
          entries.map((entry) => entry.request.steps),
          inputs.map((input) => input.length)
        ),
        (scorings) => entries.forEach((entry, position) => entry.completeUnsafe(Exit.succeed(scorings[position]!)))
      )
    }

    // Scorings asked for in the same moment are gathered (Effect's request batching: the batch runs once the fibers
    // that were ready have asked), at most `batch` per request. A refused or unreadable batch is resent one by one.
    const batchSize = settings.batch ?? (settings.format === "input" ? 32 : 1)
    const resolver = RequestResolver.batchN(
      RequestResolver.make<ScoreRequest>((entries) =>
        Effect.catch(sendBatch(entries), (error) =>
          // (Not for a wrong address: every input alone would meet the same 404.)
          entries.length > 1 && ((error._tag === "InvalidRequest" && error.field !== "url") || error._tag === "BadResponse")
            ? Effect.forEach(entries, (entry) => Effect.catch(sendBatch([entry]), (alone) => Effect.sync(() => entry.completeUnsafe(Exit.fail(alone)))), {
                concurrency: "unbounded",
                discard: true
              })
            : Effect.sync(() => entries.forEach((entry) => entry.completeUnsafe(Exit.fail(error))))
        )
      ),
      batchSize
    )

    const score = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<ProcessRewardModel.Scoring, VerifierError | BudgetExhausted> => {
      if (trajectory.length === 0) return Effect.succeed({ stepScores: [], usage: Usage.zero })
      const rendered = Effect.try({
        try: () => (batchSize > 1 ? promptOf(problem, trajectory) : JSON.stringify(bodyOf(problem, trajectory))),
        catch: (error) => new InvalidRequest({ backend: name, field: "input", detail: `rendering the input failed: ${String(error)}` })
      })
      return Effect.flatMap(rendered, (text) =>
        batchSize > 1
          ? Effect.request(new ScoreRequest({ input: text, steps: trajectory.length }), resolver)
          : Effect.map(send(text, [trajectory.length], [text.length]), (scorings) => scorings[0]!)
      ).pipe(Effect.mapError(asVerifierError))
    }

    return ProcessRewardModel.make({
      info: { name, model: settings.model },
      score,
      // An upper bound on the prompt tokens: a byte-level tokenizer never makes more tokens than bytes. The input
      // rendered here is what the server tokenizes (its bytes, and room for special tokens); a chat request's
      // messages are bounded by their JSON, which holds every byte of them. (A render that throws fails the call
      // itself, with InvalidRequest; the bound then counts the chat form.)
      maxTokens: (problem, trajectory) => {
        let body: Record<string, unknown>
        try {
          if (settings.render !== undefined) return Buffer.byteLength(promptOf(problem, trajectory), "utf8") + 64
          body = bodyOf(problem, trajectory)
        } catch {
          body = { question: problem.question, system: settings.system, steps: tagSteps(Trajectory.stepTexts(trajectory), stepTag, delimiter) }
        }
        return Buffer.byteLength(JSON.stringify(body), "utf8") + 64
      }
    })
}

const settingsOf = (
  parsed: z.output<typeof options>,
  defaults: { readonly url: string | undefined; readonly model: string | undefined },
  environment: (name: string) => string | undefined
): Effect.Effect<Settings, InvalidOptions> => {
  const url = parsed.url ?? defaults.url
  const model = parsed.model ?? defaults.model
  if (url === undefined) return Effect.fail(new InvalidOptions({ subject: "pooling-prm", field: "url", detail: "is required: the policy is not served from a URL" }))
  if (model === undefined) return Effect.fail(new InvalidOptions({ subject: "pooling-prm", field: "model", detail: "is required: the policy names no model" }))
  const apiKey = parsed.apiKeyEnv === undefined ? undefined : environment(parsed.apiKeyEnv)
  if (parsed.apiKeyEnv !== undefined && (apiKey === undefined || apiKey.length === 0))
    return Effect.fail(new InvalidOptions({ subject: "pooling-prm", field: "apiKeyEnv", detail: `names the environment variable ${parsed.apiKeyEnv}, which is not set` }))
  const format = formatOf(parsed)
  const settings = (render: Settings["render"]): Settings => ({ ...parsed, url, model, apiKey, format, render })
  if (parsed.chatTemplate === undefined) return checkRender(settings(format === "input" ? parsed.render : undefined), "render")
  // As Qwen2.5-Math-PRM's model card renders it: system, question, tagged steps as the assistant turn, no generation prompt.
  return Effect.flatMap(
    Effect.mapError(ChatTemplate.fromPath(parsed.chatTemplate), (error) => new InvalidOptions({ subject: "pooling-prm", field: "chatTemplate", detail: error.detail })),
    (template) =>
      checkRender(
        // Without the template's BOS: the server adds its own when it tokenizes the input (as it does a completion's).
        settings((question, tagged) =>
          ChatTemplate.withoutBos(template, ChatTemplate.renderText(template, [Message.system(parsed.system), Message.user(question), Message.assistant(tagged)], false))
        ),
        "chatTemplate"
      )
  )
}

/** Renders a sample conversation once, so a template (or render) that cannot render at all fails when it is made. */
const checkRender = (settings: Settings, field: "render" | "chatTemplate"): Effect.Effect<Settings, InvalidOptions> => {
  const render = settings.render
  if (render === undefined) return Effect.succeed(settings)
  return Effect.as(
    Effect.try({
      try: () => render("What is 2 + 3?", tagSteps(["2 + 3 = 5."], settings.stepTag, settings.delimiter)),
      catch: (error) => new InvalidOptions({ subject: "pooling-prm", field, detail: `fails to render a sample conversation: ${String(error)}` })
    }),
    settings
  )
}

/**
 * The pooling PRM's entry of the verifier registry: on the policy's server and with the policy's model name unless
 * `url` and `model` say otherwise. Built through `ProcessRewardModel.make`.
 */
export const entry = Verifier.define({
  kind: "pooling-prm",
  description: "A discriminative PRM served at vLLM's /pooling (Qwen2.5-Math-PRM style): step k's score is P(positive) at its tag.",
  options,
  build: (parsed, context) =>
    Effect.map(
      settingsOf(parsed, { url: context.languageModel.info.baseUrl, model: context.languageModel.info.model }, context.environment),
      build
    )
})

/**
 * Makes the PRM (validated options; defaults filled in).
 *
 * @example
 * const prm = yield* PoolingPrm.make({ url: "http://127.0.0.1:8000", model: "Qwen/Qwen2.5-Math-PRM-7B" })
 */
export const make = (given: Options): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.flatMap(OptionSchemas.parse(options, given, "pooling-prm"), (parsed) =>
    Effect.map(settingsOf(parsed, { url: undefined, model: undefined }, (name) => process.env[name]), build)
  )
