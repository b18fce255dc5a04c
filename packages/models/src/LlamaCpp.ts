/**
 * The llama.cpp backend: a GGUF model run in-process through node-llama-cpp, behind the `LanguageModel` contract.
 *
 * Use it to run stepwise on a local model without a server. The native engine comes prebuilt inside the
 * `@node-llama-cpp/<platform>` npm package (`getLlama({ build: "never" })`: nothing is downloaded or compiled at
 * run time); node-llama-cpp is an optional peer dependency, imported only when `make` runs, so `make` fails with
 * `Unavailable` naming the package to install where it is not installed.
 *
 * - The prompt is the model's chat template (or `chatTemplate`) rendered with the assistant's turn opened, then the
 *   request's `prefix` verbatim: a step continues the trajectory exactly.
 * - Stop strings are matched on the decoded text; the completion's text ends before the first match
 *   (`finishReason: "stop"`); an end-of-generation token gives `"eos"`, the token limit `"length"`.
 * - Token counts are exact, from the model's tokenizer; each sample reads the prompt on a sequence of its own (its
 *   input tokens are the prompt's), and a sequence that already holds the start of the prompt reuses it, reported
 *   as `cachedInputTokens`.
 * - Sample `i` of a request with `seed` `s` is sampled with seed `s + i`; temperature defaults to 1.
 * - Logprobs (when `logprobs` or `topLogprobs` is asked) are those of the distribution each token was sampled from,
 *   after temperature and top-p: equal to the model's own distribution at temperature 0 or 1 without top-p.
 * - Concurrency: one context with `sequences` sequences; samples and requests share them, batched by the engine.
 *
 * @example
 * const model = yield* LlamaCpp.make({ modelPath: "model.gguf", sequences: 4 })
 * const [completion] = yield* model.generate({ messages, prefix, n: 1, maxTokens: 256, stop: ["\n\n"] })
 */
import type { Llama, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp"
import type { Logprob, Step } from "@stepwise/core"
import { ChatTemplate, InvalidOptions, InvalidRequest, LanguageModel, Unavailable, Usage, withSpent } from "@stepwise/core"
import { Effect, Layer, Queue, Random, Result, Scope } from "effect"
import { availableParallelism } from "node:os"
import { basename } from "node:path"
import { z } from "zod"
import * as Backend from "./Backend.js"

/** Options of `make`. */
export interface Options {
  /** Path of the GGUF file. */
  readonly modelPath: string
  /** The backend's name in errors, traces and meters (default `"llama.cpp"`). */
  readonly name?: string
  /** Sequences of the context: how many samples run at once (default 4). */
  readonly sequences?: number
  /** Tokens each sequence holds, prompt plus output (default: the model's training context, at most 4096). */
  readonly contextSize?: number
  /** A Jinja chat template overriding the one in the file. */
  readonly chatTemplate?: string
  /** `false` (default) runs on the CPU; `"auto"` uses a GPU build when one is installed. */
  readonly gpu?: false | "auto"
  /** CPU threads (default: node-llama-cpp's choice). */
  readonly threads?: number
  /** Retries and time limit of the shared wrapper (`LanguageModel.make`). */
  readonly retry?: LanguageModel.RetryOptions
  readonly timeoutMillis?: number
  /** Output-token limits per role (e.g. the verifier's chains on a small context). */
  readonly maxTokens?: LanguageModel.RoleLimits
}

/** The service plus the model's tokenizer, for exact counts outside generation. */
export interface Service extends LanguageModel.Service {
  readonly tokenize: (text: string) => ReadonlyArray<number>
  readonly detokenize: (tokens: ReadonlyArray<number>) => string
  /** The prompt text a request is turned into (chat template, assistant turn opened, prefix). */
  readonly promptText: (request: LanguageModel.GenerateRequest) => string
  /** Tokens a sequence holds, prompt plus output (the engine may round the size asked for up). */
  readonly contextSize: number
}

/** The plain template used when neither the file nor the options carry one. */
export const fallbackTemplate =
  "{% for message in messages %}{{ message.role }}: {{ message.content }}\n\n{% endfor %}" +
  "{% if add_generation_prompt %}assistant: {% endif %}"

const llamas = new Map<string, Promise<Llama>>()

/** One engine per GPU setting per process: loading the native binding is the slow part. */
const loadLlama = (gpu: false | "auto"): Promise<Llama> => {
  const key = String(gpu)
  const existing = llamas.get(key)
  if (existing !== undefined) return existing
  const loading = import("node-llama-cpp").then(({ getLlama, LlamaLogLevel }) =>
    getLlama({ build: "never", gpu, logLevel: LlamaLogLevel.error, progressLogs: false })
  )
  llamas.set(key, loading)
  loading.catch(() => llamas.delete(key))
  return loading
}

/** Why node-llama-cpp could not be loaded: the package to install when it is missing, the engine's error otherwise. */
export const unavailableDetail = (error: unknown): string =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" &&
  String(error).includes("'node-llama-cpp'")
    ? "node-llama-cpp is not installed: it is an optional peer dependency of @stepwise/models; install it with `npm install node-llama-cpp@^3.22.1`"
    : `node-llama-cpp could not start its prebuilt engine: ${String(error)}`

const validate = (options: Options): Effect.Effect<void, InvalidOptions> => {
  const invalid = (field: string, detail: string) => Effect.fail(new InvalidOptions({ subject: "LlamaCpp", field, detail }))
  if (typeof options.modelPath !== "string" || options.modelPath.length === 0) return invalid("modelPath", "must be a path")
  if (options.sequences !== undefined && !(Number.isInteger(options.sequences) && options.sequences >= 1))
    return invalid("sequences", `must be an integer ≥ 1, got ${options.sequences}`)
  if (options.contextSize !== undefined && !(Number.isInteger(options.contextSize) && options.contextSize >= 16))
    return invalid("contextSize", `must be an integer ≥ 16, got ${options.contextSize}`)
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1))
    return invalid("threads", `must be an integer ≥ 1, got ${options.threads}`)
  return Effect.void
}

