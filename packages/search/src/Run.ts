import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { BudgetExhausted, Problem, SearchError, SearchResult } from "@stepwise/core"
import { LanguageModel, SearchEvent } from "@stepwise/core"
import type { Aggregation as Aggregations } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as Scoring from "./Scoring.js"
import type { Sampling } from "./SearchOptions.js"
import type { Selected } from "./Selection.js"
import type { Requirements } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Builds the outcome of a search from what it selected: `Answered` when there is an answer, else an explicit
 * `NoAnswer` whose reason says why (the budget ended before anything finished, nothing finished, or nothing
 * finished had an extractable answer). Given the `BudgetExhausted` that ended the search, its detail says which
 * budget, what the refused call asked for and what was left (a budget smaller than one call's reservation spends
 * nothing; this says so).
 */
export const outcomeOf = (
  selected: Selected,
  candidateCount: number,
  exhausted: boolean,
  cause?: BudgetExhausted
): SearchResult.Outcome => {
  if (selected.answer !== undefined) return { _tag: "Answered", answer: selected.answer }
  if (exhausted) {
    const why = cause === undefined ? "" : ` (${cause.message})`
    return {
      _tag: "NoAnswer",
      reason: "budget-exhausted",
      detail:
        candidateCount === 0
          ? `the budget ended before any candidate finished${why}`
          : `the budget ended; ${candidateCount} finished candidate(s), none with a \\boxed{} answer${why}`
    }
  }
  if (candidateCount === 0)
    return { _tag: "NoAnswer", reason: "no-finished-candidate", detail: "the search ended without a finished candidate" }
  return {
    _tag: "NoAnswer",
    reason: "no-extractable-answer",
    detail: `${candidateCount} finished candidate(s), none with a \\boxed{} answer`
  }
}

/**
 * The rescue of a step-level search (the `rescue` option): when the budget ends before any candidate with an
 * answer finished, one rollout from the best unfinished node (highest aggregate, then deepest, then oldest) with
 * whatever output tokens are left (`minTokens` 1), then one scoring if the budget allows. Anytime in practice:
 * a search that ran out mid-way still answers when the rest of a solution fits.
 */
export interface Rescue {
  readonly sampling: Sampling
  readonly seed: number
  readonly aggregation: Aggregations.Method
}

const rescueRollout = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  rescue: Rescue
): Effect.Effect<void, SearchError, Requirements> =>
  Effect.gen(function* () {
    let best: TreeRecorder.MutableNode | undefined
    const rank = (node: TreeRecorder.MutableNode) => node.aggregate ?? Number.NEGATIVE_INFINITY
    for (const node of recorder.nodes) {
      if (node.finished) continue
      if (best === undefined || rank(node) > rank(best) || (rank(node) === rank(best) && node.depth > best.depth)) best = node
    }
    if (best === undefined) return
    const request = {
      ...Expansion.rolloutRequest(problem, best.trajectory, {
        n: 1,
        seed: Seed.derive(rescue.seed, "rescue", best.id),
        temperature: rescue.sampling.temperature,
        maxTokens: rescue.sampling.maxTokens
      }),
      minTokens: 1
    }
    const completions = yield* LanguageModel.generate(request).pipe(
      Effect.catchTag("BudgetExhausted", () => Effect.succeed([] as ReadonlyArray<LanguageModel.Completion>))
    )
    const completion = completions[0]
    if (completion === undefined) return
    yield* TreeRecorder.expand(recorder, best.id, 1)
    const leaf = yield* Expansion.recordRollout(recorder, best.id, completion)
    yield* Scoring.scoreNode(problem, recorder, leaf, rescue.aggregation)
  })

/** What a strategy's selection step gets: the finished candidates, the state its body returned, the recorder. */
export interface SelectionInput<State, Data> {
  readonly candidates: ReadonlyArray<SearchResult.Candidate>
  /** What the body returned; `undefined` when the body stopped on `BudgetExhausted` before returning. */
  readonly state: State | undefined
  readonly recorder: TreeRecorder.Recorder<Data>
}

/** A search as `search` runs it (one named-options object). */
export interface Definition<State, Data> {
  /** The strategy's display name (events, results). */
  readonly strategy: string
  readonly problem: Problem.Problem
  /** Makes each tree node's `data` (default: none); see `TreeRecorder.Recorder`. */
  readonly nodeData?: TreeRecorder.Recorder<Data>["initialData"]
  /** Grows the tree; returns what the selection step needs (popped goals, final particles, …). */
  readonly body: (recorder: TreeRecorder.Recorder<Data>) => Effect.Effect<State, SearchError, Requirements>
  /** Picks the answer among the finished candidates. */
  readonly select: (input: SelectionInput<State, Data>) => Selected
  /** When set, a search that ran out of budget before any answer finished tries one last rollout. */
  readonly rescue?: Rescue | undefined
}

/**
 * Runs a strategy's body under an unlimited child budget of the current accountant, so the spend of this search
 * alone is read from the child's snapshot; emits `search-start` and `search-end`; catches `BudgetExhausted`
 * (anytime: the result holds the best answer so far) and builds the `SearchResult` from the recorder and
 * `select`, which gets the state the body returned. With `rescue`, a search that ran out of budget before any
 * answer finished tries one last rollout (see `Rescue`).
 *
 * @example
 * Run.search({
 *   strategy: "greedy", problem,
 *   body: (recorder) => Effect.map(Expansion.expandNode(problem, recorder, 0, options), (ids) => ids),
 *   select: ({ candidates }) => Selection.select(candidates, "best")
 * })
 */
export const search = <State, Data = undefined>(
  definition: Definition<State, Data>
): Effect.Effect<SearchResult.SearchResult, SearchError, Requirements> => {
  const { strategy, problem, rescue } = definition
  return Accountant.withChild({}, strategy)(
    Effect.gen(function* () {
      yield* SearchEvent.emit({ _tag: "search-start", strategy, problemId: problem.id })
      const recorder =
        definition.nodeData === undefined
          ? (TreeRecorder.make() as unknown as TreeRecorder.Recorder<Data>)
          : TreeRecorder.make(definition.nodeData)
      const state = yield* definition.body(recorder).pipe(
        Effect.catchTag("BudgetExhausted", (error) => Effect.as(TreeRecorder.markExhausted(recorder, error), undefined))
      )
      if (
        rescue !== undefined &&
        TreeRecorder.isExhausted(recorder) &&
        TreeRecorder.candidates(recorder).every((candidate) => candidate.answer === undefined)
      )
        yield* rescueRollout(problem, recorder, rescue)
      const candidates = TreeRecorder.candidates(recorder)
      const selected = definition.select({ candidates, state, recorder })
      const exhausted = TreeRecorder.isExhausted(recorder)
      const outcome = outcomeOf(selected, candidates.length, exhausted, recorder.exhausted)
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
}
