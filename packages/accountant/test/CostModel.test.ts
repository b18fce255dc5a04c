import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { LanguageModel, Message, Usage } from "@stepwise/core"
import { Accountant, CostModel, CostModels } from "@stepwise/accountant"
import { itEffect } from "@stepwise/testing"

// Two shapes, each computed by hand from the Kinetics formulas (see the comments for the arithmetic).
const small: CostModel.ModelShape = { parameters: 1e9, queryHeads: 32, kvHeads: 8, headDim: 64, layers: 16 }
const qwenLike: CostModel.ModelShape = { parameters: 1.7e9, queryHeads: 16, kvHeads: 8, headDim: 128, layers: 28 }

describe("CostModel.kineticsCost", () => {
  it("matches hand computation for a 1B model, 4 samples of 50 tokens after 100", () => {
    // d_h = 64·16 = 1024
    // compute = 4·[2·1e9·50 + 2·(200 + 50)·50·32·1024] = 4·[1e11 + 819,200,000] = 403,276,800,000
    // memory  = 2·(200 + 4·50)·50·8·1024·562.5 = 40,000·8,192·562.5 = 184,320,000,000
    const cost = CostModel.kineticsCost(small, { samples: 4, inputTokens: 100, outputTokens: 50 })
    expect(cost.compute).toBe(403_276_800_000)
    expect(cost.memory).toBe(184_320_000_000)
    expect(cost.total).toBe(587_596_800_000)
  })

  it("matches hand computation for a 1.7B model, one sample of 1000 tokens after 500", () => {
    // d_h = 128·28 = 3584
    // compute = 1·[2·1.7e9·1000 + 2·(1000 + 1000)·1000·16·3584] = 3.4e12 + 229,376,000,000 = 3,629,376,000,000
    // memory  = 2·(1000 + 1000)·1000·8·3584·562.5 = 4,000,000·28,672·562.5 = 64,512,000,000,000
    const cost = CostModel.kineticsCost(qwenLike, { samples: 1, inputTokens: 500, outputTokens: 1000 })
    expect(cost.compute).toBe(3_629_376_000_000)
    expect(cost.memory).toBe(64_512_000_000_000)
    expect(cost.total).toBe(68_141_376_000_000)
  })

  it("scales memory with the arithmetic intensity", () => {
    const base = CostModel.kineticsCost(small, { samples: 1, inputTokens: 10, outputTokens: 10 }, 1)
    const doubled = CostModel.kineticsCost(small, { samples: 1, inputTokens: 10, outputTokens: 10 }, 2)
    expect(doubled.memory).toBe(2 * base.memory)
    expect(doubled.compute).toBe(base.compute)
  })

  it("prices a charge that reported only its total with the mean output length", () => {
    const model = CostModel.kinetics({ policy: small })
    const charge = { role: "policy" as const, label: "model", inputTokens: 100, cachedInputTokens: 0, outputTokens: 200, samples: 4, verifierCalls: 0 }
    expect(model.cost(charge)).toBe(587_596_800_000)
  })

  it("charges a verifier through the policy's shape when no verifier shape is given, through its own when one is", () => {
    const charge = { role: "verifier" as const, label: "judge", inputTokens: 100, cachedInputTokens: 0, outputTokens: 200, samples: 4, verifierCalls: 0 }
    expect(CostModel.kinetics({ policy: small }).cost(charge)).toBe(587_596_800_000)
    const own = CostModel.kinetics({ policy: small, verifier: qwenLike }).cost(charge)
    expect(own).toBe(CostModel.kineticsCost(qwenLike, { samples: 4, inputTokens: 100, outputTokens: 50 }).total)
    expect(own).not.toBe(587_596_800_000)
    // A call that only counts itself (a generative verifier's tokens are charged by its model's calls) adds nothing.
    expect(CostModel.kinetics({ policy: small }).cost({ ...charge, inputTokens: 0, outputTokens: 0, samples: 1, verifierCalls: 1 })).toBe(0)
  })
})

