import { BudgetExhausted, Resource } from "@stepwise/core"
import type { Budget } from "./Budget.js"
import { limitOf } from "./Budget.js"

/**
 * The mutable state of one budget in a tree of budgets, as vectors over `Resource.all` (index = position there).
 * Every change happens synchronously, so checks and updates are atomic under any interleaving of fibers. A change
 * walks the chain of parents (O(depth) additions); a check visits only the budgets on the chain that set a limit,
 * and only their limited resources. Internal to the accountant; read it through `Accountant.snapshot`.
 */
export interface Ledger {
  readonly budget: Budget
  readonly parent: Ledger | undefined
  /** The open children (a closed child is detached, see `detach`). */
  readonly children: Set<Ledger>
  /** The limit of each resource (`Infinity` when unset). */
  readonly limits: Float64Array
  /** The indices of the resources this budget limits. */
  readonly limited: ReadonlyArray<number>
  /** This ledger and its ancestors that limit something, nearest first: the budgets a reservation is checked on. */
  readonly checked: ReadonlyArray<Ledger>
  readonly spent: Float64Array
  /** Spent by calls made on this budget directly, not through a child. */
  readonly ownSpent: Float64Array
  /** Worst cases of calls in flight. */
  readonly reserved: Float64Array
  /**
   * Unused worst cases of finished calls of a round still running, held for that round's other lanes until it
   * ends (see `Admission`): counted against what is left, never spent.
   */
  readonly held: Float64Array
  /** Usage reported above what the limits allowed to charge; recorded, never charged past a limit. */
  readonly overrun: Float64Array
  /** Totals of the accountant's measured cost models (eFLOPs, dollars, …), by name; this budget and its children. */
  readonly measured: Map<string, number>
  /**
   * The budgets (by label) whose limits refused or lowered a call made on this budget or under it, each with the
   * first resource it limited: this budget's own label, or an ancestor's (a shared pool that ran low).
   */
  readonly limitedBy: Map<string, Resource.Resource>
  /**
   * When set, a call made on this budget or under it is refused, not cut, when a budget above `boundary` is what
   * binds it (a shared pool over problems: a problem cut by the pool would spend on an attempt that is no result).
   */
  readonly boundary: Ledger | undefined
}

/** The number of resources (the length of every vector). */
export const size = Resource.all.length

/** A column of zeros (a ledger's long-lived totals). */
export const zeros = (): Float64Array => new Float64Array(size)

/**
 * The amounts of one call over `Resource.all` (index = position there). A plain array: one is made per call, and a
 * small array costs far less to allocate (and collect) than a typed array.
 */
export type Vector = Array<number>

// Copied for every call's vector: an array of doubles made once, so each copy is allocated whole and never changes kind.
const zeroVector: Vector = Array.from({ length: size }, () => 0.5).fill(0)

/** A call's vector of zeros. */
export const vector = (): Vector => zeroVector.slice()

/** A vector as amounts by resource name. */
export const amountsOf = (vector: ArrayLike<number>): Resource.Amounts => ({
  inputTokens: vector[0]!,
  cachedInputTokens: vector[1]!,
  outputTokens: vector[2]!,
  totalTokens: vector[3]!,
  verifierCalls: vector[4]!,
  verifierTokens: vector[5]!,
  cost: vector[6]!
})

/**
 * Makes a ledger, attached to its parent when given. `refuseCutsAbove` makes it the boundary of its subtree (see
 * `Ledger.boundary`); otherwise it inherits its parent's.
 */
export const make = (budget: Budget, parent: Ledger | undefined, options: { readonly refuseCutsAbove?: boolean } = {}): Ledger => {
  const limits = new Float64Array(Resource.all.map((resource) => limitOf(budget, resource)))
  const limited = Resource.all.flatMap((_, index) => (Number.isFinite(limits[index]!) ? [index] : []))
  const ledger: Ledger = {
    budget,
    parent,
    children: new Set(),
    limits,
    limited,
    checked: [],
    spent: zeros(),
    ownSpent: zeros(),
    reserved: zeros(),
    held: zeros(),
    overrun: zeros(),
    measured: new Map(),
    limitedBy: new Map(),
    boundary: undefined
  }
  ;(ledger as { boundary: Ledger | undefined }).boundary = options.refuseCutsAbove === true ? ledger : parent?.boundary
  ;(ledger as { checked: ReadonlyArray<Ledger> }).checked = [...(limited.length > 0 ? [ledger] : []), ...(parent?.checked ?? [])]
  parent?.children.add(ledger)
  return ledger
}

