import { Effect } from "effect"
import { it } from "vitest"

/**
 * Declares a vitest test whose body is an Effect; the test fails with the effect's failure.
 *
 * @example
 * itEffect("adds", () => Effect.gen(function* () { expect(yield* Effect.succeed(2)).toBe(2) }))
 */
export const itEffect = (name: string, body: () => Effect.Effect<unknown, unknown, never>, timeout?: number): void => {
  it(name, () => Effect.runPromise(Effect.asVoid(body())), timeout)
}

/** Runs an effect to a promise (a short name for tests). */
export const run = <A, E>(effect: Effect.Effect<A, E, never>): Promise<A> => Effect.runPromise(effect)
