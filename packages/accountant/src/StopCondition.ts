import type { Resource } from "@stepwise/core"
import type { Snapshot } from "./Snapshot.js"
import { spentFraction } from "./Snapshot.js"

/**
 * A predicate over a budget snapshot that says "stop now". Compose with `any`, `all` and `not`.
 *
 * @example
 * const stop = StopCondition.any(StopCondition.remainingBelow("outputTokens", 256), StopCondition.spentAtLeast("verifierCalls", 0.9))
 */
export type StopCondition = (snapshot: Snapshot) => boolean

/** Stop when less than `amount` of a resource remains unspent and unreserved. */
export const remainingBelow =
  (resource: Resource.Resource, amount: number): StopCondition =>
  (snapshot) =>
    snapshot.remaining[resource] < amount

/** Stop once at least `fraction` of a resource's limit is spent (never for an unlimited resource). */
export const spentAtLeast =
  (resource: Resource.Resource, fraction: number): StopCondition =>
  (snapshot) =>
    snapshot.limits[resource] !== undefined && spentFraction(snapshot, resource) >= fraction

/** Stop when any condition says so. */
export const any =
  (...conditions: ReadonlyArray<StopCondition>): StopCondition =>
  (snapshot) =>
    conditions.some((condition) => condition(snapshot))

/** Stop when every condition says so. */
export const all =
  (...conditions: ReadonlyArray<StopCondition>): StopCondition =>
  (snapshot) =>
    conditions.every((condition) => condition(snapshot))

/** Stop when the condition does not. */
export const not =
  (condition: StopCondition): StopCondition =>
  (snapshot) =>
    !condition(snapshot)

/** Never stop. */
export const never: StopCondition = () => false
