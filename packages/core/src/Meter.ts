import { Context, Effect } from "effect"
import * as Admission from "./Admission.js"
import type { BudgetExhausted } from "./Errors.js"
import type { Usage } from "./Usage.js"

/** Whose spend a call is: the policy's, or a verifier's (a generative verifier's tokens count as verifier tokens). */
export type Role = "policy" | "verifier"

/**
 * The worst case a call may spend, claimed before it runs.
 * `maxTokensPerSample` may be lowered (clamped) to what the budget has left, but never below `minTokensPerSample`.
 */
export interface Claim {
  readonly role: Role
  /** The backend or verifier the call is for (its `info.name`). */
  readonly label: string
  /** The model the call is for (`info.model`), when the backend names one: cost models may price per model. */
  readonly model?: string
  readonly inputTokens: number
  readonly samples: number
  readonly maxTokensPerSample: number
  readonly minTokensPerSample: number
  readonly verifierCalls: number
  /**
   * A verifier call whose tokens have no declared bound (its `maxTokens` hook is absent): it reserves none, yet may
   * read and write some, so it is refused once a `verifierTokens` limit above it is used up.
   */
  readonly tokensUnbounded?: boolean
  /** Each sample reads the prompt by itself: `inputTokens` counts it once per sample (see `LanguageModel.Backend`). */
  readonly promptPerSample?: boolean
}

/** What the meter granted: the output-token limit per sample the call may use. */
export interface Grant {
  readonly maxTokensPerSample: number
}

/**
 * The metering contract that `LanguageModel.make` and `ProcessRewardModel.make` call around every backend call.
 * The accountant implements it; the default meters nothing. Strategies never call it directly.
 */
export interface Service {
  /**
   * Reserves the claim's worst case, runs `call` with the granted limit, then commits the usage read from its
   * result and releases the rest. A failed or interrupted call releases its whole reservation, unless
   * `spentOnFailure` says what it spent before it failed (answered requests of a call that then failed): that is
   * committed instead. `sampleOutputsOf`, when given, reads each sample's own output tokens (for cost models whose
   * cost is not linear in them).
   */
  readonly metered: <A, E, R>(
    claim: Claim,
    call: (grant: Grant) => Effect.Effect<A, E, R>,
    usageOf: (result: A) => Usage,
    sampleOutputsOf?: (result: A) => ReadonlyArray<number | undefined>,
    spentOnFailure?: () => Usage | undefined
  ) => Effect.Effect<A, E | BudgetExhausted, R>
}

/**
 * A meter that grants everything and records nothing. The default, so contracts work without an accountant. In a
 * round (`Admission.forEach`) its calls still keep to the round's concurrency.
 */
export const unmetered: Service = {
  metered: (claim, call) => Admission.running(call({ maxTokensPerSample: claim.maxTokensPerSample }))
}

/** The current meter (a reference: present without being provided, `unmetered` by default). */
export const Meter: Context.Reference<Service> = Context.Reference<Service>("@stepwise/Meter", {
  defaultValue: () => unmetered
})

/** The role the current fiber's calls are metered under (`policy` by default). */
export const CurrentRole: Context.Reference<Role> = Context.Reference<Role>("@stepwise/Meter/CurrentRole", {
  defaultValue: () => "policy"
})

/**
 * Runs an effect with its language-model calls metered as verifier spend.
 * Use inside a generative verifier so its tokens count as verifier tokens, not policy tokens.
 */
export const asVerifier = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, CurrentRole, "verifier")
