import type { Meter } from "@stepwise/core"

/**
 * What one call spends, in the terms cost models price: the role, prompt and cached-prompt tokens, output
 * tokens over all samples, the number of samples, and verifier calls.
 */
export interface Charge {
  readonly role: Meter.Role
  readonly inputTokens: number
  readonly cachedInputTokens: number
  readonly outputTokens: number
  readonly samples: number
  readonly verifierCalls: number
}
