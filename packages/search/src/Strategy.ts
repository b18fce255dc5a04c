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
  /** The options the strategy runs with, defaults filled in (for reports); functions are left out. */
  readonly options?: Readonly<Record<string, unknown>>
}

/**
 * Drops function-valued fields (a normalizer) so options can be shown in a report.
 * Use when filling `Strategy.options`.
 */
export const describe = (options: object): Readonly<Record<string, unknown>> =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => typeof value !== "function"))
