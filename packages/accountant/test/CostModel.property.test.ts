import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { CostModel } from "@stepwise/accountant"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env["CI"] ? 1000 : 200))

const shape = fc.record({
  parameters: fc.integer({ min: 1, max: 1e11 }),
  queryHeads: fc.integer({ min: 1, max: 64 }),
  kvHeads: fc.integer({ min: 1, max: 16 }),
  headDim: fc.integer({ min: 1, max: 256 }),
  layers: fc.integer({ min: 1, max: 96 })
})
const lengths = fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 16 })
const input = fc.integer({ min: 0, max: 50_000 })
const closeEnough = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))

describe("Kinetics per sample (properties)", () => {
  property.prop([shape, input, fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 16 })], { numRuns: runs })(
    "for all equal lengths, it is the paper's formula",
    (model, inputTokens, length, samples) => {
      const perSample = CostModel.kineticsCostOfSamples(model, { inputTokens, sampleOutputTokens: Array.from({ length: samples }, () => length) })
      const paper = CostModel.kineticsCost(model, { samples, inputTokens, outputTokens: length })
      expect(closeEnough(perSample.compute, paper.compute)).toBe(true)
      expect(closeEnough(perSample.memory, paper.memory)).toBe(true)
    }
  )

  property.prop([shape, input, lengths], { numRuns: runs })(
    "for all lengths, it lies between the mean's price and the worst case's (every sample at the longest)",
    (model, inputTokens, sampleOutputTokens) => {
      const n = sampleOutputTokens.length
      const total = sampleOutputTokens.reduce((sum, length) => sum + length, 0)
      const cost = CostModel.kineticsCostOfSamples(model, { inputTokens, sampleOutputTokens }).total
      const mean = CostModel.kineticsCost(model, { samples: n, inputTokens, outputTokens: total / n }).total
      const worst = CostModel.kineticsCost(model, { samples: n, inputTokens, outputTokens: Math.max(...sampleOutputTokens) }).total
      expect(cost >= mean * (1 - 1e-12)).toBe(true)
      expect(cost <= worst * (1 + 1e-12)).toBe(true)
    }
  )

  property.prop([shape, input, lengths, fc.nat({ max: 15 }), fc.integer({ min: 1, max: 1000 })], { numRuns: runs })(
    "for all lengths, one more token in any sample never costs less (monotone)",
    (model, inputTokens, sampleOutputTokens, at, more) => {
      const index = at % sampleOutputTokens.length
      const longer = sampleOutputTokens.map((length, position) => (position === index ? length + more : length))
      const before = CostModel.kineticsCostOfSamples(model, { inputTokens, sampleOutputTokens }).total
      const after = CostModel.kineticsCostOfSamples(model, { inputTokens, sampleOutputTokens: longer }).total
      expect(after > before).toBe(true)
    }
  )
})
