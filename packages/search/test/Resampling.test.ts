import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { Resampling } from "@stepwise/search"
import * as Seed from "../src/internal/Seed.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 60 : 25))
const rewardsArbitrary = fc.array(fc.double({ min: 0.01, max: 0.99, noNaN: true }), { minLength: 2, maxLength: 8 })

describe("Resampling", () => {
  it("weights are softmax(logit(r) / T)", () => {
    const weights = Resampling.weights([0.9, 0.5], 1)
    expect(weights[0]).toBeCloseTo(0.9, 10)
    expect(weights[1]).toBeCloseTo(0.1, 10)
    const sharp = Resampling.weights([0.9, 0.5], 0.5)
    expect(sharp[0]).toBeCloseTo(81 / 82, 10)
  })

  for (const scheme of Resampling.schemes)
    property.prop([rewardsArbitrary, fc.double({ min: 0.25, max: 4, noNaN: true }), fc.nat({ max: 10_000 })], { numRuns: runs })(
      `${scheme} resampling is unbiased: mean offspring count is N·w`,
      (rewards, temperature, seed) => {
        const weights = Resampling.weights(rewards, temperature)
        const count = 8
        const repetitions = 3000
        const totals = weights.map(() => 0)
        const outOfRange: Array<string> = []
        const uniforms = Effect.runSync(Seed.uniforms(seed, count * repetitions))
        for (let repetition = 0; repetition < repetitions; repetition++) {
          const draws = uniforms.slice(repetition * count, (repetition + 1) * count)
          const survivors = Resampling.resample(scheme, weights, count, draws)
          if (survivors.length !== count) outOfRange.push(`length ${survivors.length}`)
          const counts = weights.map(() => 0)
          for (const index of survivors) counts[index] = (counts[index] ?? 0) + 1
          if (scheme === "systematic")
            counts.forEach((copies, index) => {
              const expected = count * (weights[index] ?? 0)
              if (copies < Math.floor(expected - 1e-9) || copies > Math.ceil(expected + 1e-9))
                outOfRange.push(`index ${index}: ${copies} copies, expected ${expected}`)
            })
          counts.forEach((copies, index) => (totals[index] = (totals[index] ?? 0) + copies))
        }
        expect(outOfRange).toEqual([])
        weights.forEach((weight, index) => {
          const mean = (totals[index] ?? 0) / repetitions
          // Five standard errors of the multinomial mean (the systematic one is smaller).
          const tolerance = 5 * Math.sqrt((count * weight * (1 - weight)) / repetitions) + 0.01
          expect(Math.abs(mean - count * weight)).toBeLessThanOrEqual(tolerance)
        })
      }
    )
})
