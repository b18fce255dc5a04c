import { pipe } from "effect"
import { Registry } from "@stepwise/core"
import type { InvalidOptions } from "@stepwise/core"
import * as AStar from "./AStar.js"
import * as BeamSearch from "./BeamSearch.js"
import * as BestOfN from "./BestOfN.js"
import * as ComputeOptimal from "./ComputeOptimal.js"
import * as Dvts from "./Dvts.js"
import * as Mcts from "./Mcts.js"
import * as ParticleFiltering from "./ParticleFiltering.js"
import * as ParticleGibbs from "./ParticleGibbs.js"
import * as Rebase from "./Rebase.js"
import * as SelfConsistency from "./SelfConsistency.js"
import type { Strategy } from "./Strategy.js"

/**
 * The registry of search strategies: every built-in strategy by kind, with its strict options schema. A new
 * strategy is one module exporting an `entry` plus one line here; a third party adds its own with
 * `Registry.add(Strategies.registry, entry)` and passes the result wherever a registry is taken (the runner, the
 * Promise API, the command line's plugins).
 *
 * @example
 * const strategy = yield* Registry.make(Strategies.registry, "a-star", { expansions: 4 }, undefined)
 */
export const registry = pipe(
  Registry.empty<Strategy, void, InvalidOptions>("strategy"),
  (empty) => Registry.add(empty, BestOfN.entry),
  (registry) => Registry.add(registry, SelfConsistency.entry),
  (registry) => Registry.add(registry, BeamSearch.entry),
  (registry) => Registry.add(registry, Dvts.entry),
  (registry) => Registry.add(registry, ParticleFiltering.entry),
  (registry) => Registry.add(registry, ParticleGibbs.entry),
  (registry) => Registry.add(registry, Mcts.entry),
  (registry) => Registry.add(registry, Rebase.entry),
  (registry) => Registry.add(registry, ComputeOptimal.entry),
  (registry) => Registry.add(registry, AStar.entry)
)

/** The type of the built-in strategy registry. */
export type BuiltIn = typeof registry

/** Any strategy registry: the built-in one, or one extended with `Registry.add`. */
export type Any = Registry.AnyRegistry<Strategy, void, InvalidOptions>

/** A strategy chosen by kind with its options, typed by the built-in registry. */
export type Spec = Registry.Spec<BuiltIn>
