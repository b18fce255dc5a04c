import type { Meter } from "@stepwise/core"

/**
 * What one call spends, in the terms cost models price: the role and the backend or verifier it was for (its
 * label, and its model when it names one, so prices can differ per model), prompt and cached-prompt tokens, output
 * tokens over all samples, the number of samples, and verifier calls.
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
  readonly verifierCalls: number
}
