import { Effect, pipe } from "effect"
import { z } from "zod"
import type { InvalidOptions } from "@stepwise/core"
import { Options, Registry } from "@stepwise/core"
import * as CostModel from "./CostModel.js"

/**
 * The registry of cost models: how the accountant prices a call as the `cost` resource. Each entry is a kind with
 * a strict options schema (defaults declared there); a recipe names its cost model as `{ kind, options }`. A new
 * cost model is a function in `CostModel` plus one entry here; a third party adds its own with
 * `Registry.add(CostModels.registry, entry)`.
 *
 * @example
 * const model = yield* Registry.make(CostModels.registry, "price", { inputPerMillion: 0.2, outputPerMillion: 0.6 }, undefined)
 */

/** A registry entry of a cost model: kind, description, strict options, and `make` from validated options. */
export type Entry<Kind extends string = string, S extends Options.Schema = Options.Schema> = Registry.Entry<Kind, S, CostModel.CostModel, void, never, never>

/**
 * Declares a cost model's entry from a builder over validated options.
 *
 * @example
 * export const entry = CostModels.define({ kind: "flat", description: "1 per call", options: z.object({}).strict(), build: () => flat })
 */
export const define = <const Kind extends string, S extends Options.Schema>(definition: {
  readonly kind: Kind
  readonly description: string
  readonly options: S
  readonly build: (options: z.output<S>) => CostModel.CostModel
}): Entry<Kind, S> =>
  Registry.entry({
    kind: definition.kind,
    description: definition.description,
    options: definition.options,
    make: (options: z.output<S>) => Effect.sync(() => definition.build(options))
  })

/** Plain tokens. */
export const tokens = define({
  kind: "tokens",
  description: "Every input and output token costs 1, policy or verifier.",
  options: z.object({}).strict(),
  build: () => CostModel.tokens
})

/** Weighted tokens. */
export const weighted = define({
  kind: "weighted",
  description: "Weighted tokens: fresh and cached input, output and verifier calls each at their own weight.",
  options: CostModel.weightedOptions,
  build: ({ unit, ...weights }) => CostModel.weighted(weights, unit)
})

/** Dollars from per-million-token prices, per model where given. */
export const price = define({
  kind: "price",
  description: "Dollars from per-million-token prices, as providers quote them; per-model prices by model name.",
  options: CostModel.priceOptions,
  build: (options) => CostModel.price(options)
})

/** Kinetics eFLOPs. */
export const kinetics = define({
  kind: "kinetics",
  description: "Kinetics eFLOPs (arXiv 2506.05333) from the models' shapes: compute plus memory traffic.",
  options: CostModel.kineticsOptions,
  build: (options) => CostModel.kinetics(options)
})

/** The built-in cost models: `tokens`, `weighted`, `price`, `kinetics`. */
export const registry = pipe(
  Registry.empty<CostModel.CostModel, void, never>("cost model"),
  (empty) => Registry.add(empty, tokens),
  (registry) => Registry.add(registry, weighted),
  (registry) => Registry.add(registry, price),
  (registry) => Registry.add(registry, kinetics)
)

/** The type of the built-in cost-model registry. */
export type BuiltIn = typeof registry

/** Any cost-model registry: the built-in one, or one extended with `Registry.add`. */
export type Any = Registry.AnyRegistry<CostModel.CostModel, void, never>

/** A cost model chosen by kind with its options, typed by the built-in registry. */
export type Spec = Registry.Spec<BuiltIn>

/** Makes a cost model from a spec as a user wrote it (validated; unknown kinds and keys are `InvalidOptions`). */
export const make = (spec: { readonly kind: string; readonly options?: unknown }, costModels: Any = registry): Effect.Effect<CostModel.CostModel, InvalidOptions> =>
  Registry.make(costModels, spec.kind, spec.options ?? {}, undefined)
