import { Effect } from "effect"
import type { LanguageModel, LanguageModelError, Problem, SearchError } from "@stepwise/core"
import * as Common from "./Common.js"
import * as Expansion from "./Expansion.js"
import * as Lookahead from "./Lookahead.js"
import type { Method, Normalizer } from "./Selection.js"
import * as Selection from "./Selection.js"
import type { Requirements } from "./Strategy.js"
import type * as TreeRecorder from "./TreeRecorder.js"
import * as Validate from "./Validate.js"

/**
 * The options of the beam-shaped searches (beam search and DVTS): N beams grown M ways, an optional lookahead,
 * and how the answer is picked. Each strategy's own `Options` extends this with what the fields mean there.
 */
export interface Options extends Common.Options {
  /** N: the number of beams (default 16). */
  readonly beams?: number
  /** M: how many ways a beam grows per step (default 4). N must be a multiple of M. */
  readonly width?: number
  /** Greedy steps generated after a candidate step to score it, then dropped (default 0). */
  readonly lookahead?: number
  /** How to pick the answer (the default depends on the strategy). */
  readonly selection?: Method
  /** Groups equal answers for the votes (default `Answer.normalize`). */
  readonly normalize?: Normalizer
}

/** The beam options with defaults filled in, the shared options included. */
export interface Resolved extends Common.Resolved {
  readonly beams: number
  readonly width: number
  readonly lookahead: number
  readonly selection: Method
  readonly normalize: Normalizer
}

/**
 * Field checks of the beam options, the shared options last: N and M are integers ≥ 1, M divides N, the
 * lookahead is an integer ≥ 0, and `selection`, `normalize` are valid.
 *
 * @example
 * yield* Validate.all("BeamSearch", Beams.checks(options))
 */
export const checks = (options: Options): ReadonlyArray<Validate.Check> => {
  const beams = options.beams ?? 16
  const width = options.width ?? 4
  return [
    Validate.integerAtLeast("beams", options.beams, 1),
    Validate.integerAtLeast("width", options.width, 1),
    Validate.that("width", width <= beams && beams % width === 0, `must divide beams (${beams}), got ${width}`),
    Validate.integerAtLeast("lookahead", options.lookahead, 0),
    Selection.methodCheck(options.selection),
    Selection.normalizerCheck(options.normalize),
    ...Common.checks(options)
  ]
}

/**
 * Fills in the defaults (16 beams, width 4, no lookahead, the given selection, `Answer.normalize`). Key order
 * is the one reports show: beams, width, lookahead, selection, then the shared options.
 */
export const resolve = (options: Options, selection: Method): Resolved => ({
  beams: options.beams ?? 16,
  width: options.width ?? 4,
  lookahead: options.lookahead ?? 0,
  selection: options.selection ?? selection,
  normalize: options.normalize ?? Selection.defaultNormalizer,
  ...Common.resolve(options)
})


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
  settings: Resolved
): Effect.Effect<ReadonlyArray<ReadonlyArray<number>>, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const generated = yield* Effect.forEach(
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
  settings: Resolved
): Effect.Effect<ReadonlyArray<number | undefined>, SearchError, Requirements> =>
  Lookahead.scoreWithLookahead(problem, recorder, ids, {
    steps: settings.lookahead,
    seed,
    sampling: settings,
    aggregation: settings.aggregation,
    concurrency: settings.concurrency
  })