interface SampleSettings {
  readonly maxTokens: number
  readonly stop: ReadonlyArray<string>
  readonly temperature: number
  readonly topP: number
  readonly seed: number
  readonly topLogprobs: number | undefined
}

interface Sampled {
  readonly text: string
  readonly finishReason: Step.FinishReason
  readonly outputTokens: number
  readonly cachedInputTokens: number
  readonly logprobs: ReadonlyArray<Logprob.TokenLogprob> | undefined
}

const earliestStop = (text: string, stops: ReadonlyArray<string>): number | undefined => {
  let earliest: number | undefined
  for (const stop of stops) {
    if (stop.length === 0) continue
    const at = text.indexOf(stop)
    if (at >= 0 && (earliest === undefined || at < earliest)) earliest = at
  }
  return earliest
}

/** Generates one sample on a sequence: reuse the cached prompt start, evaluate the rest, sample until a stop. */
const sampleOn = async (
  model: LlamaModel,
  sequence: LlamaContextSequence,
  prompt: ReadonlyArray<Token>,
  settings: SampleSettings,
  signal: AbortSignal
): Promise<Sampled> => {
  // At least one prompt token must be evaluated to get the next token's distribution.
  await sequence.adaptStateToTokens(prompt.slice(0, -1) as Array<Token>, false)
  const cachedInputTokens = sequence.nextTokenIndex
  const input = prompt.slice(cachedInputTokens) as Array<Token>
  const evaluateOptions = {
    temperature: settings.temperature,
    topP: settings.topP,
    topK: 0,
    minP: 0,
    seed: settings.seed,
    yieldEogToken: true
  }
  const generated: Array<Token> = []
  const logprobs: Array<Logprob.TokenLogprob> = []
  let outputTokens = 0
  let finishReason: Step.FinishReason = "length"
  let text = ""
  const wantLogprobs = settings.topLogprobs !== undefined
  const iterator = sequence.evaluateWithMetadata(input, { probabilities: wantLogprobs }, evaluateOptions)
  for await (const output of iterator) {
    if (signal.aborted) break
    const token = output.token
    outputTokens++
    if (model.isEogToken(token)) {
      finishReason = "eos"
      break
    }
    if (wantLogprobs && "probabilities" in output) {
      const probabilities = output.probabilities as Map<Token, number>
      const top: Array<{ token: string; logprob: number }> = []
      for (const [candidate, probability] of probabilities) {
        if (top.length >= (settings.topLogprobs ?? 0)) break
        top.push({ token: model.detokenize([candidate], true), logprob: Math.log(probability) })
      }
      logprobs.push({
        token: model.detokenize([token], true),
        logprob: Math.log(probabilities.get(token) ?? 0),
        top
      })
    }
    generated.push(token)
    text = model.detokenize(generated)
    const stopAt = earliestStop(text, settings.stop)
    if (stopAt !== undefined) {
      text = text.slice(0, stopAt)
      finishReason = "stop"
      break
    }
    if (outputTokens >= settings.maxTokens) break
  }
  return { text, finishReason, outputTokens, cachedInputTokens, logprobs: wantLogprobs ? logprobs : undefined }
}

/**
 * Loads the model and returns the backend as a `LanguageModel` (built through `LanguageModel.make`). The model and
 * its context are released with the scope.
 */
