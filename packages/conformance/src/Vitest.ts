import type { TestCase } from "./TestCase.js"

/** The parts of vitest's API (or any runner shaped like it: jest, mocha) that `register` uses. */
export interface Runner {
  readonly describe: (name: string, body: () => void) => void
  readonly it: (name: string, body: () => Promise<void>, timeout?: number) => void
}

/**
 * Registers a suite's cases under one `describe`: one `it` per case.
 *
 * @example
 * import { describe, it } from "vitest"
 * Vitest.register({ describe, it }, "my backend", Backend.cases({ name: "mine", make: Mine.make(options) }))
 */
export const register = (runner: Runner, title: string, cases: ReadonlyArray<TestCase>, timeout?: number): void =>
  runner.describe(title, () => {
    for (const testCase of cases) runner.it(testCase.name, testCase.run, timeout)
  })
