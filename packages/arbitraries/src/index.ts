/**
 * @stepwise/arbitraries (private): fast-check generators for the packages' property tests. It depends on no stepwise
 * package, so every package's tests can use it (core's included) without a cycle; `@stepwise/testing` re-exports it.
 */
export * as Credentials from "./Credentials.js"
export * as Adversarial from "./Adversarial.js"