describe("CostModel.kineticsCostOfSamples: each sample priced by its own output length", () => {
  it("matches hand computation for a 1B model, samples of 10 and 90 tokens after 100", () => {
    // d_h = 1024; H_q·d_h = 32,768; H_kv·d_h = 8,192
    // compute(10) = 2·1e9·10 + 2·(200 + 10)·10·32,768 = 20,000,000,000 + 137,625,600 = 20,137,625,600
    // compute(90) = 2·1e9·90 + 2·(200 + 90)·90·32,768 = 180,000,000,000 + 1,710,489,600 = 181,710,489,600
    // memory = 2·(2·100·max(10, 90) + 10² + 90²)·8,192·562.5 = 2·26,200·4,608,000 = 241,459,200,000
    const cost = CostModel.kineticsCostOfSamples(small, { inputTokens: 100, sampleOutputTokens: [10, 90] })
    expect(cost.compute).toBe(201_848_115_200)
    expect(cost.memory).toBe(241_459_200_000)
    expect(cost.total).toBe(443_307_315_200)
    // The mean (2 samples of 50) undercounts the L_out² terms: 339,878,400,000.
    expect(CostModel.kineticsCost(small, { samples: 2, inputTokens: 100, outputTokens: 50 }).total).toBe(339_878_400_000)
  })

  it("is the paper's formula when every sample has the same length", () => {
    const equal = CostModel.kineticsCostOfSamples(small, { inputTokens: 100, sampleOutputTokens: [50, 50, 50, 50] })
    expect(equal).toEqual(CostModel.kineticsCost(small, { samples: 4, inputTokens: 100, outputTokens: 50 }))
  })

  it("prices a charge by its samples' own lengths when it has them", () => {
    const model = CostModel.kinetics({ policy: small })
    const charge = { role: "policy" as const, label: "model", inputTokens: 100, cachedInputTokens: 0, outputTokens: 100, samples: 2, verifierCalls: 0 }
    expect(model.cost({ ...charge, sampleOutputTokens: [10, 90] })).toBe(443_307_315_200)
    expect(model.cost(charge)).toBe(339_878_400_000)
  })
})

describe("CostModel.weighted and price", () => {
  const charge = { role: "policy" as const, label: "model", inputTokens: 1000, cachedInputTokens: 400, outputTokens: 100, samples: 1, verifierCalls: 2 }

  it("prices cached input apart from fresh input", () => {
    const model = CostModel.weighted({ input: 1, cachedInput: 0.25, output: 4, verifierCall: 10 })
    expect(model.cost(charge)).toBe(600 + 100 + 400 + 20)
  })

  it("turns per-million prices into dollars", () => {
    const model = CostModel.price({ inputPerMillion: 1, cachedInputPerMillion: 0.5, outputPerMillion: 10 })
    expect(model.cost(charge)).toBeCloseTo((600 * 1 + 400 * 0.5 + 100 * 10) / 1e6, 12)
    expect(model.unit).toBe("USD")
  })

  it("counts plain tokens", () => {
    expect(CostModel.tokens.cost(charge)).toBe(1100)
  })
})

