/**
 * A token counter: the piece a backend needs to estimate usage when a server reports none.
 *
 * Use `fromGguf` to count with a model's real tokenizer (the vocabulary of a GGUF file, loaded without weights
 * through node-llama-cpp), or `fromLlamaCpp` to reuse a loaded llama.cpp backend's tokenizer.
 *
 * @example
 * const tokenizer = yield* Tokenizer.fromGguf("qwen2.5-math-7b.gguf")
 * const model = yield* HuggingFace.make({ endpointUrl, model: "qwen", tokenizer })
 */
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

/**
 * A tokenizer from a path: a `.gguf` file (its vocabulary, through node-llama-cpp, loaded lazily). Other formats
 * fail with `InvalidOptions` on `tokenizer` naming what is accepted.
 */
export const fromPath = (path: string): Effect.Effect<Tokenizer, InvalidOptions | Unavailable, Scope.Scope> =>
  path.toLowerCase().endsWith(".gguf")
    ? fromGguf(path)
    : Effect.fail(new InvalidOptions({ subject: "Tokenizer", field: "tokenizer", detail: `${path}: give a .gguf file` }))
