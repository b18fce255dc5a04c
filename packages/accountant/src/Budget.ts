import { Effect } from "effect"
import { InvalidOptions, Resource } from "@stepwise/core"

/** Limits over any subset of the resources; a resource left out is unlimited. */
export type Limits = Partial<Record<Resource.Resource, number>>

/**
 * A budget: a label and limits. Child budgets spend from their parent (see `Accountant.child`).
 *
 * @example
 * const budget = yield* Budget.make({ outputTokens: 20_000, verifierCalls: 64 }, "problem-17")
 */
export interface Budget {
  readonly label: string
  readonly limits: Limits
}

/** An unlimited budget. */
export const unlimited: Budget = { label: "unlimited", limits: {} }

/** Checks limits: each must be a finite number ≥ 0 and name a known resource. */
export const validate = (limits: Limits, subject = "Budget"): Effect.Effect<Limits, InvalidOptions> => {
  for (const [resource, limit] of Object.entries(limits)) {
    if (!(Resource.all as ReadonlyArray<string>).includes(resource))
      return Effect.fail(new InvalidOptions({ subject, field: resource, detail: `is not a resource (one of ${Resource.all.join(", ")})` }))
    if (limit === undefined) continue
    if (typeof limit !== "number" || !Number.isFinite(limit) || limit < 0)
      return Effect.fail(new InvalidOptions({ subject, field: resource, detail: `must be a finite number ≥ 0, got ${String(limit)}` }))
  }
  return Effect.succeed(limits)
}

/** Makes a validated budget. */
export const make = (limits: Limits, label = "budget"): Effect.Effect<Budget, InvalidOptions> =>
  Effect.map(validate(limits), (checked) => ({ label, limits: checked }))

/** The limit of one resource (`Infinity` when unset). */
export const limitOf = (budget: Budget, resource: Resource.Resource): number => budget.limits[resource] ?? Number.POSITIVE_INFINITY
