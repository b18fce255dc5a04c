import { Effect } from "effect"
import type { LanguageModelError } from "@stepwise/core"
import { VerifierError } from "@stepwise/core"

/**
 * Turns the language-model failures of a verifier built over a model into `VerifierError` (the PRM contract's
 * error), keeping the model's typed error as `cause`; `BudgetExhausted` passes through unchanged.
 * Use around the model calls of a generative verifier.
 *
 * @example
 * model.generate(request).pipe(ModelFailure.asVerifierError("judge"))
 */
export const asVerifierError =
  (verifier: string) =>
  <A, E, R>(effect: Effect.Effect<A, E | LanguageModelError, R>): Effect.Effect<A, E | VerifierError, R> =>
    Effect.catchTag(
      effect as Effect.Effect<A, LanguageModelError, R>,
      ["RateLimited", "Timeout", "BadResponse", "Unavailable", "InvalidRequest", "Unmetered"],
      (error: LanguageModelError) =>
        Effect.fail(new VerifierError({ verifier, detail: `language model failed: ${error.message}`, cause: error }))
    ) as Effect.Effect<A, E | VerifierError, R>
