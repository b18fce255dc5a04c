import { Effect } from "effect"
import type { Scope } from "effect"
import { z } from "zod"
import type { LanguageModelError, ProcessRewardModel } from "@stepwise/core"
import { InvalidOptions, LanguageModel, Options, Registry } from "@stepwise/core"

/**
 * The verifier axis: what a registered verifier kind is made from. Each verifier module exports its strict options
 * schema (defaults declared there), an `entry` built with `define` or `generative`, and a `make` for code; the
 * registry (`Verifiers`) lists the entries, so a recipe, the command line and the Promise API name a verifier as
 * `{ kind, options }`.
 */

/** A kind with its options, as a user writes it: `{ kind: "think-prm", options: { chains: 4 } }`. */
export interface Spec {
  readonly kind: string
  readonly options?: unknown
}

/** The schema of a nested `{ kind, options }` (a backend or verifier named inside a verifier's options). */
export const specOption = z
  .object({
    kind: z.string().min(1).describe("The registered kind."),
    options: z.record(z.string(), z.unknown()).optional().describe("The kind's options (validated by its own schema).")
  })
  .strict()

/**
 * What a verifier is made with: the run's policy model, a way to make another backend's model (a verifier served on
 * another server) and another verifier (an ensemble's members), and the environment (API keys named in options).
 */
export interface Context {
  /** The run's policy model; a generative verifier reads with it unless its options name another `backend`. */
  readonly languageModel: LanguageModel.Service
  /** Makes a backend's model from `{ kind, options }` as written (validated by the backend registry). */
  readonly modelOf: (spec: Spec) => Effect.Effect<LanguageModel.Service, Error, Scope.Scope>
  /** Makes a verifier from `{ kind, options }` as written (validated by the verifier registry). */
  readonly verifierOf: (spec: Spec) => Effect.Effect<ProcessRewardModel.Service, Error, Scope.Scope>
  /** Reads an environment variable (an API key whose variable an option names); never logged. */
  readonly environment: (name: string) => string | undefined
}

/** Any failure of making a verifier: bad options, or a backend that could not start. */
export type Error = InvalidOptions | LanguageModelError

/** A registry entry of a verifier: kind, description, strict options, and `make` from validated options and the context. */
export type Entry<Kind extends string = string, S extends Options.Schema = Options.Schema> = Registry.Entry<
  Kind,
  S,
  ProcessRewardModel.Service,
  Context,
  Error,
  Scope.Scope
>

/**
 * Declares a verifier's entry from a builder over validated options and the context.
 *
 * @example
 * export const entry = Verifier.define({ kind: "exact-arithmetic", description: "…", options, build: (settings) => ExactChecker.arithmetic(settings) })
 */
export const define = <const Kind extends string, S extends Options.Schema>(definition: {
  readonly kind: Kind
  readonly description: string
  readonly options: S
  readonly build: (settings: z.output<S>, context: Context) => Effect.Effect<ProcessRewardModel.Service, Error, Scope.Scope>
}): Entry<Kind, S> => Registry.entry({ kind: definition.kind, description: definition.description, options: definition.options, make: definition.build })

/**
 * Re-addresses a failure of a nested `{ kind, options }` to the outer options: its field becomes
 * `<at>.kind` or `<at>.options.<field>`, so the message names the path a user wrote. Other failures pass unchanged.
 */
export const nestedAt =
  (at: string) =>
  <E>(error: E | InvalidOptions): E | InvalidOptions =>
    error instanceof InvalidOptions
      ? new InvalidOptions({
          subject: error.subject,
          field: `${at}.${error.field === "kind" ? "kind" : `options.${error.field}`}`,
          detail: error.detail,
          ...(error.allowed === undefined ? {} : { allowed: error.allowed })
        })
      : error

/** The option every generative verifier takes: the backend it reads with, when not the policy's. */
export const backendOption = specOption
  .optional()
  .describe("The backend the verifier reads with, as { kind, options } (default: the policy's own model).")

