import { Effect } from "effect"
import type { InvalidOptions, Problem } from "@stepwise/core"
import * as Common from "./Common.js"
import * as Expansion from "./Expansion.js"
import * as Run from "./Run.js"
import type { Normalizer } from "./Selection.js"
import * as Selection from "./Selection.js"
import type { Strategy } from "./Strategy.js"
import { describe } from "./Strategy.js"
import * as Validate from "./Validate.js"

/** Options of self-consistency. */
export interface Options extends Omit<Common.Options, "aggregation"> {
  /** Number of samples (default 8). */
  readonly n?: number
  /** Groups equal answers for the vote (default `Answer.normalize`). */
  readonly normalize?: Normalizer
  /** Samples per request, batched with `n` (default 8). */
  readonly batch?: number
}

/**
 * Self-consistency (Wang et al. 2022): N samples generated to the end, the most frequent normalized answer wins.
 * No verifier call is made. Use as the verifier-free baseline.
 *
 * @example
 * const strategy = yield* SelfConsistency.make({ n: 8 })
 */
export const make = (options: Options = {}): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Validate.all("SelfConsistency", [
      Validate.integerAtLeast("n", options.n, 1),
      Validate.integerAtLeast("batch", options.batch, 1),
      Selection.normalizerCheck(options.normalize),
      ...Common.checks(options)
    ])
    const common = Common.resolve(options)
    const n = options.n ?? 8
    const batch = options.batch ?? 8
    const normalize = options.normalize ?? Selection.defaultNormalizer
    const name = `self-consistency-${n}`
    return {
      name,
      options: describe({ n, batch, temperature: common.temperature, maxTokens: common.maxTokens, seed: common.seed, concurrency: common.concurrency }),
      run: (problem: Problem.Problem) =>
        Run.search(
          name,
          problem,
          (recorder) =>
            Effect.gen(function* () {
              yield* Expansion.sampleRollouts(problem, recorder, 0, {
                n,
                batch,
                seed: common.seed,
                sampling: common,
                concurrency: common.concurrency
              })
            }),
          (candidates) => Selection.select(candidates, "majority", normalize)
        )
    }
  })
