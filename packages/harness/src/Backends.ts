import { Data, Effect } from "effect"
import type { Scope } from "effect"
import { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import { Presets, World } from "@stepwise/simulator"
import type * as Recipe from "./Recipe.js"

/** The services a backend gives every strategy of a run: a policy and a verifier. */
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

/** A backend could not be made (unknown preset, unreachable server, a kind this factory does not know). */
export class BackendError extends Data.TaggedError("BackendError")<{
  readonly kind: string
  readonly detail: string
}> {
  override get message(): string {
    return `backend ${this.kind}: ${this.detail}`
  }
}

/** Makes the backend a recipe names; scoped, so servers and engines are closed when the run ends. */
export type Factory = (spec: Recipe.BackendSpec) => Effect.Effect<Backend, BackendError, Scope.Scope>

/**
 * A simulator world as a benchmark backend: its policy and its discriminative PRM.
 *
 * @example
 * const backend = yield* Backends.simulator({ kind: "simulator", preset: "calibrated", seed: 0 })
 */
export const simulator = (spec: {
  readonly preset: string
  readonly seed: number
  readonly prefixCache?: { readonly capacityTokens?: number | undefined; readonly blockSize?: number | undefined } | undefined
}): Effect.Effect<Backend, BackendError> => {
  const preset = Presets.all[spec.preset]
  if (preset === undefined)
    return Effect.fail(new BackendError({ kind: "simulator", detail: `"${spec.preset}" is not a preset (one of ${Object.keys(Presets.all).join(", ")})` }))
  const make = () =>
    Effect.mapError(
      World.makeEffect(preset, {
        seed: spec.seed,
        ...(spec.prefixCache === undefined
          ? {}
          : {
              prefixCache: {
                ...(spec.prefixCache.capacityTokens === undefined ? {} : { capacityTokens: spec.prefixCache.capacityTokens }),
                ...(spec.prefixCache.blockSize === undefined ? {} : { blockSize: spec.prefixCache.blockSize })
              }
            })
      }),
      (error) => new BackendError({ kind: "simulator", detail: error.message })
    )
  const servicesOf = (world: World.World) => ({ languageModel: world.languageModel, processRewardModel: world.processRewardModel })
  return Effect.map(make(), (world) => ({
    name: `simulator/${spec.preset}`,
    ...servicesOf(world),
    // With a prefix cache, each problem run gets its own world (the same model, a cold cache): no strategy profits
    // from another's requests. The world was just made from the same options, so making it again cannot fail.
    ...(spec.prefixCache === undefined ? {} : { isolate: Effect.map(Effect.orDie(make()), servicesOf) })
  }))
}

/** Factories for the backends that live outside the harness (given by the caller, e.g. the CLI over `@stepwise/models`). */
export interface External {
  readonly endpoint?: (spec: Extract<Recipe.BackendSpec, { kind: "endpoint" }>) => Effect.Effect<Backend, BackendError, Scope.Scope>
  readonly gguf?: (spec: Extract<Recipe.BackendSpec, { kind: "gguf" }>) => Effect.Effect<Backend, BackendError, Scope.Scope>
}

/**
 * Makes a backend factory: the simulator built in, endpoint and GGUF backends from `external`. A kind with no
 * factory fails with a `BackendError` that says what to pass.
 */
export const factoryOf =
  (external: External = {}): Factory =>
  (spec) => {
    switch (spec.kind) {
      case "simulator":
        return simulator(spec)
      case "endpoint":
        return external.endpoint === undefined
          ? Effect.fail(new BackendError({ kind: "endpoint", detail: "no endpoint backend factory was given (pass Backends.factoryOf({ endpoint }))" }))
          : external.endpoint(spec)
      case "gguf":
        return external.gguf === undefined
          ? Effect.fail(new BackendError({ kind: "gguf", detail: "no GGUF backend factory was given (pass Backends.factoryOf({ gguf }))" }))
          : external.gguf(spec)
    }
  }

/** The default backend factory: the simulator only. */
export const factory: Factory = factoryOf()
