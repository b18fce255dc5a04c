import { Effect, pipe } from "effect"
import type { InvalidOptions, LanguageModelError } from "@stepwise/core"
import { ProcessRewardModel, Registry } from "@stepwise/core"
import type { Scope } from "effect"
import * as Ensemble from "./Ensemble.js"
import * as ExactChecker from "./ExactChecker.js"
import * as ExactOptions from "./ExactOptions.js"
import * as Judge from "./Judge.js"
import * as PoolingPrm from "./PoolingPrm.js"
import * as PrefixCache from "./PrefixCache.js"
import * as ThinkPrm from "./ThinkPrm.js"
import * as TokenLogitPrm from "./TokenLogitPrm.js"
import * as Verifier from "./Verifier.js"

/** The exact arithmetic checker's entry: every stated equation of every step checked exactly. */
export const exactArithmetic = Verifier.define({
  kind: "exact-arithmetic",
  description: "Exact checker: each step scores 1 if every equation it states holds (exact rationals), 0 otherwise.",
  options: ExactOptions.arithmetic,
  build: (settings) => ExactChecker.arithmetic(settings)
})

/** The Game of 24 checker's entry: equations hold and use the puzzle's numbers, each once. */
export const exactGame24 = Verifier.define({
  kind: "exact-game24",
  description: "Exact checker of Game of 24 steps: equations hold and use the remaining numbers, each once.",
  options: ExactOptions.game24,
  build: ({ numbersOf, ...settings }) => ExactChecker.game24({ ...settings, ...(numbersOf === undefined ? {} : { numbersOf }) })
})

/**
 * The registry of verifiers: every built-in verifier by kind, with its strict options schema. A new verifier is
 * one module exporting an `entry` plus one line here; a third party adds its own with
 * `Registry.add(Verifiers.registry, entry)` (or a plugin's `verifiers`).
 *
 * @example
 * const verifier = yield* Registry.make(Verifiers.registry, "think-prm", { chains: 4 }, Verifier.standalone(model))
 */
export const registry = pipe(
  Registry.empty<ProcessRewardModel.Service, Verifier.Context, InvalidOptions | LanguageModelError, Scope.Scope>("verifier"),
  (empty) => Registry.add(empty, ThinkPrm.entry),
  (registry) => Registry.add(registry, Judge.entry),
  (registry) => Registry.add(registry, TokenLogitPrm.entry),
  (registry) => Registry.add(registry, PoolingPrm.entry),
  (registry) => Registry.add(registry, exactArithmetic),
  (registry) => Registry.add(registry, exactGame24),
  (registry) => Registry.add(registry, Ensemble.entry),
  (registry) => Registry.add(registry, PrefixCache.entry)
)

/** The type of the built-in verifier registry. */
export type BuiltIn = typeof registry

/** Any verifier registry: the built-in one, or one extended with `Registry.add`. */
export type Any = Registry.AnyRegistry<ProcessRewardModel.Service, Verifier.Context, InvalidOptions | LanguageModelError, Scope.Scope>

/** A verifier chosen by kind with its options, typed by the built-in registry. */
export type Spec = Registry.Spec<BuiltIn>

/**
 * Makes a verifier from `{ kind, options }` as a user wrote it (validated by the kind's schema), with a context
 * whose `verifierOf` makes nested verifiers (an ensemble's members) from the same registry.
 */
export const make = (
  spec: Verifier.Spec,
  context: Omit<Verifier.Context, "verifierOf">,
  verifiers: Any = registry
): Effect.Effect<ProcessRewardModel.Service, InvalidOptions | LanguageModelError, Scope.Scope> => {
  const full: Verifier.Context = { ...context, verifierOf: (inner) => make(inner, context, verifiers) }
  return Registry.make(verifiers, spec.kind, spec.options ?? {}, full)
}
