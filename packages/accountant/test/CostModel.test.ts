import { describe, expect, it } from "vitest"
import { CostModel } from "@stepwise/accountant"

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

  it("prices a policy charge through the cost model with the mean output length", () => {
    const model = CostModel.kinetics({ policy: small })
    const charge = { role: "policy" as const, label: "model", inputTokens: 100, cachedInputTokens: 0, outputTokens: 200, samples: 4, verifierCalls: 0 }
    expect(model.cost(charge)).toBe(587_596_800_000)
    expect(model.cost({ ...charge, role: "verifier" })).toBe(0)
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
