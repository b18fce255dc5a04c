import { resolve } from "node:path"
import { Effect } from "effect"
import type { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import { InvalidOptions } from "@stepwise/core"
import { Backends } from "@stepwise/harness"
import type { HuggingFace, LlamaCpp } from "@stepwise/models"
import { PoolingPrm, ThinkPrm } from "@stepwise/verifiers"

// The model backends (and their clients) load only when a command uses one: the simulator needs none of them.
const models = Effect.promise(() => import("@stepwise/models"))

/**
 * The verifier of an external backend, from the recipe's `verifier` settings: `{ kind: "think-prm", …ThinkPrm
 * options }` (default: a generative verifier over the policy model itself) or `{ kind: "pooling", url?, model, … }`
 * (a served discriminative PRM at `/pooling`, on the policy's server unless `url` is given).
 */
export const verifierOf = (
  languageModel: LanguageModel.Service,
  settings: Readonly<Record<string, unknown>> | undefined,
  serverUrl: string | undefined
): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> => {
  const { kind = "think-prm", ...options } = settings ?? {}
  if (kind === "think-prm") return ThinkPrm.make({ ...options, languageModel })
  if (kind === "pooling") {
    const url = typeof options["url"] === "string" ? options["url"] : serverUrl
    if (url === undefined) return Effect.fail(new InvalidOptions({ subject: "verifier", field: "url", detail: "is required for a pooling PRM" }))
    return PoolingPrm.make({ ...(options as Partial<PoolingPrm.Options>), url, model: String(options["model"] ?? "") })
  }
  return Effect.fail(new InvalidOptions({ subject: "verifier", field: "kind", detail: `must be "think-prm" or "pooling", got ${JSON.stringify(kind)}` }))
}

/** An OpenAI-compatible server (vLLM, TGI, llama.cpp server, Ollama, …) through `@stepwise/models`' Hugging Face backend. */
export const endpoint = (spec: {
  readonly url: string
  readonly model: string
  readonly serverKind?: HuggingFace.ServerKind
  readonly verifier?: Readonly<Record<string, unknown>> | undefined
}) =>
  Effect.gen(function* () {
    const { HuggingFace } = yield* models
    const languageModel = yield* HuggingFace.make({ model: spec.model, endpointUrl: spec.url, ...(spec.serverKind === undefined ? {} : { kind: spec.serverKind }) })
    const processRewardModel = yield* verifierOf(languageModel, spec.verifier, spec.url.replace(/\/v1\/?$/, ""))
    return { name: `endpoint/${spec.model}`, languageModel, processRewardModel } satisfies Backends.Backend
  }).pipe(Effect.mapError((error) => new Backends.BackendError({ kind: "endpoint", detail: error.message })))

/** A Hugging Face Inference Provider (token from `HF_TOKEN`), with a generative verifier over the same model. */
export const provider = (spec: { readonly provider: string; readonly model: string; readonly verifier?: Readonly<Record<string, unknown>> | undefined }) =>
  Effect.gen(function* () {
    const token = process.env["HF_TOKEN"]
    const { HuggingFace } = yield* models
    const languageModel = yield* HuggingFace.make({
      model: spec.model,
      provider: spec.provider,
      ...(token === undefined ? {} : { accessToken: token })
    })
    const processRewardModel = yield* verifierOf(languageModel, spec.verifier, undefined)
    return { name: `provider/${spec.provider}/${spec.model}`, languageModel, processRewardModel } satisfies Backends.Backend
  }).pipe(Effect.mapError((error) => new Backends.BackendError({ kind: "provider", detail: error.message })))

/**
 * A GGUF model run in-process by llama.cpp as a benchmark backend; its verifier is a ThinkPRM-style generative
 * verifier over the same model unless the settings name another.
 */
export const gguf = (spec: { readonly path: string; readonly verifier?: Readonly<Record<string, unknown>> | undefined }) =>
  Effect.gen(function* () {
    const { LlamaCpp } = yield* models
    const languageModel = yield* LlamaCpp.make({ modelPath: resolve(spec.path) })
    const processRewardModel = yield* verifierOf(languageModel, spec.verifier, undefined)
    return { name: `gguf/${spec.path}`, languageModel, processRewardModel } satisfies Backends.Backend
  }).pipe(Effect.mapError((error) => new Backends.BackendError({ kind: "gguf", detail: error.message })))

/** The CLI's backend factory: the simulator, OpenAI-compatible endpoints and GGUF files. */
export const factory: Backends.Factory = Backends.factoryOf({
  endpoint: (spec) => endpoint({ url: spec.url, model: spec.model, verifier: spec.verifier }),
  gguf
})
