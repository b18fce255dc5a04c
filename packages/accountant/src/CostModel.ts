import type { Charge } from "./Charge.js"

/**
 * Prices a charge in an abstract unit (tokens, dollars, eFLOPs); the accountant meters it as the `cost` resource.
 * Must be monotone: more tokens never cost less.
 */
export interface CostModel {
  readonly name: string
  readonly unit: string
  readonly cost: (charge: Charge) => number
}

/** Plain tokens: every input and output token costs 1, policy or verifier. */
export const tokens: CostModel = {
  name: "tokens",
  unit: "tokens",
  cost: (charge) => charge.inputTokens + charge.outputTokens
}

/** Weights of `weighted`: per input token, per cached input token, per output token, per verifier call. */
export interface Weights {
  readonly input: number
  readonly cachedInput: number
  readonly output: number
  readonly verifierCall?: number
}

/**
 * Weighted tokens: cached prompt tokens cheaper than fresh ones, output dearer.
 * Cached tokens are part of the input count and priced at `cachedInput` instead of `input`.
 */
export const weighted = (weights: Weights, unit = "weighted tokens"): CostModel => ({
  name: "weighted",
  unit,
  cost: (charge) => {
    const cached = Math.min(charge.cachedInputTokens, charge.inputTokens)
    return (
      (charge.inputTokens - cached) * weights.input +
      cached * weights.cachedInput +
      charge.outputTokens * weights.output +
      charge.verifierCalls * (weights.verifierCall ?? 0)
    )
  }
})

/** Prices per million tokens, in dollars, as providers quote them. */
export interface Prices {
  readonly inputPerMillion: number
  readonly cachedInputPerMillion?: number
  readonly outputPerMillion: number
  readonly perVerifierCall?: number
}

/** Dollars from per-million-token prices. */
export const price = (prices: Prices): CostModel => ({
  ...weighted(
    {
      input: prices.inputPerMillion / 1e6,
      cachedInput: (prices.cachedInputPerMillion ?? prices.inputPerMillion) / 1e6,
      output: prices.outputPerMillion / 1e6,
      verifierCall: prices.perVerifierCall ?? 0
    },
    "USD"
  ),
  name: "price"
})

/**
 * A transformer's shape, as the Kinetics cost model needs it. Shapes are data: pass the numbers of your model.
 * `parameters` counts active parameters (for a mixture of experts, those used per token).
 */
export interface ModelShape {
  readonly parameters: number
  readonly queryHeads: number
  readonly kvHeads: number
  readonly headDim: number
  readonly layers: number
}

/** The B200's arithmetic intensity, Kinetics' default I. */
export const defaultArithmeticIntensity = 562.5

/** The two parts of a Kinetics cost, in FLOPs. */
export interface KineticsCost {
  readonly compute: number
  readonly memory: number
  readonly total: number
}

/**
 * Kinetics (arXiv 2506.05333) cost of N samples of `outputTokens` each after a shared prompt of `inputTokens`:
 * compute = N·[2P·L_out + 2(2L_in + L_out)·L_out·H_q·d_h], memory = 2(2L_in + N·L_out)·L_out·H_kv·d_h·I,
 * with d_h = head dim × layers. Returns both parts and their sum (eFLOPs).
 */
export const kineticsCost = (
  shape: ModelShape,
  call: { readonly samples: number; readonly inputTokens: number; readonly outputTokens: number },
  arithmeticIntensity = defaultArithmeticIntensity
): KineticsCost => {
  const n = call.samples
  const lIn = call.inputTokens
  const lOut = call.outputTokens
  const dH = shape.headDim * shape.layers
  const compute = n * (2 * shape.parameters * lOut + 2 * (2 * lIn + lOut) * lOut * shape.queryHeads * dH)
  const memory = 2 * (2 * lIn + n * lOut) * lOut * shape.kvHeads * dH * arithmeticIntensity
  return { compute, memory, total: compute + memory }
}

/**
 * The Kinetics eFLOPs cost model. A call's output tokens are split evenly over its samples (L_out is the mean).
 * Verifier calls are priced with `verifierShape` when given (a discriminative PRM's prefill then costs
 * 2P·L_in, the Kinetics formula having no prefill term), and cost nothing otherwise.
 */
export const kinetics = (options: {
  readonly policy: ModelShape
  readonly verifier?: ModelShape
  readonly arithmeticIntensity?: number
}): CostModel => ({
  name: "kinetics",
  unit: "eFLOPs",
  cost: (charge) => {
    const shape = charge.role === "policy" ? options.policy : options.verifier
    if (shape === undefined) return 0
    const samples = Math.max(1, charge.samples)
    const generation = kineticsCost(
      shape,
      { samples, inputTokens: charge.inputTokens, outputTokens: charge.outputTokens / samples },
      options.arithmeticIntensity
    ).total
    const prefill = charge.role === "verifier" && charge.outputTokens === 0 ? 2 * shape.parameters * charge.inputTokens : 0
    return generation + prefill
  }
})