/** Detaches a ledger from its parent's open children (its spend stays in the parent's totals). */
export const detach = (ledger: Ledger): void => {
  ledger.parent?.children.delete(ledger)
}

/** Adds measured amounts (cost-model name, amount) to the ledger and every ancestor. */
export const measure = (ledger: Ledger, amounts: ReadonlyArray<readonly [string, number]>): void => {
  for (let node: Ledger | undefined = ledger; node !== undefined; node = node.parent)
    for (const [name, amount] of amounts) node.measured.set(name, (node.measured.get(name) ?? 0) + amount)
}

/** The ledger and its ancestors, nearest first. */
export const chain = (ledger: Ledger): ReadonlyArray<Ledger> => {
  const result: Array<Ledger> = []
  for (let node: Ledger | undefined = ledger; node !== undefined; node = node.parent) result.push(node)
  return result
}

/** What is left of one resource (by index) in one ledger: limit − spent − reserved − held. */
export const remainingAt = (ledger: Ledger, index: number): number =>
  ledger.limits[index]! - ledger.spent[index]! - ledger.reserved[index]! - ledger.held[index]!

/** What is left of one resource in one ledger: limit − spent − reserved − held. */
export const remainingOf = (ledger: Ledger, resource: Resource.Resource): number => remainingAt(ledger, Resource.all.indexOf(resource))

/**
 * The first limit along the chain that `amounts` would pass, as an error; `undefined` when it fits. `visible`
 * gives, per ledger, held amounts the caller may count as free (its own lane's, see `Admission`).
 */
export const violation = (
  ledger: Ledger,
  amounts: ArrayLike<number>,
  visible?: (ledger: Ledger) => ArrayLike<number> | undefined
): BudgetExhausted | undefined => {
  for (const node of ledger.checked) {
    const violated = violationAt(node, amounts, visible)
    if (violated !== undefined) return violated
  }
  return undefined
}

/**
 * The first budget on the chain with one of `resources` used up (the resources a token of the call would count
 * toward), as an error: what refuses a verifier call whose tokens have no declared bound
 * (`Meter.Claim.tokensUnbounded`), which reserves none but may spend some.
 */
export const usedUp = (
  ledger: Ledger,
  resources: ReadonlyArray<number>,
  visible?: (ledger: Ledger) => ArrayLike<number> | undefined
): BudgetExhausted | undefined => {
  for (const node of ledger.checked) {
    const free = visible?.(node)
    for (const index of resources) {
      if (node.limited.includes(index) && remainingSeen(node, index, free) <= 0)
        return new BudgetExhausted({ resource: Resource.all[index]!, requested: 0, remaining: 0, budget: node.budget.label })
    }
  }
  return undefined
}

// What is left of one resource in one ledger, counting as free what the caller's lane holds there.
const remainingSeen = (node: Ledger, index: number, free: ArrayLike<number> | undefined): number =>
  remainingAt(node, index) + (free === undefined ? 0 : free[index]!)

// The first of one ledger's own limits that `amounts` would pass.
const violationAt = (
  node: Ledger,
  amounts: ArrayLike<number>,
  visible: ((ledger: Ledger) => ArrayLike<number> | undefined) | undefined
): BudgetExhausted | undefined => {
  const free = visible?.(node)
  for (const index of node.limited) {
    const requested = amounts[index]!
    if (requested <= 0) continue
    const remaining = remainingSeen(node, index, free)
    if (requested > remaining)
      return new BudgetExhausted({
        resource: Resource.all[index]!,
        requested,
        remaining: Math.max(0, remaining),
        budget: node.budget.label
      })
  }
  return undefined
}

