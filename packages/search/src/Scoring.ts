import { Effect } from "effect"
import type { Problem, VerifierError } from "@stepwise/core"
import { Admission, ProcessRewardModel } from "@stepwise/core"
import { Aggregation as Aggregations } from "@stepwise/core"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Scores the trajectory ending at a node with the `ProcessRewardModel` in context (one verifier call), records the
 * step scores and the aggregate in the tree, and returns the aggregate. Returns `undefined` (and marks the
 * recorder exhausted) when the budget has no room for the call.
 */
export const scoreNode = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  id: number,
  aggregation: Aggregations.Method
): Effect.Effect<number | undefined, VerifierError, ProcessRewardModel.ProcessRewardModel> =>
  ProcessRewardModel.score(problem, TreeRecorder.node(recorder, id).trajectory).pipe(
    Effect.flatMap((scoring) => {
      const aggregate = Aggregations.aggregate(aggregation, scoring.stepScores)
      return Effect.as(TreeRecorder.setScores(recorder, id, scoring.stepScores, aggregate), aggregate)
    }),
    Effect.catchTag("BudgetExhausted", (error) => Effect.as(TreeRecorder.markExhausted(recorder, error), undefined))
  )

/**
 * Scores several nodes concurrently (up to `concurrency` verifier calls at once); results follow `ids`' order,
 * `undefined` where the budget had no room for the call.
 */
export const scoreNodes = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  ids: ReadonlyArray<number>,
  options: { readonly aggregation: Aggregations.Method; readonly concurrency: number }
): Effect.Effect<ReadonlyArray<number | undefined>, VerifierError, ProcessRewardModel.ProcessRewardModel> =>
  Admission.forEach(
    ids,
    (id) => scoreNode(problem, recorder, id, options.aggregation),
    { concurrency: options.concurrency }
  )
