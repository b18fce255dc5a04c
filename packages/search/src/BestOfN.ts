import { Effect } from "effect"
import type { InvalidOptions, Problem } from "@stepwise/core"
import * as Common from "./Common.js"
import * as Expansion from "./Expansion.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import type { Method, Normalizer } from "./Selection.js"
import * as Selection from "./Selection.js"
import type { Strategy } from "./Strategy.js"
import { describe } from "./Strategy.js"
import * as Validate from "./Validate.js"

/** Options of best-of-N. */
export interface Options extends Common.Options {
  /** Number of full samples (default 4, as search-and-learn). */
  readonly n?: number
  /** How to pick among the samples (default `weighted`). */
  readonly selection?: Method
  /** Groups equal answers for the votes (default `Answer.normalize`). */
  readonly normalize?: Normalizer
  /** Samples per request, batched with `n` (default 8). */
  readonly batch?: number
}

/**
 * Best-of-N (search-and-learn `best_of_n.py`): N samples generated to the end in batched requests, every one
 * scored by the verifier (scores aggregated per `aggregation`), the answer picked by best score, majority or
 * score-weighted vote over normalized answers. Under a short budget it keeps the samples that fitted.
 *
 * @example
 * const strategy = yield* BestOfN.make({ n: 16, selection: "weighted" })
 */
export const make = (options: Options = {}): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Validate.all("BestOfN", [
      Validate.integerAtLeast("n", options.n, 1),
      Selection.methodCheck(options.selection),
      Validate.integerAtLeast("batch", options.batch, 1),
      Selection.normalizerCheck(options.normalize),
      ...Common.checks(options)
    ])
    const common = Common.resolve(options)
    const n = options.n ?? 4
    const batch = options.batch ?? 8
    const selection = options.selection ?? "weighted"
    const normalize = options.normalize ?? Selection.defaultNormalizer
    const name = `best-of-${n}`
    return {
      name,
      options: describe({ n, selection, batch, ...common }),
      run: (problem: Problem.Problem) =>
        Run.search(
          name,
          problem,
          (recorder) =>
            Effect.gen(function* () {
              const leaves = yield* Expansion.sampleRollouts(problem, recorder, 0, {
                n,
                batch,
                seed: common.seed,
                sampling: common,
                concurrency: common.concurrency
              })
              yield* Scoring.scoreNodes(problem, recorder, leaves, common)
            }),
          (candidates) => Selection.select(candidates, selection, normalize)
        )
    }
  })