/** The context a verifier gets outside a run: its model, and no other backend or verifier kinds. */
export const standalone = (languageModel: LanguageModel.Service): Context => ({
  languageModel,
  modelOf: (spec) =>
    Effect.fail(new InvalidOptions({ subject: "verifier", field: "backend", detail: `cannot make backend "${spec.kind}" here: pass languageModel instead` })),
  verifierOf: (spec) =>
    Effect.fail(new InvalidOptions({ subject: "verifier", field: "kind", detail: `cannot make verifier "${spec.kind}" here: pass the verifier itself` })),
  environment: (name) => process.env[name]
})

/**
 * Declares a verifier that reads with a language model (ThinkPRM, a judge, a token-logit PRM): the model is the
 * context's policy model, or the backend named by the `backend` option. `needsLogprobs` says, from the settings,
 * whether the verifier cannot work without token logprobs, and on which requests: `"plain"` ones (no prefix) or
 * `"continuing"` ones (continuing an assistant prefix). A model whose backend says it cannot return them there
 * fails at start with `InvalidOptions` naming `backend`, never silently.
 */
export const generative = <const Kind extends string, S extends z.ZodObject, Made extends ProcessRewardModel.Service>(definition: {
  readonly kind: Kind
  readonly description: string
  readonly options: S
  readonly needsLogprobs?: (settings: z.output<S>) => "plain" | "continuing" | "none"
  readonly build: (settings: z.output<S>, languageModel: LanguageModel.Service) => Made
}): Entry<Kind, S> & { readonly build: (settings: z.output<S>, languageModel: LanguageModel.Service) => Effect.Effect<Made, InvalidOptions> } => {
  const build = (settings: z.output<S>, languageModel: LanguageModel.Service): Effect.Effect<Made, InvalidOptions> =>
    Effect.gen(function* () {
      yield* Effect.mapError(LanguageModel.check(languageModel), (error) =>
        new InvalidOptions({ subject: definition.kind, field: "languageModel", detail: error.message })
      )
      const needs = definition.needsLogprobs?.(settings) ?? "none"
      const has = languageModel.info.logprobs
      if ((needs === "plain" && has === "never") || (needs === "continuing" && (has === "never" || has === "without-prefix")))
        return yield* Effect.fail(
          new InvalidOptions({
            subject: definition.kind,
            field: "backend",
            detail: `needs token logprobs, but ${languageModel.info.name}${languageModel.info.model === undefined ? "" : ` (${languageModel.info.model})`} returns none${has === "without-prefix" ? " on requests that continue an answer" : ""}: use a server that returns them (vLLM, SGLang, llama.cpp server) or another verifier`
          })
        )
      return definition.build(settings, languageModel)
    })
  return {
    kind: definition.kind,
    description: definition.description,
    options: definition.options,
    build,
    make: (settings: z.output<S>, context: Context) =>
      Effect.flatMap(
        (settings as { readonly backend?: Spec }).backend === undefined
          ? Effect.succeed(context.languageModel)
          : Effect.mapError(context.modelOf((settings as { readonly backend: Spec }).backend), nestedAt("backend")),
        (languageModel) => build(settings, languageModel)
      )
  }
}

/**
 * The `make` of a generative verifier module for code: options as a user writes them plus the `languageModel`
 * to read with (validated: unknown keys, types and ranges fail with `InvalidOptions` naming the field).
 *
 * @example
 * export const make = Verifier.generativeMaker(entry)
 */
export const generativeMaker =
  <Kind extends string, S extends z.ZodObject, Made extends ProcessRewardModel.Service>(entry: {
    readonly kind: Kind
    readonly options: S
    readonly build: (settings: z.output<S>, languageModel: LanguageModel.Service) => Effect.Effect<Made, InvalidOptions>
  }) =>
  (options: Omit<z.input<S>, "backend"> & { readonly languageModel: LanguageModel.Service }): Effect.Effect<Made, InvalidOptions> => {
    const { languageModel, ...rest } = options
    return Effect.flatMap(Options.parse(entry.options.omit({ backend: true } as never), rest, entry.kind), (settings) =>
      entry.build(settings as z.output<S>, languageModel)
    )
  }