export const make = (
  options: Options
): Effect.Effect<Service, InvalidOptions | Unavailable, Scope.Scope> =>
  Effect.gen(function* () {
    yield* validate(options)
    const name = options.name ?? "llama.cpp"
    const llama = yield* Effect.tryPromise({
      try: () => loadLlama(options.gpu ?? false),
      catch: (error) => new Unavailable({ backend: name, detail: unavailableDetail(error) })
    })
    const model = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => llama.loadModel({ modelPath: options.modelPath, gpuLayers: options.gpu === "auto" ? "auto" : 0 }),
        catch: (error) =>
          new InvalidOptions({ subject: "LlamaCpp", field: "modelPath", detail: `cannot be loaded: ${String(error)}` })
      }),
      (loaded) => Effect.promise(() => loaded.dispose())
    )
    const sequences = options.sequences ?? 4
    const contextSize = options.contextSize ?? Math.min(model.trainContextSize, 4096)
    const context = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          model.createContext({
            contextSize,
            sequences,
            ...(options.threads === undefined ? {} : { threads: options.threads })
          }),
        catch: (error) => new Unavailable({ backend: name, detail: `cannot create a context: ${String(error)}` })
      }),
      (created) => Effect.promise(() => created.dispose())
    )
    const pool = yield* Queue.bounded<LlamaContextSequence>(sequences)
    for (let index = 0; index < sequences; index++) yield* Queue.offer(pool, context.getSequence())

    const fileTemplate = model.fileInfo.metadata.tokenizer?.chat_template
    const template = yield* ChatTemplate.fromString(
      options.chatTemplate ?? (typeof fileTemplate === "string" ? fileTemplate : fallbackTemplate),
      { bosToken: model.tokens.bosString ?? undefined, eosToken: model.tokens.eosString ?? undefined }
    )

    const tokenizePrompt = (text: string): Array<Token> => {
      const tokens = model.tokenize(text, true)
      const bos = model.tokens.bos
      if (model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) return [bos, ...tokens]
      return tokens
    }
    const promptText = (request: LanguageModel.GenerateRequest) =>
      ChatTemplate.renderText(template, request.messages, true) + (request.prefix ?? "")
    // A bound on the prompt tokens a request pays for: each of its `n` samples reads the prompt on its own sequence.
    const countInputTokens = (request: LanguageModel.GenerateRequest): number => {
      try {
        return request.n * tokenizePrompt(promptText(request)).length
      } catch {
        return request.n * LanguageModel.upperBoundInputTokens(request)
      }
    }

    /** Runs one sample on a free sequence; the sequence goes back to the pool only once its work has stopped. */
    const onSequence = (prompt: ReadonlyArray<Token>, settings: SampleSettings) =>
      Effect.acquireUseRelease(
        Effect.map(Queue.take(pool), (sequence) => ({ sequence, pending: undefined as Promise<unknown> | undefined })),
        (lease) =>
          Effect.tryPromise({
            try: (signal) => {
              const pending = sampleOn(model, lease.sequence, prompt, settings, signal)
              lease.pending = pending
              return pending
            },
            catch: (error) => new Unavailable({ backend: name, detail: `generation failed: ${String(error)}` })
          }),
        (lease) =>
          Effect.andThen(
            Effect.promise(() => Promise.resolve(lease.pending).then(() => undefined, () => undefined)),
            Queue.offer(pool, lease.sequence)
          )
      )

    const generate = (request: LanguageModel.GenerateRequest) =>
      Effect.gen(function* () {
        const text = yield* ChatTemplate.continuation(template, request.messages, request.prefix, name)
        const prompt = tokenizePrompt(text)
        if (prompt.length >= context.contextSize)
          return yield* Effect.fail(
            new InvalidRequest({
              backend: name,
              field: "messages",
              detail: `the prompt (${prompt.length} tokens) fills the context size ${context.contextSize}: raise contextSize`
            })
          )
        // The output is cut where the context ends (finish reason "length"), as a server with a fixed context does.
        const maxTokens = Math.min(request.maxTokens, context.contextSize - prompt.length)
        const baseSeed = request.seed ?? (yield* Random.nextIntBetween(0, 2 ** 31 - 1))
        const topLogprobs =
          request.topLogprobs !== undefined ? request.topLogprobs : request.logprobs === true ? 0 : undefined
        const results = yield* Effect.forEach(
          Array.from({ length: request.n }, (_, index) => index),
          (index) =>
            Effect.result(
              onSequence(prompt, {
                maxTokens,
                stop: request.stop ?? [],
                temperature: request.temperature ?? 1,
                topP: request.topP ?? 1,
                seed: (baseSeed + index) >>> 0,
                topLogprobs
              })
            ),
          { concurrency: "unbounded" }
        )
        // A sample that failed fails the call, saying what the samples that finished spent (charged, as the HTTP
        // backends' answered requests are).
        const failed = results.find(Result.isFailure)
        if (failed !== undefined)
          return yield* Effect.fail(
            withSpent(
              failed.failure,
              Usage.sum(
                results.flatMap((result) =>
                  Result.isSuccess(result)
                    ? [Usage.make({ inputTokens: prompt.length, outputTokens: result.success.outputTokens, cachedInputTokens: result.success.cachedInputTokens })]
                    : []
                )
              )
            )
          )
        const samples = results.flatMap((result) => (Result.isSuccess(result) ? [result.success] : []))
        return samples.map(
          (sample, index): LanguageModel.Completion => ({
            index,
            text: sample.text,
            finishReason: sample.finishReason,
            // Each sample runs on a sequence of its own, which reads the prompt past what it held already.
            usage: Usage.make({
              inputTokens: prompt.length,
              outputTokens: sample.outputTokens,
              cachedInputTokens: sample.cachedInputTokens
            }),
            ...(sample.logprobs === undefined ? {} : { logprobs: sample.logprobs })
          })
        )
      })

    const service = LanguageModel.make(
      { info: { name, model: options.modelPath, logprobs: "always", continuesWith: "generation-prompt" }, generate, countInputTokens, promptPerSample: true },
      {
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis }),
        ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens })
      }
    )
    return {
      ...service,
      tokenize: (text: string) => model.tokenize(text, false),
      detokenize: (tokens: ReadonlyArray<number>) => model.detokenize(tokens as Array<Token>),
      contextSize: context.contextSize,
      promptText
    }
  })

