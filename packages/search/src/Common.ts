import type { Aggregation } from "./Aggregation.js"
import * as Aggregations from "./Aggregation.js"
import type { Sampling } from "./Expansion.js"
import * as Validate from "./Validate.js"

/**
 * Options every strategy shares: sampling (temperature, token limits per step and per rollout, max steps), the
 * seed, how many calls may run at once, and how step scores aggregate.
 */
export interface Options {
  /** Sampling temperature (default 0.8, as search-and-learn). */
  readonly temperature?: number
  /** Output-token limit of one step (default 256). */
  readonly stepTokens?: number
  /** Output-token limit of a generation to the end (default 1024). */
  readonly maxTokens?: number
  /** A trajectory that reaches this many steps is finished (default 40, as search-and-learn and its_hub). */
  readonly maxSteps?: number
  /** Seed from which every request's seed is derived (default 0). */
  readonly seed?: number
  /** How many independent generations or scorings may run at once (default 8). */
  readonly concurrency?: number
  /** How step scores aggregate into a trajectory's score (default `last`). */
  readonly aggregation?: Aggregation
  /**
   * Step-level searches: when the budget ends before any answer finished, roll the best unfinished node out with
   * the tokens left (default true; see `Run.Rescue`).
   */
  readonly rescue?: boolean
}

/** The shared options with defaults filled in. */
export interface Resolved extends Sampling {
  readonly seed: number
  readonly concurrency: number
  readonly aggregation: Aggregation
  readonly rescue: boolean
}

/** The defaults of the shared options. */
export const defaults: Resolved = {
  temperature: 0.8,
  stepTokens: 256,
  maxTokens: 1024,
  maxSteps: 40,
  seed: 0,
  concurrency: 8,
  aggregation: "last",
  rescue: true
}

/** Field checks of the shared options. */
export const checks = (options: Options): ReadonlyArray<Validate.Check> => [
  Validate.nonNegative("temperature", options.temperature),
  Validate.integerAtLeast("stepTokens", options.stepTokens, 1),
  Validate.integerAtLeast("maxTokens", options.maxTokens, 1),
  Validate.integerAtLeast("maxSteps", options.maxSteps, 1),
  Validate.integerAtLeast("seed", options.seed, 0),
  Validate.integerAtLeast("concurrency", options.concurrency, 1),
  Validate.oneOf("aggregation", options.aggregation, Aggregations.all),
  Validate.that("rescue", options.rescue === undefined || typeof options.rescue === "boolean", "must be a boolean")
]

/** Fills in the defaults. */
export const resolve = (options: Options): Resolved => ({
  temperature: options.temperature ?? defaults.temperature,
  stepTokens: options.stepTokens ?? defaults.stepTokens,
  maxTokens: options.maxTokens ?? defaults.maxTokens,
  maxSteps: options.maxSteps ?? defaults.maxSteps,
  seed: options.seed ?? defaults.seed,
  concurrency: options.concurrency ?? defaults.concurrency,
  aggregation: options.aggregation ?? defaults.aggregation,
  rescue: options.rescue ?? defaults.rescue
})

/** The rescue settings of `Run.search`, or `undefined` when the option is off. */
export const rescueOf = (resolved: Resolved): { readonly sampling: Sampling; readonly seed: number; readonly aggregation: Aggregation } | undefined =>
  resolved.rescue ? { sampling: resolved, seed: resolved.seed, aggregation: resolved.aggregation } : undefined

/** What a strategy's body needs (re-exported for generic helpers). */
export type { Requirements } from "./Strategy.js"
