import type { Meter } from "@stepwise/core"

/**
 * What one call spends, in the terms cost models price: the role and the backend or verifier it was for (its
 * label, and its model when it names one, so prices can differ per model), prompt and cached-prompt tokens, output
 * tokens over all samples (and each sample's own, when known), the number of samples, and verifier calls.
 */
export interface Charge {
  readonly role: Meter.Role
  /** The backend or verifier the call was for (`info.name`). */
  readonly label: string
  /** The model the call was for (`info.model`), when the backend names one. */
  readonly model?: string | undefined
  readonly inputTokens: number
  readonly cachedInputTokens: number
  readonly outputTokens: number
  readonly samples: number
  /**
   * Each sample's own output tokens, when every sample of the call reported its count (they sum to
   * `outputTokens`); absent when only the total is known (a reservation's worst case, an unreported count).
   */
  readonly sampleOutputTokens?: ReadonlyArray<number> | undefined
  readonly verifierCalls: number
  /** Each sample read the prompt by itself: `inputTokens` is `samples` reads of one prompt, not one shared read. */
  readonly promptPerSample?: boolean | undefined
}
