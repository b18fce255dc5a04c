import { Effect } from "effect"
import { Admission } from "@stepwise/core"
import type { LanguageModel, LanguageModelError, Problem, SearchError } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Lookahead from "./Lookahead.js"
import type { StepSettings } from "./SearchOptions.js"
import type { Requirements } from "./Strategy.js"
import type * as TreeRecorder from "./TreeRecorder.js"

/**
 * One round of a layered search (beam search, DVTS): the next steps (or final rollouts) of a set of parents,
 * generated concurrently and recorded in parent order, then scored after an optional greedy lookahead.
 */

/** The settings a round reads: the step-level settings and the lookahead depth. */
export interface Settings extends StepSettings {
  readonly lookahead: number
}

/** A node a beam-shaped search grows this iteration: its id, how many samples it gets, and their seed. */
export interface Parent {
  readonly id: number
  readonly n: number
  readonly seed: number
}

/**
 * One iteration's generation: for each parent, `n` next steps in one request — or, on the last iteration
 * (`toEnd`), `n` rollouts to the end. The requests run up to `concurrency` at once and are recorded in parent
 * order; returns each parent's new node ids (a rollout's finished leaf).
 */
export const grow = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parents: ReadonlyArray<Parent>,
  toEnd: boolean,
  settings: Settings
): Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const generated = yield* Admission.forEach(
      parents,
      (parent) => {
        const request = { n: parent.n, seed: parent.seed, sampling: settings }
        return toEnd
          ? Expansion.requestRollouts(problem, recorder, parent.id, request)
          : Expansion.requestNextSteps(problem, recorder, parent.id, request)
      },
      { concurrency: settings.concurrency }
    )
    const children: Array<ReadonlyArray<number>> = []
    for (let index = 0; index < parents.length; index++) {
      const parent = parents[index]
      const each = generated[index]
      if (parent === undefined || each === undefined) continue
      children.push(
        toEnd
          ? yield* Expansion.recordRollouts(recorder, parent.id, each)
          : yield* Expansion.recordNextSteps(recorder, parent.id, each, settings)
      )
    }
    return children
  })

/** Scores the new nodes of an iteration after the options' `lookahead` (see `Lookahead.scoreWithLookahead`). */
export const score = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  ids: ReadonlyArray<number>,
  seed: number,
  settings: Settings
): Effect.Effect<ReadonlyArray<number | undefined>, SearchError, Requirements> =>
  Lookahead.scoreWithLookahead(problem, recorder, ids, {
    steps: settings.lookahead,
    seed,
    sampling: settings,
    aggregation: settings.aggregation,
    concurrency: settings.concurrency
  })
