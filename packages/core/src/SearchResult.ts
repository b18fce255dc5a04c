import type { Amounts } from "./Resource.js"
import type { SearchTree } from "./SearchTree.js"
import type { Trajectory } from "./Trajectory.js"
import type { Usage } from "./Usage.js"

/** A finished candidate solution with its extracted answer and aggregated score. */
export interface Candidate {
  readonly nodeId: number
  readonly trajectory: Trajectory
  readonly answer: string | undefined
  readonly score: number | undefined
}

/** Why a search gives no answer. */
export type NoAnswerReason = "budget-exhausted" | "no-finished-candidate" | "no-extractable-answer"

/** Either an answer, or an explicit no-answer with the reason. */
export type Outcome =
  | { readonly _tag: "Answered"; readonly answer: string }
  | { readonly _tag: "NoAnswer"; readonly reason: NoAnswerReason; readonly detail: string }

/**
 * What every strategy returns: the outcome, the best trajectory, all finished candidates, the explored tree and
 * the spend (from the accountant) and usage (summed over the tree).
 */
export interface SearchResult {
  readonly strategy: string
  readonly problemId: string
  readonly outcome: Outcome
  /** The answer, when there is one (same as `outcome.answer`). */
  readonly answer: string | undefined
  readonly best: Trajectory | undefined
  readonly bestScore: number | undefined
  readonly candidates: ReadonlyArray<Candidate>
  readonly tree: SearchTree
  /** What the search spent, as the accountant metered it (policy and verifier). */
  readonly spend: Amounts
  /** Policy usage summed over the tree's nodes. */
  readonly usage: Usage
  /** True when the search stopped because the budget ran out. */
  readonly budgetExhausted: boolean
}
