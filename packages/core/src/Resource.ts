/**
 * The resources a budget can limit: policy tokens (input, the part of the input a server's prefix cache served,
 * output, and their total), verifier calls and tokens, and an abstract cost (dollars, eFLOPs, … as a `CostModel`
 * defines it). `cachedInputTokens` is part of `inputTokens`, reported by the server; it is charged after a call,
 * never reserved (a worst case has nothing cached).
 */
export type Resource =
  | "inputTokens"
  | "cachedInputTokens"
  | "outputTokens"
  | "totalTokens"
  | "verifierCalls"
  | "verifierTokens"
  | "cost"

/** Every resource, in a fixed order. */
export const all: ReadonlyArray<Resource> = [
  "inputTokens",
  "cachedInputTokens",
  "outputTokens",
  "totalTokens",
  "verifierCalls",
  "verifierTokens",
  "cost"
]

/** An amount of each resource: spent, reserved, remaining or requested. */
export type Amounts = Readonly<Record<Resource, number>>

/** Nothing of anything. */
export const none: Amounts = {
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  verifierCalls: 0,
  verifierTokens: 0,
  cost: 0
}

/** Adds two amounts, resource by resource. */
export const add = (left: Amounts, right: Amounts): Amounts => ({
  inputTokens: left.inputTokens + right.inputTokens,
  cachedInputTokens: left.cachedInputTokens + right.cachedInputTokens,
  outputTokens: left.outputTokens + right.outputTokens,
  totalTokens: left.totalTokens + right.totalTokens,
  verifierCalls: left.verifierCalls + right.verifierCalls,
  verifierTokens: left.verifierTokens + right.verifierTokens,
  cost: left.cost + right.cost
})

/** Subtracts `right` from `left`, resource by resource. */
export const subtract = (left: Amounts, right: Amounts): Amounts => ({
  inputTokens: left.inputTokens - right.inputTokens,
  cachedInputTokens: left.cachedInputTokens - right.cachedInputTokens,
  outputTokens: left.outputTokens - right.outputTokens,
  totalTokens: left.totalTokens - right.totalTokens,
  verifierCalls: left.verifierCalls - right.verifierCalls,
  verifierTokens: left.verifierTokens - right.verifierTokens,
  cost: left.cost - right.cost
})

/** Makes amounts from a partial record (missing resources are 0). */
export const make = (partial: Partial<Record<Resource, number>>): Amounts => ({ ...none, ...partial })
