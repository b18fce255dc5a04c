/**
 * @stepwise/testing (private): the Effect test helper and scripted backends shared by the packages' tests.
 */
export * as Credentials from "./Credentials.js"
export { itEffect, run } from "./itEffect.js"
export * as Scripted from "./Scripted.js"
export * as Adversarial from "./Adversarial.js"
