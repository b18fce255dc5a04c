import { Effect } from "effect"
import type { Scope } from "effect"
import { z } from "zod"
import type { LanguageModel, LanguageModelError } from "@stepwise/core"
import { InvalidOptions, Options, Registry } from "@stepwise/core"
import { isAbsolute, resolve } from "node:path"

/**
 * The backend axis: what a registered backend kind (a server kind, an Inference Provider, a GGUF file, the
 * simulator) is made from and makes. A recipe, the command line and the Promise API name a backend as
 * `{ kind, options }`; the kinds and their fields are the registry's (`Backends`), so all three accept the same.
 */

/** A kind with its options, as a user writes it: `{ kind: "vllm", options: { url, model } }`. */
export interface Spec {
  readonly kind: string
  readonly options?: unknown
}

/**
 * What a backend kind makes: the policy model, a label for messages and results, and the verifier to use when the
 * recipe or the command line names none (a ThinkPRM over the model itself, or the simulator's own PRM).
 */
export interface Made {
  readonly label: string
  readonly languageModel: LanguageModel.Service
  readonly defaultVerifier: Spec
  /**
   * A fresh policy model for one problem run, when the backend keeps state between requests that would let one
   * run profit from another's (a prefix cache): a benchmark gives each run a cold one, as on its own server.
   */
  readonly isolate?: Effect.Effect<LanguageModel.Service>
}

/** What a backend is made with: the folder relative paths are read from, and the environment (API keys). */
export interface Context {
  /** The folder that relative paths in options (GGUF files, chat templates, tokenizers) are resolved against. */
  readonly baseDirectory: string
  /** Reads an environment variable: an API key whose variable `apiKeyEnv` names. The key is never logged or written. */
  readonly environment: (name: string) => string | undefined
}

/** The context of a backend made by code in the working folder, with the process environment. */
export const processContext = (): Context => ({ baseDirectory: process.cwd(), environment: (name) => process.env[name] })

/** Any failure of making a backend: bad options, a missing key, a server or engine that could not start. */
export type Error = InvalidOptions | LanguageModelError

/** A registry entry of a backend: kind, description, strict options, and `make` from validated options and the context. */
export type Entry<Kind extends string = string, S extends Options.Schema = Options.Schema> = Registry.Entry<Kind, S, Made, Context, Error, Scope.Scope>

/**
 * Declares a backend's entry from a builder over validated options and the context (scoped: servers' clients and
 * in-process engines are released when the run ends).
 *
 * @example
 * export const entry = Backend.define({ kind: "echo", description: "…", options, build: (settings) => Effect.succeed({ label, languageModel, defaultVerifier }) })
 */
export const define = <const Kind extends string, S extends Options.Schema>(definition: {
  readonly kind: Kind
  readonly description: string
  readonly options: S
  readonly build: (settings: z.output<S>, context: Context) => Effect.Effect<Made, Error, Scope.Scope>
}): Entry<Kind, S> => Registry.entry({ kind: definition.kind, description: definition.description, options: definition.options, make: definition.build })

/** The verifier a backend suggests when none is named: ThinkPRM over the backend's own model. */
export const thinkPrm: Spec = { kind: "think-prm" }

/** The option naming the environment variable that holds an API key (never the key itself). */
export const apiKeyEnvOption = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
  .describe("Name of the environment variable holding the API key (the key itself never goes in a recipe or a flag).")

/** Per-role output-token limits, as a user writes them. */
export const maxTokensOption = z
  .object({
    policy: z.number().int().min(1).optional().describe("Most output tokens per sample of a policy request."),
    verifier: z.number().int().min(1).optional().describe("Most output tokens per sample of a verifier's request (e.g. ThinkPRM chains).")
  })
  .strict()
  .describe("Output-token limits per role: requests ask for at most this many tokens per sample.")

/** Retry settings as a user writes them. */
export const retryOption = z
  .object({
    times: z.number().int().min(0).default(3).describe("Retries after the first attempt."),
    baseMillis: z.number().int().min(0).default(200).describe("Base of the exponential backoff."),
    capMillis: z.number().int().min(0).default(10_000).describe("Longest wait between attempts.")
  })
  .strict()
  .describe("Retries of retryable failures (rate limits, time-outs, unavailable servers), on capped exponential backoff with jitter.")

/** An option's path resolved against the context's folder (absolute paths kept). */
export const pathIn = (context: Context, path: string): string => (isAbsolute(path) ? path : resolve(context.baseDirectory, path))

/**
 * Reads the API key an `apiKeyEnv` option names; a named variable that is not set fails with `InvalidOptions` on
 * `apiKeyEnv` (naming the variable, never a value). `undefined` when no variable is named.
 */
export const apiKeyOf = (subject: string, context: Context, variable: string | undefined): Effect.Effect<string | undefined, InvalidOptions> => {
  if (variable === undefined) return Effect.succeed(undefined)
  const key = context.environment(variable)
  return key === undefined || key.length === 0
    ? Effect.fail(new InvalidOptions({ subject, field: "apiKeyEnv", detail: `names the environment variable ${variable}, which is not set` }))
    : Effect.succeed(key)
}
