import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { Problem, SearchError, SearchResult } from "@stepwise/core"
import { SearchEvent } from "@stepwise/core"
import type { Selected } from "./Selection.js"
import type { Requirements } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Builds the outcome of a search from what it selected: `Answered` when there is an answer, else an explicit
 * `NoAnswer` whose reason says why (the budget ended before anything finished, nothing finished, or nothing
 * finished had an extractable answer).
 */
export const outcomeOf = (
  selected: Selected,
  candidateCount: number,
  exhausted: boolean
): SearchResult.Outcome => {
  if (selected.answer !== undefined) return { _tag: "Answered", answer: selected.answer }
  if (candidateCount === 0)
    return exhausted
      ? { _tag: "NoAnswer", reason: "budget-exhausted", detail: "the budget ended before any candidate finished" }
      : { _tag: "NoAnswer", reason: "no-finished-candidate", detail: "the search ended without a finished candidate" }
  return {
    _tag: "NoAnswer",
    reason: "no-extractable-answer",
    detail: `${candidateCount} finished candidate(s), none with a \\boxed{} answer`
  }
}

/**
 * Runs a strategy's body under an unlimited child budget of the current accountant, so the spend of this search
 * alone is read from the child's snapshot; emits `search-start` and `search-end`; catches `BudgetExhausted`
 * (anytime: the result holds the best answer so far) and builds the `SearchResult` from the recorder and
 * `select`, which picks among the finished candidates.
 */
export const search = (
  strategy: string,
  problem: Problem.Problem,
  body: (recorder: TreeRecorder.Recorder) => Effect.Effect<void, SearchError, Requirements>,
  select: (candidates: ReadonlyArray<SearchResult.Candidate>, recorder: TreeRecorder.Recorder) => Selected
): Effect.Effect<SearchResult.SearchResult, SearchError, Requirements> =>
  Accountant.withChild({}, strategy)(
    Effect.gen(function* () {
      yield* SearchEvent.emit({ _tag: "search-start", strategy, problemId: problem.id })
      const recorder = TreeRecorder.make()
      yield* body(recorder).pipe(
        Effect.catchTag("BudgetExhausted", (error) => TreeRecorder.markExhausted(recorder, error))
      )
      const candidates = TreeRecorder.candidates(recorder)
      const selected = select(candidates, recorder)
      const exhausted = TreeRecorder.isExhausted(recorder)
      const outcome = outcomeOf(selected, candidates.length, exhausted)
      const snapshot = yield* Accountant.snapshot
      const tree = TreeRecorder.tree(recorder)
      for (const candidate of candidates)
        yield* SearchEvent.emit({
          _tag: "candidate-finish",
          nodeId: candidate.nodeId,
          answer: candidate.answer,
          score: candidate.score
        })
      yield* SearchEvent.emit({
        _tag: "search-end",
        strategy,
        answer: selected.answer,
        reason: outcome._tag === "Answered" ? (exhausted ? "budget-exhausted" : "finished") : outcome.reason
      })
      return {
        strategy,
        problemId: problem.id,
        outcome,
        answer: selected.answer,
        best: selected.best?.trajectory,
        bestScore: selected.best?.score,
        candidates,
        tree,
        spend: snapshot.spent,
        usage: TreeRecorder.usage(tree),
        budgetExhausted: exhausted
      }
    })
  )
