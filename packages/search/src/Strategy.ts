import type { Effect } from "effect"
import type { Accountant } from "@stepwise/accountant"
import type { LanguageModel, Problem, ProcessRewardModel, SearchError, SearchResult } from "@stepwise/core"

/** What a strategy needs from its context: a policy, a verifier and an accountant. */
export type Requirements = LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel | Accountant.Accountant

/**
 * A search strategy: a value with a name that, given a problem, runs as an Effect over the contracts and returns
 * a `SearchResult`. Built from a small readonly options object by each strategy's `make`.
 */
export interface Strategy {
  readonly name: string
  readonly run: (problem: Problem.Problem) => Effect.Effect<SearchResult.SearchResult, SearchError, Requirements>
}
