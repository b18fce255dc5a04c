import { CostModel } from "@stepwise/accountant"
import * as ResultRecord from "./ResultRecord.js"

/**
 * The ways a run's compute is counted, all from the same run, so a report can put any of them on its x axis:
 * policy output tokens, policy tokens with cached prefixes counted apart, verifier calls and tokens, every token,
 * Kinetics eFLOPs (policy and verifier), dollars from a price table, and wall time.
 */

/** One cost axis: its name (stable, for files and links), a title, its unit, and its value for a record. */
export interface Axis {
  readonly name: string
  readonly title: string
  readonly unit: string
  /** The record's cost on this axis; `undefined` when the record does not have it (an axis the run did not measure). */
  readonly valueOf: (record: ResultRecord.ResultRecord) => number | undefined
}

/**
 * Qwen2.5-Math-1.5B's shape (its config: 28 layers, 12 query and 2 key-value heads of 128 dimensions, 1.54 B
 * parameters): the default policy shape of the Kinetics axis.
 */
export const defaultPolicyShape: CostModel.ModelShape = { parameters: 1.54e9, queryHeads: 12, kvHeads: 2, headDim: 128, layers: 28 }

/**
 * Qwen2.5-Math-PRM-7B's shape (Qwen2.5-7B's config: 28 layers, 28 query and 4 key-value heads of 128 dimensions,
 * 7.6 B parameters): the default verifier shape of the Kinetics axis.
 */
export const defaultVerifierShape: CostModel.ModelShape = { parameters: 7.6e9, queryHeads: 28, kvHeads: 4, headDim: 128, layers: 28 }

/** The name of the Kinetics measure in records' `measures`. */
export const eflopsMeasure = "eflops"

/** The name of the price measure in records' `measures`. */
export const dollarsMeasure = "dollars"

/**
 * The cost models a run measures on every call beside its budgeted cost: Kinetics eFLOPs over the policy and
 * verifier shapes, and dollars when prices are given. Shapes not given come from `kinetics` (the recipe's kinetics
 * cost model, whose per-model shapes and arithmetic intensity are kept too), else the defaults above. A call for
 * the policy's model (`policyModel`: a generative verifier's chains, which it reads with the policy's model) is
 * priced with the policy's shape; the verifier's shape is for a verifier of its own.
 */
export const measuresOf = (options: {
  readonly policyShape?: CostModel.ModelShape | undefined
  readonly verifierShape?: CostModel.ModelShape | undefined
  readonly kinetics?: CostModel.KineticsOptions | undefined
  readonly policyModel?: string | undefined
  readonly prices?: CostModel.PriceOptions | undefined
}): ReadonlyArray<CostModel.CostModel> => {
  const prices = options.prices
  const base = options.kinetics
  const policy = options.policyShape ?? base?.policy ?? defaultPolicyShape
  const verifier = options.verifierShape ?? (base === undefined ? defaultVerifierShape : (base.verifier ?? base.policy))
  const models = {
    ...(options.policyModel === undefined ? {} : { [options.policyModel]: policy }),
    ...base?.models
  }
  return [
    {
      ...CostModel.kinetics({
        policy,
        verifier,
        ...(Object.keys(models).length === 0 ? {} : { models }),
        ...(base?.arithmeticIntensity === undefined ? {} : { arithmeticIntensity: base.arithmeticIntensity })
      }),
      name: eflopsMeasure
    },
    ...(prices === undefined
      ? []
      : [
          {
            ...CostModel.price(prices),
            name: dollarsMeasure
          }
        ])
  ]
}

const measured =
  (name: string) =>
  (record: ResultRecord.ResultRecord): number | undefined =>
    record.measures[name] ?? (name === eflopsMeasure ? (record.eflops ?? undefined) : undefined)

/** Every axis, in the order a report offers them. */
export const axes: ReadonlyArray<Axis> = [
  { name: "output-tokens", title: "policy output tokens per problem", unit: "tokens", valueOf: (record) => record.outputTokens },
  { name: "policy-tokens", title: "policy tokens per problem (input + output)", unit: "tokens", valueOf: ResultRecord.policyTokens },
  {
    name: "uncached-policy-tokens",
    title: "policy tokens per problem, cached input not counted",
    unit: "tokens",
    valueOf: (record) => record.inputTokens - record.cachedInputTokens + record.outputTokens
  },
  { name: "verifier-calls", title: "verifier calls per problem", unit: "calls", valueOf: (record) => record.verifierCalls },
  { name: "verifier-tokens", title: "verifier tokens per problem", unit: "tokens", valueOf: (record) => record.verifierTokens },
  { name: "all-tokens", title: "all tokens per problem (policy and verifier)", unit: "tokens", valueOf: ResultRecord.allTokens },
  { name: "eflops", title: "Kinetics eFLOPs per problem (policy and verifier)", unit: "eFLOPs", valueOf: measured(eflopsMeasure) },
  { name: "dollars", title: "dollars per problem", unit: "USD", valueOf: measured(dollarsMeasure) },
  { name: "wall-time", title: "wall time per problem", unit: "ms", valueOf: (record) => record.wallMillis }
]

/** The axis of a name. */
export const byName = (name: string): Axis | undefined => axes.find((axis) => axis.name === name)

/**
 * The axes the records were measured on: every record has a value, and some record spent something (an unmeasured
 * axis, such as dollars without prices, or one nothing was spent on, is left out).
 */
export const available = (records: ReadonlyArray<ResultRecord.ResultRecord>): ReadonlyArray<Axis> =>
  axes.filter(
    (axis) => records.length > 0 && records.every((record) => axis.valueOf(record) !== undefined) && records.some((record) => (axis.valueOf(record) ?? 0) > 0)
  )
