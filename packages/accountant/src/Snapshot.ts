import { Resource } from "@stepwise/core"
import type { Limits } from "./Budget.js"
import type { Ledger } from "./Ledger.js"
import { amountsOf, remainingAt } from "./Ledger.js"

/**
 * A budget's state at one instant: limits, spent, reserved, remaining (`Infinity` for unlimited resources),
 * overrun (reported above what limits allowed to charge), and the same for each child.
 */
export interface Snapshot {
  readonly label: string
  readonly limits: Limits
  readonly spent: Resource.Amounts
  readonly ownSpent: Resource.Amounts
  /** Worst cases of calls in flight. */
  readonly reserved: Resource.Amounts
  /** Unused worst cases held for the other lanes of a round still running (see `Admission`); 0 between rounds. */
  readonly held: Resource.Amounts
  /** limit − spent − reserved − held. */
  readonly remaining: Resource.Amounts
  readonly overrun: Resource.Amounts
  /** Totals of the accountant's measured cost models, by name (see `Accountant.Options.measures`). */
  readonly measured: Readonly<Record<string, number>>
  /**
   * The budgets whose limits refused or lowered a call made on this budget or under it (its own, or an ancestor's
   * such as a shared pool), each with the first resource it limited, in the order first met.
   */
  readonly limitedBy: ReadonlyArray<{ readonly budget: string; readonly resource: Resource.Resource }>
  /** The open children's snapshots. */
  readonly children: ReadonlyArray<Snapshot>
}

/** Takes a snapshot of a ledger and its children. */
export const of = (ledger: Ledger): Snapshot => {
  const remaining = Object.fromEntries(
    Resource.all.map((resource, index) => [resource, remainingAt(ledger, index)])
  ) as Resource.Amounts
  return {
    label: ledger.budget.label,
    limits: ledger.budget.limits,
    spent: amountsOf(ledger.spent),
    ownSpent: amountsOf(ledger.ownSpent),
    reserved: amountsOf(ledger.reserved),
    held: amountsOf(ledger.held),
    remaining,
    overrun: amountsOf(ledger.overrun),
    measured: Object.fromEntries(ledger.measured),
    limitedBy: [...ledger.limitedBy].map(([budget, resource]) => ({ budget, resource })),
    children: [...ledger.children].map(of)
  }
}

/** The fraction of a limit spent (0 for an unlimited resource). */
export const spentFraction = (snapshot: Snapshot, resource: Resource.Resource): number => {
  const limit = snapshot.limits[resource]
  if (limit === undefined) return 0
  if (limit === 0) return 1
  return snapshot.spent[resource] / limit
}
