/**
 * @stepwise/testing-base (private): test support that depends on no stepwise package, so every package's tests can
 * use it (core's included) without a cycle: the Effect test helper and fast-check generators. `@stepwise/testing`
 * re-exports it with the scripted backends.
 */
export { itEffect, run } from "./itEffect.js"
export * as Credentials from "./Credentials.js"
export * as Adversarial from "./Adversarial.js"
