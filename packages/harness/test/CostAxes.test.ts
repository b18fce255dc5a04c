import { describe, expect, it } from "vitest"
import { Charge, CostModel } from "@stepwise/accountant"
import { CostAxes } from "../src/index.js"

const small: CostModel.ModelShape = { parameters: 1e9, queryHeads: 32, kvHeads: 8, headDim: 64, layers: 16 }
const large: CostModel.ModelShape = { parameters: 7e9, queryHeads: 28, kvHeads: 4, headDim: 128, layers: 28 }

/** A verifier's charge: a discriminative PRM's read (no model named), or a generative verifier's chain (its model's). */
const verifierCharge = (model: string | undefined): Charge.Charge => ({
  role: "verifier",
  label: model === undefined ? "pooling-prm" : "think-prm",
  ...(model === undefined ? {} : { model }),
  inputTokens: 500,
  cachedInputTokens: 0,
  outputTokens: model === undefined ? 0 : 300,
  samples: 1,
  verifierCalls: 0
})

const eflopsOf = (measures: ReadonlyArray<CostModel.CostModel>) => measures.find((measure) => measure.name === CostAxes.eflopsMeasure)!

describe("CostAxes.measuresOf: the report's eFLOPs axis", () => {
  it("takes the shapes a recipe leaves out from its kinetics cost model (verifier: the model's, else its policy's), not the 7.6B PRM default", () => {
    const measure = eflopsOf(CostAxes.measuresOf({ policyShape: small, kinetics: { policy: small } }))
    const same = CostModel.kinetics({ policy: small })
    for (const charge of [verifierCharge(undefined), verifierCharge("policy-model")]) expect(measure.cost(charge)).toBe(same.cost(charge))
    const withVerifier = eflopsOf(CostAxes.measuresOf({ policyShape: small, kinetics: { policy: small, verifier: large, arithmeticIntensity: 100 } }))
    expect(withVerifier.cost(verifierCharge(undefined))).toBe(CostModel.kinetics({ policy: small, verifier: large, arithmeticIntensity: 100 }).cost(verifierCharge(undefined)))
    // Without a kinetics cost model, the defaults: Qwen2.5-Math-PRM-7B's shape for a verifier of its own.
    const plain = eflopsOf(CostAxes.measuresOf({ policyShape: small }))
    expect(plain.cost(verifierCharge(undefined))).toBe(CostModel.kinetics({ policy: small, verifier: CostAxes.defaultVerifierShape }).cost(verifierCharge(undefined)))
  })

  it("prices a call for the policy's model with the policy's shape (a generative verifier's chain), a verifier of its own with the verifier's", () => {
    const measure = eflopsOf(CostAxes.measuresOf({ policyShape: small, policyModel: "policy-model" }))
    const chain = verifierCharge("policy-model")
    expect(measure.cost(chain)).toBe(CostModel.kinetics({ policy: small, verifier: small }).cost(chain))
    expect(measure.cost(chain)).toBeLessThan(CostModel.kinetics({ policy: small, verifier: CostAxes.defaultVerifierShape }).cost(chain))
    const read = verifierCharge(undefined)
    expect(measure.cost(read)).toBe(CostModel.kinetics({ policy: small, verifier: CostAxes.defaultVerifierShape }).cost(read))
    const otherModel = verifierCharge("a-prm")
    expect(measure.cost(otherModel)).toBe(CostModel.kinetics({ policy: small, verifier: CostAxes.defaultVerifierShape }).cost(otherModel))
  })
})

describe("CostAxes.measuresOf: the report's dollars axis", () => {
  it("prices a model listed in the recipe's prices by its own rates (the recipe's prices had no per-model table)", () => {
    const measure = CostAxes.measuresOf({ prices: { inputPerMillion: 1, outputPerMillion: 1, models: { "a-prm": { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 } } } }).find(
      (each) => each.name === CostAxes.dollarsMeasure
    )!
    expect(measure.cost(verifierCharge("a-prm"))).toBe(800)
    expect(measure.cost(verifierCharge("policy-model"))).toBe(0.0008)
  })
})
