import { Effect } from "effect"
import { InvalidOptions } from "@stepwise/core"

/** One check of an options field: `undefined` when it passes, else what is wrong. */
export type Check = readonly [field: string, problem: string | undefined]

/**
 * Runs field checks in order and fails with the first `InvalidOptions`, naming the field.
 * Use at the edge of every `make`.
 *
 * @example
 * Validate.all("BestOfN", [Validate.integerAtLeast("n", options.n, 1)])
 */
export const all = (subject: string, checks: ReadonlyArray<Check>): Effect.Effect<void, InvalidOptions> => {
  for (const [field, problem] of checks)
    if (problem !== undefined) return Effect.fail(new InvalidOptions({ subject, field, detail: problem }))
  return Effect.void
}

/** An integer ≥ `least` (or unset when optional). */
export const integerAtLeast = (field: string, value: number | undefined, least: number): Check => [
  field,
  value === undefined || (Number.isInteger(value) && value >= least) ? undefined : `must be an integer ≥ ${least}, got ${String(value)}`
]

/** A finite number > 0 (or unset). */
export const positive = (field: string, value: number | undefined): Check => [
  field,
  value === undefined || (typeof value === "number" && Number.isFinite(value) && value > 0)
    ? undefined
    : `must be a finite number > 0, got ${String(value)}`
]

/** A finite number ≥ 0 (or unset). */
export const nonNegative = (field: string, value: number | undefined): Check => [
  field,
  value === undefined || (typeof value === "number" && Number.isFinite(value) && value >= 0)
    ? undefined
    : `must be a finite number ≥ 0, got ${String(value)}`
]

/** One of the listed values (or unset). */
export const oneOf = <A extends string>(field: string, value: A | undefined, allowed: ReadonlyArray<A>): Check => [
  field,
  value === undefined || allowed.includes(value) ? undefined : `must be one of ${allowed.join(", ")}, got ${String(value)}`
]

/** A custom condition. */
export const that = (field: string, holds: boolean, problem: string): Check => [field, holds ? undefined : problem]
