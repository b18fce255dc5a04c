import { Effect } from "effect"
import { InvalidOptions } from "@stepwise/core"
import { AStar, BeamSearch, BestOfN, Dvts, ParticleFiltering, ParticleGibbs, SelfConsistency } from "@stepwise/search"
import type { Strategy } from "@stepwise/search"

/** A registered strategy: its `make`, taking options as a recipe writes them (JSON). */
export type Maker = (options: Readonly<Record<string, unknown>>) => Effect.Effect<Strategy.Strategy, InvalidOptions>

// The makes validate every field they know; options arrive as JSON, so they are passed through as the makes' types.
const maker =
  <O>(make: (options: O) => Effect.Effect<Strategy.Strategy, InvalidOptions>): Maker =>
  (options) =>
    make(options as O)

/**
 * The strategies of `@stepwise/search` by recipe name: `best-of-n`, `self-consistency`, `beam` (or
 * `beam-search`), `dvts`, `particle-filtering`, `particle-gibbs`, `a-star`.
 */
export const registry: Readonly<Record<string, Maker>> = {
  "best-of-n": maker(BestOfN.make),
  "self-consistency": maker(SelfConsistency.make),
  beam: maker(BeamSearch.make),
  "beam-search": maker(BeamSearch.make),
  dvts: maker(Dvts.make),
  "particle-filtering": maker(ParticleFiltering.make),
  "particle-gibbs": maker(ParticleGibbs.make),
  "a-star": maker(AStar.make)
}

/**
 * Makes a strategy from its registered name and options (the recipe's options merged with the budget's
 * overrides, plus `seed`). Fails with `InvalidOptions` for an unknown name or bad options.
 */
export type Factory = (name: string, options: Readonly<Record<string, unknown>>) => Effect.Effect<Strategy.Strategy, InvalidOptions>

/** The registered names. */
export const names: ReadonlyArray<string> = Object.keys(registry)

/**
 * Makes a strategy factory over a registry (default: `registry`), for the runner. Add your own strategies by
 * spreading the registry: `Strategies.factory({ ...Strategies.registry, mine: (options) => Mine.make(options) })`.
 * An unknown name fails with `InvalidOptions` on field `name`, listing the known ones.
 */
export const factoryOf =
  (makers: Readonly<Record<string, Maker>> = registry): Factory =>
  (name, options) => {
    const make = Object.hasOwn(makers, name) ? makers[name] : undefined
    if (make === undefined)
      return Effect.fail(
        new InvalidOptions({ subject: "strategy", field: "name", detail: `"${name}" is not a strategy (one of ${Object.keys(makers).join(", ")})` })
      )
    return make(options)
  }

/** The default strategy factory: every strategy of `@stepwise/search`. */
export const factory = factoryOf()
