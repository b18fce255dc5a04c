import { z } from "zod"
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

// Bounded, so that no charge of finite counts prices to Infinity mid-run (5e305 passed and failed the first call).
const weight = z.number().min(0).max(1e12)

// A call is reserved as if none of its prompt were cached: its worst case only when a cached token is no dearer.
const cachedNoDearer = (cached: number | undefined, fresh: number): boolean => cached === undefined || cached <= fresh
const dearerCached = (fresh: string) => `must not be above ${fresh}: a call is reserved at the fresh price, its worst case only when a cached token costs no more`

/** The options of the `weighted` cost model as a user writes them (strict; every weight defaults to plain tokens). */
export const weightedOptions = z
  .object({
    input: weight.default(1).describe("Cost of one fresh (uncached) prompt token."),
    cachedInput: weight.optional().describe("Cost of one cached prompt token (default: the input weight)."),
    output: weight.default(1).describe("Cost of one output token."),
    verifierCall: weight.default(0).describe("Cost of one verifier call."),
    unit: z.string().min(1).default("weighted tokens").describe("The unit the cost is reported in.")
  })
  .strict()
  .refine((weights) => cachedNoDearer(weights.cachedInput, weights.input), { path: ["cachedInput"], message: dearerCached("input") })
  .transform(({ cachedInput, ...weights }) => ({ ...weights, cachedInput: cachedInput ?? weights.input }))

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
  readonly cachedInputPerMillion?: number | undefined
  readonly outputPerMillion: number
  readonly perVerifierCall?: number | undefined
}

const pricesShape = {
  inputPerMillion: weight.describe("Dollars per million fresh prompt tokens."),
  cachedInputPerMillion: weight.optional().describe("Dollars per million cached prompt tokens (default: the input price)."),
  outputPerMillion: weight.describe("Dollars per million output tokens."),
  perVerifierCall: weight.optional().describe("Dollars per verifier call (default 0).")
}

/**
 * The options of the `price` cost model: the prices of every call, and per-model prices that override them for
 * the calls of one model (keyed by the model name a backend reports, else its label).
 */
const pricesNoDearerCached = { path: ["cachedInputPerMillion"], message: dearerCached("inputPerMillion") }

export const priceOptions = z
  .object({
    ...pricesShape,
    models: z
      .record(
        z.string(),
        z
          .object(pricesShape)
          .strict()
          .refine((prices) => cachedNoDearer(prices.cachedInputPerMillion, prices.inputPerMillion), pricesNoDearerCached)
      )
      .optional()
      .describe("Prices per model, by the model name (or backend label) a call was for; others use the prices above.")
  })
  .strict()
  .refine((prices) => cachedNoDearer(prices.cachedInputPerMillion, prices.inputPerMillion), pricesNoDearerCached)

/** Per-model prices of `price`. */
export interface PriceOptions extends Prices {
  readonly models?: Readonly<Record<string, Prices>> | undefined
}

const priceOf = (prices: Prices, charge: Charge): number => {
  const cached = Math.min(charge.cachedInputTokens, charge.inputTokens)
  return (
    ((charge.inputTokens - cached) * prices.inputPerMillion +
      cached * (prices.cachedInputPerMillion ?? prices.inputPerMillion) +
      charge.outputTokens * prices.outputPerMillion) /
      1e6 +
    charge.verifierCalls * (prices.perVerifierCall ?? 0)
  )
}

