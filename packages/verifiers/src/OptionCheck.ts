import { Effect } from "effect"
import { InvalidOptions } from "@stepwise/core"

/**
 * Checks of verifier options at the edges, each failing with `InvalidOptions` that names the field.
 * Use inside a verifier's `make` before building anything.
 */
export const integerAtLeast = (
  subject: string,
  field: string,
  value: number | undefined,
  least: number
): Effect.Effect<void, InvalidOptions> =>
  value === undefined || (Number.isInteger(value) && value >= least)
    ? Effect.void
    : Effect.fail(new InvalidOptions({ subject, field, detail: `must be an integer ≥ ${least}, got ${String(value)}` }))

/** The value must be a finite number in [low, high] (or absent). */
export const within = (
  subject: string,
  field: string,
  value: number | undefined,
  low: number,
  high: number
): Effect.Effect<void, InvalidOptions> =>
  value === undefined || (Number.isFinite(value) && value >= low && value <= high)
    ? Effect.void
    : Effect.fail(new InvalidOptions({ subject, field, detail: `must be a number in [${low}, ${high}], got ${String(value)}` }))

/** The value must be a finite number > 0 (or absent). */
export const positive = (subject: string, field: string, value: number | undefined): Effect.Effect<void, InvalidOptions> =>
  value === undefined || (Number.isFinite(value) && value > 0)
    ? Effect.void
    : Effect.fail(new InvalidOptions({ subject, field, detail: `must be a finite number > 0, got ${String(value)}` }))

/** The condition must hold; otherwise fails with the detail. */
export const require = (subject: string, field: string, holds: boolean, detail: string): Effect.Effect<void, InvalidOptions> =>
  holds ? Effect.void : Effect.fail(new InvalidOptions({ subject, field, detail }))
