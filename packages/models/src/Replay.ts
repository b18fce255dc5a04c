/**
 * Record/replay over any `LanguageModel`: each request's completions are stored in SQLite, keyed by the
 * normalized request and the sample index, and served again from there, deterministically and at no cost.
 *
 * Use it to re-run a benchmark, or compare strategies on the very same samples, without calling the model twice.
 * Replays report the usage that was recorded, so budgets and spend behave exactly as in the recorded run.
 *
 * - The key is a SHA-256 of the backend's name and model, the messages, prefix, stop set (order and duplicates
 *   ignored), temperature, topP, seed and logprob settings. `n` is not part of it: sample `i` is looked up by
 *   index, and a request replays only when every one of its samples is recorded (otherwise the whole request is
 *   sent and recorded, since a server's sample `i` depends on the request, not on what is missing).
 * - `maxTokens` is matched leniently: a sample recorded under another limit is reused when it ended on its own
 *   (stop or end of sequence) within the requested limit; a sample cut by its limit is reused only for that limit.
 * - The wrapper is itself built by `LanguageModel.make` and calls the inner model unmetered, so every request is
 *   metered exactly once, replayed or not. Retries stay with the inner model.
 * - Storage is SQLite compiled to WebAssembly (`node-sqlite3-wasm`): it installs from npm without a native build.
 *
 * @example
 * const model = yield* Replay.make(yield* LanguageModel.LanguageModel, { path: "runs/samples.sqlite" })
 */
import { createHash } from "node:crypto"
import type { LanguageModelError, Logprob, Step } from "@stepwise/core"
import { InvalidOptions, LanguageModel, Meter, Unavailable } from "@stepwise/core"
import { Effect, Layer } from "effect"
import type { Scope } from "effect"
import type Sqlite from "node-sqlite3-wasm"

/** `auto` replays what is recorded and records the rest; `replay` fails on anything not recorded; `record` always calls. */
export type Mode = "auto" | "replay" | "record"

/** Options of `make`. */
export interface Options {
  /** The SQLite file (created when missing), or `":memory:"`. */
  readonly path: string
  readonly mode?: Mode
}

/** Counts since the wrapper was made. */
export interface Stats {
  /** Requests served from the recording. */
  readonly replayed: number
  /** Requests sent to the inner model (and recorded). */
  readonly recorded: number
}

/** The wrapped model, with its replay counts. */
export interface Service extends LanguageModel.Service {
  readonly stats: () => Stats
}

const schema = `
CREATE TABLE IF NOT EXISTS completions (
  request_key TEXT NOT NULL,
  sample_index INTEGER NOT NULL,
  max_tokens INTEGER NOT NULL,
  text TEXT NOT NULL,
  finish_reason TEXT NOT NULL,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cached_input_tokens INTEGER,
  estimated INTEGER NOT NULL,
  logprobs TEXT,
  request TEXT NOT NULL,
  PRIMARY KEY (request_key, sample_index, max_tokens)
)`

/** The request with what does not change its samples removed, in a canonical form. */
export const normalize = (info: LanguageModel.Info, request: LanguageModel.GenerateRequest) => ({
  backend: info.name,
  model: info.model ?? null,
  messages: request.messages.map((message) => [message.role, message.content]),
  prefix: request.prefix ?? "",
  stop: [...new Set(request.stop ?? [])].sort(),
  temperature: request.temperature ?? null,
  topP: request.topP ?? null,
  seed: request.seed ?? null,
  topLogprobs: request.topLogprobs ?? null,
  logprobs: request.logprobs === true || request.topLogprobs !== undefined
})

/** The key of a request: a SHA-256 of its normalized form. */
export const requestKey = (info: LanguageModel.Info, request: LanguageModel.GenerateRequest): string =>
  createHash("sha256").update(JSON.stringify(normalize(info, request))).digest("hex")

type Row = Record<string, number | bigint | string | Uint8Array | null>

const countOf = (value: Row[string] | undefined): number | undefined =>
  value === null || value === undefined ? undefined : Number(value)

const completionOf = (row: Row, index: number): LanguageModel.Completion => {
  const estimated = Number(row["estimated"]) === 1
  const logprobs = row["logprobs"]
  return {
    index,
    text: String(row["text"]),
    finishReason: String(row["finish_reason"]) as Step.FinishReason,
    usage: {
      inputTokens: countOf(row["input_tokens"]),
      outputTokens: countOf(row["output_tokens"]),
      cachedInputTokens: countOf(row["cached_input_tokens"]),
      ...(estimated ? { estimated: true } : {})
    },
    ...(typeof logprobs === "string" ? { logprobs: JSON.parse(logprobs) as ReadonlyArray<Logprob.TokenLogprob> } : {})
  }
}

