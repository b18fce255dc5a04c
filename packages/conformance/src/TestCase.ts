import { Cause, Effect, Exit } from "effect"
import type { Scope } from "effect"

/**
 * A named test case of a conformance suite: what any test runner registers (`it(name, run)` in vitest, `test` in
 * node:test, …). `run` resolves when the case holds and rejects with a `ConformanceFailure` saying what did not.
 */
export interface TestCase {
  readonly name: string
  readonly run: () => Promise<void>
}

/** A conformance case found its subject breaking the contract: says which case and what was seen. */
export class ConformanceFailure extends Error {
  constructor(
    readonly suite: string,
    readonly detail: string
  ) {
    super(`${suite}: ${detail}`)
    this.name = "ConformanceFailure"
  }
}

/** Fails the case unless the condition holds (the detail says what was expected and what came). */
export const check = (suite: string, holds: boolean, detail: string): Effect.Effect<void, ConformanceFailure> =>
  holds ? Effect.void : Effect.fail(new ConformanceFailure(suite, detail))

/**
 * A case whose body is a scoped Effect: it passes when the effect succeeds; a failure or defect of the effect is the
 * case's failure, with its message.
 */
export const make = (suite: string, name: string, body: () => Effect.Effect<void, unknown, Scope.Scope>): TestCase => ({
  name,
  run: async () => {
    const exit = await Effect.runPromiseExit(Effect.scoped(Effect.suspend(body)))
    if (Exit.isSuccess(exit)) return
    const error = Cause.squash(exit.cause)
    if (error instanceof ConformanceFailure) throw error
    throw new ConformanceFailure(suite, `${name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
  }
})
