/**
 * A token counter: the piece a backend needs to estimate usage when a server reports none.
 *
 * Use `fromTokenizerJson` to count with a model's `tokenizer.json` (`@huggingface/tokenizers`, pure JavaScript),
 * `fromGguf` with the vocabulary of a GGUF file (loaded without weights through node-llama-cpp), `fromPath` to take
 * either from a path, or `fromLlamaCpp` to reuse a loaded llama.cpp backend's tokenizer.
 *
 * @example
 * const tokenizer = yield* Tokenizer.fromGguf("qwen2.5-math-7b.gguf")
 * const model = yield* HuggingFace.make({ endpointUrl, model: "qwen", tokenizer })
 */
import { readFile, stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { InvalidOptions, Unavailable } from "@stepwise/core"
import { Effect } from "effect"
import type { Scope } from "effect"
import type * as LlamaCpp from "./LlamaCpp.js"

/** Counts the tokens of a text. */
export interface Tokenizer {
  readonly name: string
  readonly count: (text: string) => number
}

/** The tokenizer of a loaded llama.cpp backend. */
export const fromLlamaCpp = (model: LlamaCpp.Service): Tokenizer => ({
  name: model.info.name,
  count: (text) => model.tokenize(text).length
})

/** Loads only the vocabulary of a GGUF file (no weights) and counts with it; released with the scope. */
export const fromGguf = (path: string): Effect.Effect<Tokenizer, InvalidOptions | Unavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const llama = yield* Effect.tryPromise({
      try: () =>
        import("node-llama-cpp").then(({ getLlama, LlamaLogLevel }) =>
          getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error, progressLogs: false })
        ),
      catch: (error) => new Unavailable({ backend: "tokenizer", detail: `node-llama-cpp is not usable: ${String(error)}` })
    })
    const model = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => llama.loadModel({ modelPath: path, vocabOnly: true }),
        catch: (error) => new InvalidOptions({ subject: "Tokenizer", field: "path", detail: `cannot be loaded: ${String(error)}` })
      }),
      (loaded) => Effect.promise(() => loaded.dispose())
    )
    return { name: path, count: (text: string) => model.tokenize(text, false).length }
  })

const readJson = (path: string, field: string): Effect.Effect<Record<string, unknown>, InvalidOptions> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (error) => new InvalidOptions({ subject: "Tokenizer", field, detail: `cannot be read (${path}): ${(error as { code?: string }).code ?? "read error"}` })
    }),
    (text) =>
      Effect.try({
        try: () => JSON.parse(text) as Record<string, unknown>,
        catch: () => new InvalidOptions({ subject: "Tokenizer", field, detail: `is not JSON (${path})` })
      })
  )

/**
 * Counts with a Hugging Face `tokenizer.json` (and the `tokenizer_config.json` beside it, when there is one)
 * through `@huggingface/tokenizers` (pure JavaScript, loaded on first use): the model's own tokenizer, offline.
 * Special tokens are not added, as in a chat template's rendered text.
 *
 * @example
 * const tokenizer = yield* Tokenizer.fromTokenizerJson("models/Qwen2.5-Math-7B-Instruct/tokenizer.json")
 */
export const fromTokenizerJson = (path: string): Effect.Effect<Tokenizer, InvalidOptions> =>
  Effect.gen(function* () {
    const definition = yield* readJson(path, "tokenizer")
    const configPath = join(dirname(path), "tokenizer_config.json")
    const hasConfig = yield* Effect.promise(() => stat(configPath).then(() => true, () => false))
    const config = hasConfig ? yield* readJson(configPath, "tokenizer") : {}
    const library = yield* Effect.promise(() => import("@huggingface/tokenizers"))
    const tokenizer = yield* Effect.try({
      try: () => new library.Tokenizer(definition, config),
      catch: (error) => new InvalidOptions({ subject: "Tokenizer", field: "tokenizer", detail: `${path} is not a tokenizer this library reads: ${String(error)}` })
    })
    return { name: path, count: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids.length }
  })

/**
 * A tokenizer from a path: a `.gguf` file (its vocabulary, through node-llama-cpp, loaded lazily), a
 * `tokenizer.json`, or a Hub-style model folder holding one. Anything else fails with `InvalidOptions` on
 * `tokenizer` saying what is accepted.
 */
export const fromPath = (path: string): Effect.Effect<Tokenizer, InvalidOptions | Unavailable, Scope.Scope> =>
  Effect.gen(function* () {
    if (path.toLowerCase().endsWith(".gguf")) return yield* fromGguf(path)
    if (path.toLowerCase().endsWith(".json")) return yield* fromTokenizerJson(path)
    const inFolder = join(path, "tokenizer.json")
    if (yield* Effect.promise(() => stat(inFolder).then((found) => found.isFile(), () => false))) return yield* fromTokenizerJson(inFolder)
    return yield* Effect.fail(
      new InvalidOptions({ subject: "Tokenizer", field: "tokenizer", detail: `${path}: give a .gguf file, a tokenizer.json, or a model folder holding tokenizer.json` })
    )
  })