/**
 * Wraps a model with a recording. The database is opened now and closed with the scope.
 * Fails with `InvalidOptions` when the file cannot be opened or the mode is unknown.
 */
export const make = (
  inner: LanguageModel.Service,
  options: Options
): Effect.Effect<Service, InvalidOptions, Scope.Scope> =>
  Effect.gen(function* () {
    const mode = options.mode ?? "auto"
    if (mode !== "auto" && mode !== "replay" && mode !== "record")
      return yield* Effect.fail(new InvalidOptions({ subject: "Replay", field: "mode", detail: `must be auto, replay or record, got ${String(mode)}` }))
    // The SQLite engine loads with the first replay, not with the package (a simulator-only run never needs it).
    const engine: typeof Sqlite = yield* Effect.promise(() => import("node-sqlite3-wasm").then((module) => module.default))
    const database = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          const opened = new engine.Database(options.path)
          opened.exec(schema)
          return opened
        },
        catch: (error) => new InvalidOptions({ subject: "Replay", field: "path", detail: `cannot open ${options.path}: ${String(error)}` })
      }),
      (opened) => Effect.sync(() => opened.close())
    )
    const name = inner.info.name
    const storeFailure = (error: unknown) => new Unavailable({ backend: name, detail: `replay store failed: ${String(error)}` })
    let replayed = 0
    let recorded = 0

    const lookup = (key: string, request: LanguageModel.GenerateRequest) =>
      Effect.try({
        try: () => {
          const found: Array<LanguageModel.Completion> = []
          for (let index = 0; index < request.n; index++) {
            const row = database.get(
              `SELECT * FROM completions WHERE request_key = ? AND sample_index = ? AND (max_tokens = ? OR
                 (finish_reason <> 'length' AND output_tokens IS NOT NULL AND output_tokens <= ?))
               ORDER BY max_tokens = ? DESC, max_tokens ASC LIMIT 1`,
              [key, index, request.maxTokens, request.maxTokens, request.maxTokens]
            ) as Row | null
            if (row === null) return undefined
            found.push(completionOf(row, index))
          }
          return found
        },
        catch: storeFailure
      })

    const store = (key: string, request: LanguageModel.GenerateRequest, completions: ReadonlyArray<LanguageModel.Completion>) =>
      Effect.try({
        try: () => {
          const normalized = JSON.stringify(normalize(inner.info, request))
          database.exec("BEGIN")
          for (const completion of completions)
            database.run(
              `INSERT OR REPLACE INTO completions (request_key, sample_index, max_tokens, text, finish_reason, input_tokens,
                 output_tokens, cached_input_tokens, estimated, logprobs, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              [
                key,
                completion.index,
                request.maxTokens,
                completion.text,
                completion.finishReason,
                completion.usage.inputTokens ?? null,
                completion.usage.outputTokens ?? null,
                completion.usage.cachedInputTokens ?? null,
                completion.usage.estimated === true ? 1 : 0,
                completion.logprobs === undefined ? null : JSON.stringify(completion.logprobs),
                normalized
              ]
            )
          database.exec("COMMIT")
        },
        catch: (error) => {
          if (database.inTransaction) database.exec("ROLLBACK")
          return storeFailure(error)
        }
      })

    const callInner = (request: LanguageModel.GenerateRequest): Effect.Effect<ReadonlyArray<LanguageModel.Completion>, LanguageModelError> =>
      inner.generate(request).pipe(
        // The wrapper meters the call; the inner model must not meter it again.
        Effect.provideService(Meter.Meter, Meter.unmetered),
        Effect.catchTag("BudgetExhausted", (error) => Effect.die(error))
      )

    const generate = (request: LanguageModel.GenerateRequest) =>
      Effect.gen(function* () {
        const key = requestKey(inner.info, request)
        if (mode !== "record") {
          const found = yield* lookup(key, request)
          if (found !== undefined) {
            replayed++
            return found
          }
          if (mode === "replay")
            return yield* Effect.fail(new Unavailable({ backend: name, detail: `replay: no recording of request ${key.slice(0, 12)}` }))
        }
        const completions = yield* callInner(request)
        yield* store(key, request, completions)
        recorded++
        return completions
      })

    const service = LanguageModel.make(
      { info: inner.info, generate, countInputTokens: inner.countInputTokens },
      { retry: { times: 0, baseMillis: 0, capMillis: 0 } }
    )
    return { ...service, stats: () => ({ replayed, recorded }) }
  })

/** Wraps the `LanguageModel` in context with a recording (the layer replaces it). */
export const layer = (
  options: Options
): Layer.Layer<LanguageModel.LanguageModel, InvalidOptions, LanguageModel.LanguageModel> =>
  Layer.effect(LanguageModel.LanguageModel, Effect.flatMap(LanguageModel.LanguageModel, (inner) => make(inner, options)))