/** Dollars from per-million-token prices; a charge whose model (or label) has prices in `models` is priced by them. */
export const price = (prices: PriceOptions): CostModel => ({
  name: "price",
  unit: "USD",
  cost: (charge) => priceOf(prices.models?.[charge.model ?? charge.label] ?? prices.models?.[charge.label] ?? prices, charge)
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

const positiveInteger = z.number().int().min(1).max(1_000_000)

/** A transformer's shape as a user writes it (strict). */
export const modelShape = z
  .object({
    parameters: z.number().positive().max(1e15).describe("Active parameters (per token, for a mixture of experts)."),
    queryHeads: positiveInteger.describe("Attention query heads."),
    kvHeads: positiveInteger.describe("Key-value heads."),
    headDim: positiveInteger.describe("Dimension of one head."),
    layers: positiveInteger.describe("Transformer layers.")
  })
  .strict()

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
 * Kinetics cost of samples of different output lengths L_i after a shared prompt of L_in, each sample priced by its
 * own length: compute = Σ_i [2P·L_i + 2(2L_in + L_i)·L_i·H_q·d_h]; memory = 2(2L_in·max_i L_i + Σ_i L_i²)·H_kv·d_h·I
 * (the shared prompt's KV cache is read once per decoding step of the batch, which runs until its longest sample
 * ends; each sample reads its own KV cache while it runs). With equal lengths it is `kineticsCost` exactly; with
 * unequal ones it is more than `kineticsCost` at their mean, as the L_i² terms are convex.
 *
 * @example
 * CostModel.kineticsCostOfSamples(shape, { inputTokens: 100, sampleOutputTokens: [10, 90] })
 */
export const kineticsCostOfSamples = (
  shape: ModelShape,
  call: { readonly inputTokens: number; readonly sampleOutputTokens: ReadonlyArray<number> },
  arithmeticIntensity = defaultArithmeticIntensity
): KineticsCost => {
  const lIn = call.inputTokens
  const dH = shape.headDim * shape.layers
  let compute = 0
  let squares = 0
  let longest = 0
  for (const lOut of call.sampleOutputTokens) {
    compute += 2 * shape.parameters * lOut + 2 * (2 * lIn + lOut) * lOut * shape.queryHeads * dH
    squares += lOut * lOut
    longest = Math.max(longest, lOut)
  }
  const memory = 2 * (2 * lIn * longest + squares) * shape.kvHeads * dH * arithmeticIntensity
  return { compute, memory, total: compute + memory }
}

/** The options of the `kinetics` cost model as a user writes them (strict). */
export const kineticsOptions = z
  .object({
    policy: modelShape.describe("The policy model's shape."),
    verifier: modelShape
      .optional()
      .describe("The verifier's shape (default: the policy's, the model a generative verifier reads with unless it names another backend)."),
    models: z
      .record(z.string(), modelShape)
      .optional()
      .describe("Shapes per model, by the model name (or backend label) a call was for; others use policy/verifier by role."),
    arithmeticIntensity: z.number().positive().max(1e9).default(defaultArithmeticIntensity).describe("The accelerator's arithmetic intensity I (B200: 562.5).")
  })
  .strict()

/** Options of `kinetics`. */
export interface KineticsOptions {
  readonly policy: ModelShape
  readonly verifier?: ModelShape | undefined
  readonly models?: Readonly<Record<string, ModelShape>> | undefined
  readonly arithmeticIntensity?: number | undefined
}

/**
 * The Kinetics eFLOPs cost model. A call whose samples each reported their output tokens is priced per sample
 * (`kineticsCostOfSamples`: the L_out² terms use each sample's own length); a call that reported only its total
 * (and a reservation's worst case) splits the output evenly over its samples.
 * Samples that each read the prompt by themselves (`promptPerSample`: one request per sample) are priced as that many
 * one-sample calls on their share of the prompt, not as one batch after a prompt of all their reads.
 * A call of a model listed in `models` is priced with that shape; otherwise policy calls with `policy`, and
 * verifier calls with `verifier`, which defaults to `policy`: verifiers are never free, and by default a generative
 * verifier reads with the policy's own model. A discriminative PRM's prefill (a verifier call with no output) costs
 * 2P·L_in, the Kinetics formula having no prefill term. A verifier call that only counts the call (its model's
 * tokens are charged by the model's own calls) has no tokens and costs nothing more.
 */
export const kinetics = (options: KineticsOptions): CostModel => ({
  name: "kinetics",
  unit: "eFLOPs",
  cost: (charge) => {
    const shape =
      options.models?.[charge.model ?? charge.label] ??
      options.models?.[charge.label] ??
      (charge.role === "policy" ? options.policy : (options.verifier ?? options.policy))
    const perSample = charge.sampleOutputTokens
    const samples = Math.max(1, charge.samples)
    // Samples that each read the prompt by themselves are independent calls of one sample each, on their share of it.
    const generation =
      charge.promptPerSample === true && samples > 1
        ? (perSample !== undefined && perSample.length > 0 ? perSample : Array.from({ length: samples }, () => charge.outputTokens / samples)).reduce(
            (total, lOut) =>
              total + kineticsCostOfSamples(shape, { inputTokens: charge.inputTokens / samples, sampleOutputTokens: [lOut] }, options.arithmeticIntensity).total,
            0
          )
        : perSample !== undefined && perSample.length > 0
        ? kineticsCostOfSamples(shape, { inputTokens: charge.inputTokens, sampleOutputTokens: perSample }, options.arithmeticIntensity).total
        : kineticsCost(
            shape,
            { samples: Math.max(1, charge.samples), inputTokens: charge.inputTokens, outputTokens: charge.outputTokens / Math.max(1, charge.samples) },
            options.arithmeticIntensity
          ).total
    const prefill = charge.role === "verifier" && charge.outputTokens === 0 ? 2 * shape.parameters * charge.inputTokens : 0
    return generation + prefill
  }
})
