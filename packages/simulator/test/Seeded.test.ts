import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { Seeded } from "../src/index.js"

const runs = process.env["CI"] ? 500 : 200

describe("Seeded", () => {
  test.prop([fc.integer(), fc.string()], { numRuns: runs })("draws are pure functions of their key, in [0, 1)", (seed, text) => {
    const key = Seeded.key(seed, text)
    expect(Seeded.key(seed, text)).toBe(key)
    const u = Seeded.uniform(key)
    expect(u >= 0 && u < 1).toBe(true)
    const a = Seeded.stream(key)
    const b = Seeded.stream(key)
    for (let index = 0; index < 5; index++) expect(a()).toBe(b())
  })

  it("uniforms look uniform and normals standard", () => {
    const next = Seeded.stream(Seeded.key(1, "test"))
    const uniforms = Array.from({ length: 20_000 }, () => next())
    const mean = uniforms.reduce((sum, value) => sum + value, 0) / uniforms.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
    const normals = Array.from({ length: 20_000 }, () => Seeded.normal(next(), next()))
    const normalMean = normals.reduce((sum, value) => sum + value, 0) / normals.length
    const variance = normals.reduce((sum, value) => sum + (value - normalMean) ** 2, 0) / normals.length
    expect(Math.abs(normalMean)).toBeLessThan(0.03)
    expect(Math.abs(variance - 1)).toBeLessThan(0.04)
  })

  test.prop([fc.double({ min: 0.001, max: 0.999, noNaN: true })], { numRuns: runs })("inverseNormal inverts the normal CDF", (p) => {
    const x = Seeded.inverseNormal(p)
    // Φ(x) by the complementary error function's series-free approximation (Abramowitz–Stegun 7.1.26).
    const z = Math.abs(x) / Math.SQRT2
    const t = 1 / (1 + 0.3275911 * z)
    const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-z * z)
    const cdf = x >= 0 ? 1 - erfc / 2 : erfc / 2
    expect(Math.abs(cdf - p)).toBeLessThan(1e-6)
  })

  test.prop([fc.double({ min: 0.001, max: 0.999, noNaN: true })], { numRuns: runs })("logit inverts sigmoid", (p) => {
    expect(Seeded.sigmoid(Seeded.logit(p))).toBeCloseTo(p, 9)
  })
})
