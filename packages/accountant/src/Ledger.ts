import { BudgetExhausted, Resource } from "@stepwise/core"
import type { Budget } from "./Budget.js"
import { limitOf } from "./Budget.js"

/**
 * The mutable state of one budget in a tree of budgets. Every change happens synchronously inside one
 * `Effect.sync`, so checks and updates are atomic under any interleaving of fibers.
 * Internal to the accountant; read it through `Accountant.snapshot`.
 */
export interface Ledger {
  readonly budget: Budget
  readonly parent: Ledger | undefined
  /** The open children (a closed child is detached, see `detach`). */
  readonly children: Set<Ledger>
  spent: Resource.Amounts
  /** Spent by calls made on this budget directly, not through a child. */
  ownSpent: Resource.Amounts
  reserved: Resource.Amounts
  /** Usage reported above what the limits allowed to charge; recorded, never charged past a limit. */
  overrun: Resource.Amounts
  /** Totals of the accountant's measured cost models (eFLOPs, dollars, …), by name; this budget and its children. */
  readonly measured: Map<string, number>
}

/** Makes a ledger, attached to its parent when given. */
export const make = (budget: Budget, parent: Ledger | undefined): Ledger => {
  const ledger: Ledger = {
    budget,
    parent,
    children: new Set(),
    spent: Resource.none,
    ownSpent: Resource.none,
    reserved: Resource.none,
    overrun: Resource.none,
    measured: new Map()
  }
  parent?.children.add(ledger)
  return ledger
}

/** Detaches a ledger from its parent's open children (its spend stays in the parent's totals). */
export const detach = (ledger: Ledger): void => {
  ledger.parent?.children.delete(ledger)
}

/** Adds measured amounts (cost-model name, amount) to the ledger and every ancestor. */
export const measure = (ledger: Ledger, amounts: ReadonlyArray<readonly [string, number]>): void => {
  for (const node of chain(ledger)) for (const [name, amount] of amounts) node.measured.set(name, (node.measured.get(name) ?? 0) + amount)
}

/** The ledger and its ancestors, nearest first. */
export const chain = (ledger: Ledger): ReadonlyArray<Ledger> => {
  const result: Array<Ledger> = []
  for (let node: Ledger | undefined = ledger; node !== undefined; node = node.parent) result.push(node)
  return result
}

/** What is left of one resource in one ledger: limit − spent − reserved. */
export const remainingOf = (ledger: Ledger, resource: Resource.Resource): number =>
  limitOf(ledger.budget, resource) - ledger.spent[resource] - ledger.reserved[resource]

/** The first limit along the chain that `amounts` would pass, as an error; `undefined` when it fits. */
export const violation = (ledger: Ledger, amounts: Resource.Amounts): BudgetExhausted | undefined => {
  for (const node of chain(ledger)) {
    for (const resource of Resource.all) {
      const requested = amounts[resource]
      if (requested <= 0) continue
      const remaining = remainingOf(node, resource)
      if (requested > remaining)
        return new BudgetExhausted({ resource, requested, remaining: Math.max(0, remaining), budget: node.budget.label })
    }
  }
  return undefined
}

/** Adds `amounts` to the reserved column of the whole chain. */
export const reserve = (ledger: Ledger, amounts: Resource.Amounts): void => {
  for (const node of chain(ledger)) node.reserved = Resource.add(node.reserved, amounts)
}

/** Removes `amounts` from the reserved column of the whole chain. */
export const unreserve = (ledger: Ledger, amounts: Resource.Amounts): void => {
  for (const node of chain(ledger)) node.reserved = Resource.subtract(node.reserved, amounts)
}

/**
 * Charges `actual` after its reservation was removed. Each resource is charged as far as every limit on the
 * chain allows; the rest is recorded as overrun on the whole chain. Returns what was charged.
 */
export const charge = (ledger: Ledger, actual: Resource.Amounts): Resource.Amounts => {
  const nodes = chain(ledger)
  const charged: Record<Resource.Resource, number> = { ...Resource.none }
  for (const resource of Resource.all) {
    let allowed = actual[resource]
    for (const node of nodes) allowed = Math.min(allowed, Math.max(0, remainingOf(node, resource)))
    charged[resource] = Math.max(0, allowed)
  }
  const overrun = Resource.subtract(actual, charged)
  for (const node of nodes) {
    node.spent = Resource.add(node.spent, charged)
    node.overrun = Resource.add(node.overrun, overrun)
  }
  ledger.ownSpent = Resource.add(ledger.ownSpent, charged)
  return charged
}