describe("cost models' options as a user writes them", () => {
  itEffect("refuse a cached token dearer than a fresh one (the reservation would be no worst case) and prices too large to stay finite", () =>
    Effect.gen(function* () {
      const refusal = (spec: { readonly kind: string; readonly options?: unknown }) => Effect.flip(CostModels.make(spec))
      const dearer = yield* refusal({ kind: "price", options: { inputPerMillion: 1, cachedInputPerMillion: 5, outputPerMillion: 1 } })
      expect(dearer).toMatchObject({ _tag: "InvalidOptions", field: "cachedInputPerMillion" })
      expect(dearer.message).toContain("must not be above inputPerMillion")
      const perModel = yield* refusal({ kind: "price", options: { inputPerMillion: 1, outputPerMillion: 1, models: { m: { inputPerMillion: 1, cachedInputPerMillion: 2, outputPerMillion: 1 } } } })
      expect(perModel.message).toContain("cachedInputPerMillion")
      expect((yield* refusal({ kind: "weighted", options: { input: 1, cachedInput: 2 } })).message).toContain("must not be above input")
      expect((yield* refusal({ kind: "price", options: { inputPerMillion: 5e305, outputPerMillion: 1 } })).message).toContain("inputPerMillion")
      expect((yield* refusal({ kind: "kinetics", options: { policy: { parameters: 1e300, queryHeads: 12, kvHeads: 2, headDim: 128, layers: 28 } } })).message).toContain("parameters")
      // A weighted model's cached weight defaults to its input weight (a free prompt is free cached too).
      const weighted = yield* CostModels.make({ kind: "weighted", options: { input: 0, output: 2 } })
      expect(weighted.cost({ role: "policy", label: "m", inputTokens: 100, cachedInputTokens: 60, outputTokens: 10, samples: 1, verifierCalls: 0 })).toBe(20)
      // Equal prices, a discount, and no cached price at all are all fine.
      for (const options of [
        { inputPerMillion: 3, cachedInputPerMillion: 3, outputPerMillion: 15 },
        { inputPerMillion: 3, cachedInputPerMillion: 0.3, outputPerMillion: 15 },
        { inputPerMillion: 3, outputPerMillion: 15 }
      ])
        yield* CostModels.make({ kind: "price", options })
    })
  )
})

describe("CostModel.kinetics: samples that each read the prompt", () => {
  // Kinetics' own dense_cost(L_in = 100, L_out = 50, 1) for this shape, by its formula: four independent requests.
  const shape: CostModel.ModelShape = { parameters: 1.5e9, queryHeads: 12, kvHeads: 2, headDim: 128, layers: 28 }
  const one = CostModel.kineticsCost(shape, { samples: 1, inputTokens: 100, outputTokens: 50 }).total

  it("prices them as one-sample calls on their share of the prompt, not one batch after a prompt of all their reads", () => {
    const model = CostModel.kinetics({ policy: shape })
    const charge = { role: "policy" as const, label: "m", inputTokens: 400, cachedInputTokens: 0, outputTokens: 200, samples: 4, verifierCalls: 0 }
    expect(model.cost({ ...charge, promptPerSample: true, sampleOutputTokens: [50, 50, 50, 50] })).toBeCloseTo(4 * one, 0)
    expect(model.cost({ ...charge, promptPerSample: true })).toBeCloseTo(4 * one, 0)
    expect(4 * one).toBeCloseTo(1.0075008e12, -6)
    // As one batch after a 400-token prompt, the attention over it was counted four times over.
    expect(model.cost({ ...charge, sampleOutputTokens: [50, 50, 50, 50] })).toBeGreaterThan(4 * one)
  })

  itEffect("reaches the cost model from a backend that reads the prompt per sample, through the accountant", () =>
    Effect.gen(function* () {
      const backend = (promptPerSample: boolean) =>
        LanguageModel.make({
          info: { name: "per-sample" },
          countInputTokens: (request) => 100 * request.n,
          promptPerSample,
          generate: (request) =>
            Effect.succeed(
              Array.from({ length: request.n }, (_, index) => ({
                index,
                text: "x",
                finishReason: "eos" as const,
                usage: Usage.make({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 0 })
              }))
            )
        })
      const costs: Array<number> = []
      for (const perSample of [true, false]) {
        const accountant = yield* Accountant.make({}, "kinetics", { costModel: CostModel.kinetics({ policy: shape }) })
        yield* backend(perSample).generate({ messages: [Message.user("hi")], n: 4, maxTokens: 64 }).pipe(Accountant.provide(accountant))
        costs.push((yield* accountant.snapshot).spent.cost)
      }
      expect(costs[0]).toBeCloseTo(4 * one, 0)
      expect(costs[1]).toBeGreaterThan(costs[0]!)
    })
  )
})
