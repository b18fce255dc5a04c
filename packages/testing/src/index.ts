/**
 * @stepwise/testing (private): the Effect test helper and scripted backends shared by the packages' tests, with the
 * generators of `@stepwise/arbitraries`.
 */
export { Adversarial, Credentials } from "@stepwise/arbitraries"
export { itEffect, run } from "./itEffect.js"
export * as Scripted from "./Scripted.js"
