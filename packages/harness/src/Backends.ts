import { Data, Effect } from "effect"
import type { Scope } from "effect"
import type { InvalidOptions } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, Registry } from "@stepwise/core"
import type { Backend as ModelBackend } from "@stepwise/models"
import { Verifiers } from "@stepwise/verifiers"
import type { Registries } from "./Registries.js"

/** The services a run gives every strategy: a policy and a verifier, and the backend's label. */
export interface Backend {
  readonly name: string
  readonly languageModel: LanguageModel.Service
  readonly processRewardModel: ProcessRewardModel.Service
  /**
   * A fresh instance for one problem run, when the backend keeps state between requests that would let one run
   * profit from another's (the simulator's prefix cache): each run then starts cold, as on its own server.
   */
  readonly isolate?: Effect.Effect<Pick<Backend, "languageModel" | "processRewardModel">>
}

/**
 * Runs an effect with a backend's policy and verifier as its `LanguageModel` and `ProcessRewardModel`.
 *
 * @example
 * const result = yield* strategy.run(problem).pipe(Backends.provide(backend), Accountant.provide(accountant))
 */
export const provide =
  (backend: Pick<Backend, "languageModel" | "processRewardModel">) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<Exclude<R, LanguageModel.LanguageModel>, ProcessRewardModel.ProcessRewardModel>> =>
    effect.pipe(
      Effect.provideService(LanguageModel.LanguageModel, backend.languageModel),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, backend.processRewardModel)
    )

/** A backend could not start (a server unreachable at start, an engine that would not load). */
export class BackendError extends Data.TaggedError("BackendError")<{
  readonly kind: string
  readonly detail: string
}> {
  override get message(): string {
    return `backend ${this.kind}: ${this.detail}`
  }
}

/** A kind with its options, as a recipe, the command line or the Promise API names it. */
export interface Spec {
  readonly kind: string
  readonly options?: unknown
}

/** What to make: the backend, and the verifier (default: the one the backend suggests). */
export interface Choice {
  readonly backend: Spec
  readonly verifier?: Spec | undefined
}

/** Where relative paths are read from and where API keys come from (default: the working folder, the process environment). */
export type Context = ModelBackend.Context

const processContext = (): Context => ({ baseDirectory: process.cwd(), environment: (name) => process.env[name] })

/**
 * Makes the policy and the verifier a run names, from the registries: the backend by kind (validated options;
 * relative paths against `context.baseDirectory`; API keys from the variables the options name), then the
 * verifier by kind over that backend's model (another backend's model when its options name one). Scoped: clients
 * and engines are released with the run. Bad options fail with `InvalidOptions` naming the field; a backend
 * that cannot start fails with `BackendError`.
 *
 * @example
 * const backend = yield* Backends.make({ backend: { kind: "vllm", options: { url, model } } }, Registries.builtIn)
 */
export const make = (
  choice: Choice,
  registries: Pick<Registries, "backends" | "verifiers">,
  context: Context = processContext()
): Effect.Effect<Backend, InvalidOptions | BackendError, Scope.Scope> =>
  Effect.gen(function* () {
    const backendOf = (spec: Spec) => Registry.make(registries.backends, spec.kind, spec.options ?? {}, context)
    const made = yield* backendOf(choice.backend)
    const verifier = choice.verifier ?? made.defaultVerifier
    const processRewardModel = yield* Verifiers.make(
      verifier,
      {
        languageModel: made.languageModel,
        modelOf: (spec) => Effect.map(backendOf(spec), (other) => other.languageModel),
        environment: context.environment
      },
      registries.verifiers
    )
    const isolate = made.isolate
    return {
      name: made.label,
      languageModel: made.languageModel,
      processRewardModel,
      ...(isolate === undefined ? {} : { isolate: Effect.map(isolate, (languageModel) => ({ languageModel, processRewardModel })) })
    }
  }).pipe(
    Effect.mapError((error) =>
      error._tag === "InvalidOptions" ? error : new BackendError({ kind: choice.backend.kind, detail: error.message })
    )
  )
