import { Effect } from "effect"
import { z } from "zod"
import type { Problem } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"

/** The options of self-consistency (strict). */
export const options = z
  .object({
    n: Strategy.sizeOption().default(8).describe("Number of samples."),
    equivalence: Selection.equivalenceOption,
    batch: z.number().int().min(1).default(8).describe("Samples per request, batched with n."),
    ...SearchOptions.sampling,
    ...SearchOptions.running
  })
  .strict()

/** Options of self-consistency as a user writes them. */
export type Options = z.input<typeof options>

/**
 * Self-consistency (Wang et al. 2022): N samples generated to the end, the most frequent normalized answer wins.
 * No verifier call is made. Use as the verifier-free baseline.
 */
export const entry = Strategy.define({
  kind: "self-consistency",
  description: "N full samples, majority vote over their answers; no verifier (Wang et al. 2022).",
  options,
  size: { option: "n", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 1024 },
  build: (settings) => {
    const name = `self-consistency-${settings.n}`
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.asVoid(
              Expansion.sampleRollouts(problem, recorder, 0, {
                n: settings.n,
                batch: settings.batch,
                seed: settings.seed,
                sampling: settings,
                concurrency: settings.concurrency
              })
            ),
          select: ({ candidates }) => Selection.select(candidates, "majority", equivalence)
        })
    }
  }
})

/**
 * Makes self-consistency from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* SelfConsistency.make({ n: 8 })
 */
export const make = Strategy.maker(entry)
