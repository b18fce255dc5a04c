import { z } from "zod"
import { Aggregation } from "@stepwise/core"

/**
 * The option fields strategies share, as zod schema fields with their defaults. A strategy's schema spreads the
 * groups it uses (and only those, so an option that would have no effect is rejected as unknown):
 * `sampling` for generation to the end, `steps` for step-level searches, `scoring` for verifier aggregation,
 * `running` for the seed and concurrency.
 *
 * @example
 * const options = z.object({ ...SearchOptions.sampling, ...SearchOptions.running, n: z.number().int().min(1).default(4) }).strict()
 */

/** Sampling of a generation to the end (a rollout). */
export const sampling = {
  temperature: z.number().min(0).default(0.8).describe("Sampling temperature (search-and-learn: 0.8)."),
  maxTokens: z
    .number()
    .int()
    .min(1)
    .default(1024)
    .describe("Output-token limit of a whole solution: a rollout's limit, and the cap on a step-level trajectory's output tokens.")
}

/** Step-level searches: the step's token limit, the step cap, and the rescue rollout. */
export const steps = {
  stepTokens: z.number().int().min(1).default(256).describe("Output-token limit of one step."),
  maxSteps: z
    .number()
    .int()
    .min(1)
    .default(40)
    .describe("A trajectory that reaches this many steps is finished (search-and-learn and its_hub: 40)."),
  lengthEnds: z
    .boolean()
    .default(false)
    .describe(
      "A step cut by stepTokens ends its trajectory (search-and-learn's beam search, whose step limit is a whole solution's); off: a cut step is continued."
    ),
  rescue: z
    .boolean()
    .default(true)
    .describe("When the budget ends before any answer finished, roll the best unfinished node out with the tokens left.")
}

/** How step scores aggregate into a trajectory's score. */
export const scoring = {
  aggregation: z.enum(Aggregation.methods).default("last").describe("How step scores aggregate into a trajectory's score.")
}

/** The seed every request's seed derives from, and how many calls run at once. */
export const running = {
  seed: z.number().int().min(0).default(0).describe("Seed from which every request's seed is derived."),
  concurrency: z.number().int().min(1).default(8).describe("How many independent generations or scorings run at once.")
}

/** Sampling settings as the step protocol uses them (filled in). */
export interface Sampling {
  readonly temperature: number
  /** Output-token limit of one step. */
  readonly stepTokens: number
  /** Output-token limit of a whole solution: a rollout's limit and a trajectory's token cap. */
  readonly maxTokens: number
  /** A trajectory that reaches this many steps is finished. */
  readonly maxSteps: number
}

/** The settings of a step-level search: sampling, seed, concurrency, aggregation, rescue. */
export interface StepSettings extends Sampling {
  readonly lengthEnds: boolean
  readonly seed: number
  readonly concurrency: number
  readonly aggregation: Aggregation.Method
  readonly rescue: boolean
}

/** The rescue settings of `Run.search` for a step-level search, or `undefined` when its `rescue` is off. */
export const rescueOf = (
  settings: StepSettings
): { readonly sampling: Sampling; readonly seed: number; readonly aggregation: Aggregation.Method } | undefined =>
  settings.rescue ? { sampling: settings, seed: settings.seed, aggregation: settings.aggregation } : undefined
