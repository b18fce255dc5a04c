import { Effect } from "effect"
import { Admission } from "@stepwise/core"
import type { LanguageModelError, Problem, VerifierError } from "@stepwise/core"
import type { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import type { Aggregation as Aggregations } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Scoring from "./Scoring.js"
import * as Seed from "./internal/Seed.js"
import type { Sampling } from "./SearchOptions.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Scores candidate nodes the search-and-learn way: an unfinished node first grows `steps` more greedy steps
 * (temperature 0, one at a time, in lock-step across the nodes), the whole lookahead trajectory is scored, and
 * its aggregate becomes the node's score; the lookahead steps stay in the tree but are never candidates. With
 * `steps = 0` a node is scored as it is. Results follow `ids`' order, `undefined` where the budget had no room.
 */
export const scoreWithLookahead = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  ids: ReadonlyArray<number>,
  options: {
    readonly steps: number
    readonly seed: number
    readonly sampling: Sampling
    readonly aggregation: Aggregations.Method
    readonly concurrency: number
  }
): Effect.Effect<
  ReadonlyArray<number | undefined>,
  LanguageModelError | VerifierError,
  LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel
> =>
  Effect.gen(function* () {
    const leaves = [...ids]
    for (let round = 0; round < options.steps; round++) {
      const growing = leaves
        .map((leaf, index) => ({ leaf, index }))
        .filter(({ leaf }) => !TreeRecorder.node(recorder, leaf).finished)
      if (growing.length === 0 || TreeRecorder.isExhausted(recorder)) break
      const generated = yield* Admission.forEach(
        growing,
        ({ leaf }) =>
          Expansion.requestNextSteps(problem, recorder, leaf, {
            n: 1,
            seed: Seed.derive(options.seed, "lookahead", leaf),
            sampling: options.sampling,
            temperature: 0
          }),
        { concurrency: options.concurrency }
      )
      for (let position = 0; position < growing.length; position++) {
        const entry = growing[position]
        const each = generated[position]
        if (entry === undefined || each === undefined) continue
        const added = yield* Expansion.recordNextSteps(recorder, entry.leaf, each, options.sampling)
        const child = added[0]
        if (child !== undefined) {
          TreeRecorder.exclude(recorder, child)
          leaves[entry.index] = child
        }
      }
    }
    const scores = yield* Scoring.scoreNodes(problem, recorder, leaves, options)
    ids.forEach((id, index) => {
      const leaf = leaves[index]
      if (leaf !== id) TreeRecorder.node(recorder, id).aggregate = scores[index]
    })
    return scores
  })
