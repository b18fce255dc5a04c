import { Effect } from "effect"
import { z } from "zod"
import type { Problem } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"

/** The options of best-of-N (strict; defaults as search-and-learn). */
export const options = z
  .object({
    n: Strategy.sizeOption().default(4).describe("Number of full samples (search-and-learn: 4)."),
    selection: Selection.methodOption("weighted"),
    equivalence: Selection.equivalenceOption,
    batch: z.number().int().min(1).default(8).describe("Samples per request, batched with n."),
    ...SearchOptions.sampling,
    ...SearchOptions.scoring,
    ...SearchOptions.running
  })
  .strict()

/** Options of best-of-N as a user writes them (every field optional). */
export type Options = z.input<typeof options>

/**
 * Best-of-N (search-and-learn `best_of_n.py`): N samples generated to the end in batched requests, every one
 * scored by the verifier (scores aggregated per `aggregation`), the answer picked by best score, majority or
 * score-weighted vote over normalized answers. Under a short budget it keeps the samples that fitted. The default
 * pick is the score-weighted vote ("weighted best-of-N", search-and-learn's headline variant, computed in its
 * `score.py`); `best_of_n.py`'s own pick, the argmax, is `selection: "best"`.
 */
export const entry = Strategy.define({
  kind: "best-of-n",
  description: "N full samples, each scored; pick by best score, majority or score-weighted vote (search-and-learn).",
  options,
  size: { option: "n", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 1024 },
  build: (settings) => {
    const name = `best-of-${settings.n}`
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              const leaves = yield* Expansion.sampleRollouts(problem, recorder, 0, {
                n: settings.n,
                batch: settings.batch,
                seed: settings.seed,
                sampling: settings,
                concurrency: settings.concurrency
              })
              yield* Scoring.scoreNodes(problem, recorder, leaves, settings)
            }),
          select: ({ candidates }) => Selection.select(candidates, settings.selection, equivalence)
        })
    }
  }
})

/**
 * Makes best-of-N from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* BestOfN.make({ n: 16, selection: "weighted" })
 */
export const make = Strategy.maker(entry)