/** A budget on a ledger's chain whose own limits some amounts would pass, with the error naming it. */
export interface Binding {
  readonly node: Ledger
  readonly violation: BudgetExhausted
}

/** Every budget on the chain whose own limits `amounts` would pass (nearest first). */
export const bindings = (ledger: Ledger, amounts: ArrayLike<number>, visible?: (ledger: Ledger) => ArrayLike<number> | undefined): ReadonlyArray<Binding> =>
  ledger.checked.flatMap((node) => {
    const violation = violationAt(node, amounts, visible)
    return violation === undefined ? [] : [{ node, violation }]
  })

/**
 * Notes each binding budget (see `Ledger.limitedBy`) on the ledger a call was made on and on each ancestor up to
 * that budget. Called only when a call does not fit whole, so it costs nothing on the common path.
 */
export const noteLimits = (ledger: Ledger, binding: ReadonlyArray<Binding>): void => {
  for (const { node, violation } of binding) {
    if (violation.resource === "deadline") continue
    for (let below: Ledger | undefined = ledger; below !== undefined; below = below.parent) {
      if (!below.limitedBy.has(node.budget.label)) below.limitedBy.set(node.budget.label, violation.resource)
      if (below === node) break
    }
  }
}

/** True when `node` is a strict ancestor of `ledger`. */
export const isAbove = (node: Ledger, ledger: Ledger): boolean => {
  for (let current = ledger.parent; current !== undefined; current = current.parent) if (current === node) return true
  return false
}

/** Adds `amounts` to one column (`reserved` or `held`) of the whole chain. */
export const add = (ledger: Ledger, column: "reserved" | "held", amounts: ArrayLike<number>): void => {
  for (let node: Ledger | undefined = ledger; node !== undefined; node = node.parent) {
    const target = node[column]
    for (let index = 0; index < size; index++) target[index]! += amounts[index]!
  }
}

/** Removes `amounts` from one column (`reserved` or `held`) of the whole chain. */
export const remove = (ledger: Ledger, column: "reserved" | "held", amounts: ArrayLike<number>): void => {
  for (let node: Ledger | undefined = ledger; node !== undefined; node = node.parent) {
    const target = node[column]
    for (let index = 0; index < size; index++) target[index]! -= amounts[index]!
  }
}

/**
 * Settles a call in one walk of the chain: removes its reservation `reserved` and charges `actual`. Each resource
 * is charged as far as every limit on the chain allows once the reservation is gone (held amounts are not spent, so
 * they do not stop a charge); the rest is recorded as overrun on the whole chain (left as it is when nothing was cut).
 * Returns what was charged: `actual` itself when no limit cut it.
 */
export const settle = (ledger: Ledger, reserved: ArrayLike<number>, actual: Vector): Vector => {
  let charged = actual
  for (const node of ledger.checked)
    for (const index of node.limited) {
      // What this node has left with the reservation gone (the same arithmetic as removing it first).
      const allowed = Math.max(0, node.limits[index]! - node.spent[index]! - (node.reserved[index]! - reserved[index]!))
      if (charged[index]! > allowed) {
        if (charged === actual) charged = actual.slice()
        charged[index] = allowed
      }
    }
  for (let index = 0; index < size; index++)
    if (charged[index]! < 0) {
      if (charged === actual) charged = actual.slice()
      charged[index] = 0
    }
  const cut = charged !== actual
  for (let node: Ledger | undefined = ledger; node !== undefined; node = node.parent) {
    const nodeReserved = node.reserved
    const spent = node.spent
    for (let index = 0; index < size; index++) {
      nodeReserved[index]! -= reserved[index]!
      spent[index]! += charged[index]!
    }
    if (cut) {
      const overrun = node.overrun
      for (let index = 0; index < size; index++) overrun[index]! += actual[index]! - charged[index]!
    }
  }
  const ownSpent = ledger.ownSpent
  for (let index = 0; index < size; index++) ownSpent[index]! += charged[index]!
  return charged
}
