import { Effect } from "effect"
import { z } from "zod"
import { ChatTemplate, InvalidOptions, Options as OptionSchemas } from "@stepwise/core"
import * as Backend from "./Backend.js"
import * as HuggingFace from "./HuggingFace.js"
import * as ServerKinds from "./ServerKind.js"
import * as Tokenizer from "./Tokenizer.js"

/**
 * The backend entries of inference servers and Inference Providers, all through the `HuggingFace` backend: one
 * entry per server kind of `ServerKind` (vLLM, SGLang, TGI, llama.cpp server, Ollama, OpenAI, any OpenAI-compatible
 * server) and `provider`. Every entry takes the same fields; the kind picks the defaults and what the server is sent.
 */

const shared = {
  model: z.string().min(1).describe("The model name the server serves (always sent)."),
  chatTemplate: z
    .string()
    .min(1)
    .optional()
    .describe("The model's chat template: a Hub-style model folder (chat_template.jinja or tokenizer_config.json), a tokenizer_config.json, or a .jinja file."),
  tokenizer: z
    .string()
    .min(1)
    .optional()
    .describe("Counts tokens when the server reports no usage: a tokenizer.json, a model folder holding one, or a .gguf file."),
  contextSize: z.number().int().min(16).optional().describe("The server's context size: each request's maxTokens is lowered so the prompt plus it fits."),
  maxTokens: Backend.maxTokensOption.optional(),
  continuation: z.enum(["continue-final-message", "prefill", "completions"]).optional().describe("How a partial answer is continued (default: the server kind's)."),
  sampling: z.enum(["n", "parallel"]).optional().describe("One request with n, or n parallel requests (default: the server kind's)."),
  timeoutMillis: z.number().positive().default(120_000).describe("Time limit per attempt."),
  retry: Backend.retryOption.optional(),
  name: z.string().min(1).optional().describe("The backend's name in errors, traces and meters (default: the kind)."),
  fetch: OptionSchemas.code<typeof globalThis.fetch>(
    "a fetch function (a proxy, a test double); default: core's PooledFetch (kept-alive pooled connections) against a server, the global fetch for Inference Providers"
  ).optional()
}

const concurrencyOption = (fallback: number) => z.number().int().min(1).default(fallback).describe("Most HTTP requests in flight at once.")

/** The options of a server kind (its usual URL and key variable as defaults when it has them). */
export const serverOptions = (kind: Exclude<ServerKinds.ServerKind, "provider">) => {
  const facts = ServerKinds.facts[kind]
  const url = z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL").describe("The server's base URL (with or without /v1).")
  return z
    .object({
      url: facts.url === undefined ? url : url.default(facts.url),
      apiKeyEnv: facts.apiKeyEnv === undefined ? Backend.apiKeyEnvOption.optional() : Backend.apiKeyEnvOption.default(facts.apiKeyEnv),
      concurrency: concurrencyOption(facts.concurrency),
      ...shared
    })
    .strict()
}

/** The options of Inference Providers. */
export const providerOptions = z
  .object({
    provider: z.string().min(1).default("auto").describe('The Inference Provider ("auto": the router picks one).'),
    apiKeyEnv: Backend.apiKeyEnvOption.default(ServerKinds.facts.provider.apiKeyEnv ?? "HF_TOKEN"),
    concurrency: concurrencyOption(ServerKinds.facts.provider.concurrency),
    ...shared
  })
  .strict()

type Settings = z.output<ReturnType<typeof serverOptions>> | z.output<typeof providerOptions>

const make = (kind: ServerKinds.ServerKind, settings: Settings, context: Backend.Context) =>
  Effect.gen(function* () {
    const facts = ServerKinds.facts[kind]
    const apiKey = yield* Backend.apiKeyOf(kind, context, settings.apiKeyEnv)
    const template = settings.chatTemplate === undefined ? undefined : yield* ChatTemplate.fromPath(Backend.pathIn(context, settings.chatTemplate))
    const continuation = settings.continuation ?? facts.continuation
    if (continuation === "completions" && template === undefined)
      return yield* Effect.fail(
        new InvalidOptions({
          subject: kind,
          field: "chatTemplate",
          detail: `is needed: a ${kind} server continues steps through /v1/completions with the model's chat template (give a model folder, a tokenizer_config.json or a .jinja file)`
        })
      )
    const tokenizer = settings.tokenizer === undefined ? undefined : yield* Tokenizer.fromPath(Backend.pathIn(context, settings.tokenizer))
    const languageModel = yield* HuggingFace.make({
      model: settings.model,
      kind,
      name: settings.name ?? kind,
      ...("url" in settings ? { endpointUrl: settings.url } : { provider: settings.provider }),
      ...(apiKey === undefined ? {} : { accessToken: apiKey }),
      ...(template === undefined ? {} : { template }),
      ...(tokenizer === undefined ? {} : { tokenizer }),
      ...(settings.continuation === undefined ? {} : { continuation: settings.continuation }),
      ...(settings.sampling === undefined ? {} : { sampling: settings.sampling }),
      ...(settings.contextSize === undefined ? {} : { contextSize: settings.contextSize }),
      ...(settings.maxTokens === undefined ? {} : { maxTokens: settings.maxTokens }),
      ...(settings.retry === undefined ? {} : { retry: settings.retry }),
      ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
      concurrency: settings.concurrency,
      timeoutMillis: settings.timeoutMillis
    })
    return { label: `${kind}/${settings.model}`, languageModel, defaultVerifier: Backend.thinkPrm } satisfies Backend.Made
  })

const serverEntry = <const Kind extends Exclude<ServerKinds.ServerKind, "provider">>(kind: Kind) =>
  Backend.define({
    kind,
    description: ServerKinds.facts[kind].description,
    options: serverOptions(kind),
    build: (settings, context) => make(kind, settings, context)
  })

/** vLLM. */
export const vllm = serverEntry("vllm")
/** SGLang. */
export const sglang = serverEntry("sglang")
/** Text Generation Inference. */
export const tgi = serverEntry("tgi")
/** llama.cpp's server. */
export const llamaServer = serverEntry("llama.cpp")
/** Ollama. */
export const ollama = serverEntry("ollama")
/** The OpenAI API. */
export const openai = serverEntry("openai")
/** Any other OpenAI-compatible server. */
export const openaiCompatible = serverEntry("openai-compatible")

/** Hugging Face Inference Providers. */
export const provider = Backend.define({
  kind: "provider",
  description: ServerKinds.facts.provider.description,
  options: providerOptions,
  build: (settings, context) => make("provider", settings, context)
})