/**
 * The `gguf` kind's default thread count: half the CPU cores, at least 1. Measured on a 2-core machine under a load
 * average of ~12, `stepwise solve --gguf` on the test model took 194 s with node-llama-cpp's own default and 17 s
 * with 1 thread.
 */
export const defaultThreads = Math.max(1, Math.floor(availableParallelism() / 2))

/** The options of the `gguf` backend kind as a user writes them (strict; defaults declared). */
export const options = z
  .object({
    path: z.string().min(1).describe("Path of the GGUF file (relative to the recipe's folder)."),
    contextSize: z.number().int().min(16).optional().describe("Tokens each sequence holds, prompt plus output (default: the model's training context, at most 4096)."),
    sequences: z.number().int().min(1).default(4).describe("Samples that run at once."),
    chatTemplate: z
      .string()
      .min(1)
      .optional()
      .describe("A chat template overriding the file's: a model folder, a tokenizer_config.json, or a .jinja file."),
    gpu: z.union([z.literal(false), z.literal("auto")]).default(false).describe('false runs on the CPU; "auto" uses a GPU build when one is installed.'),
    threads: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("CPU threads (default: half the CPU cores, at least 1: more spin against each other on a busy machine)."),
    maxTokens: Backend.maxTokensOption.optional(),
    timeoutMillis: z.number().positive().optional().describe("Time limit per call."),
    name: z.string().min(1).optional().describe("The backend's name in errors, traces and meters (default llama.cpp).")
  })
  .strict()

/**
 * The `gguf` entry of the backend registry: the model run in-process (node-llama-cpp, imported only when used),
 * with a ThinkPRM over the same model as the default verifier.
 */
export const entry = Backend.define({
  kind: "gguf",
  description: "A GGUF model run in-process by llama.cpp (node-llama-cpp's prebuilt CPU engine): exact token counts and logprobs.",
  options,
  build: (settings, context) =>
    Effect.gen(function* () {
      const template = settings.chatTemplate === undefined ? undefined : yield* ChatTemplate.fromPath(Backend.pathIn(context, settings.chatTemplate))
      const path = Backend.pathIn(context, settings.path)
      const languageModel = yield* make({
        modelPath: path,
        sequences: settings.sequences,
        gpu: settings.gpu,
        ...(settings.name === undefined ? {} : { name: settings.name }),
        ...(settings.contextSize === undefined ? {} : { contextSize: settings.contextSize }),
        ...(template === undefined ? {} : { chatTemplate: template.source }),
        threads: settings.threads ?? defaultThreads,
        ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
        ...(settings.timeoutMillis === undefined ? {} : { timeoutMillis: settings.timeoutMillis })
      })
      return { label: `gguf/${basename(path)}`, languageModel, defaultVerifier: Backend.thinkPrm } satisfies Backend.Made
    })
})

/** The backend as a layer providing `LanguageModel`; the model is released when the layer is. */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, InvalidOptions | Unavailable> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
