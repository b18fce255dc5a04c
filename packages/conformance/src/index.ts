/**
 * @stepwise/conformance: the contract suites of stepwise's extension points, as named test cases any test runner
 * registers — `Backend.cases` for language-model backends, `Verifier.cases` for verifiers, `Strategy.cases` for
 * search strategies (over the `ToyWorld`) — and `Vitest.register`,
 * a one-line adapter for vitest (or any runner with `describe` and `it`). Every built-in backend, verifier and
 * strategy runs them; a third-party one runs them with one call.
 */
export * as Backend from "./Backend.js"
export * as Strategy from "./Strategy.js"
export * as TestCase from "./TestCase.js"
export * as ToyWorld from "./ToyWorld.js"
export * as Verifier from "./Verifier.js"
export * as Vitest from "./Vitest.js"
