/**
 * @stepwise/testing (private): the scripted backends shared by the packages' tests, built through the real makes, with
 * `@stepwise/testing-base` (the Effect test helper and generators) re-exported.
 */
export { Adversarial, Credentials, itEffect, run } from "@stepwise/testing-base"
export * as Scripted from "./Scripted.js"
