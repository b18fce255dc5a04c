import { z } from "zod"
import type { Problem } from "@stepwise/core"
import { Options } from "@stepwise/core"

/** Reads a Game of 24 problem's four numbers (the default reads them from the question). */
export interface NumbersOf {
  (problem: Problem.Problem): ReadonlyArray<number>
}

/**
 * The options of the exact checkers (`ExactChecker.arithmetic`, `ExactChecker.game24`) as strict zod schemas with
 * their defaults: what the verifier registry validates for the `exact-arithmetic` and `exact-game24` kinds.
 */

const unchecked = z.number().min(0).max(1).default(1).describe("Score of a step with no equation that can be checked (1: nothing wrong was found).")

/** Options of `ExactChecker.arithmetic`. */
export const arithmetic = z
  .object({
    unchecked,
    checkAnswer: z.boolean().default(false).describe("Also check a step's \\boxed{} answer against the problem's reference, exactly when both are numbers."),
    name: z.string().min(1).default("exact-arithmetic").describe("Name reported to traces and the accountant.")
  })
  .strict()

/** Options of `ExactChecker.game24`. */
export const game24 = z
  .object({
    target: z.number().finite().default(24).describe("The number to reach."),
    numbersOf: Options.code<NumbersOf>("a function from a problem to its puzzle numbers").optional(),
    unchecked,
    name: z.string().min(1).default("exact-game24").describe("Name reported to traces and the accountant.")
  })
  .strict()
