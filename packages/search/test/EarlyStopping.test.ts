import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import type { Strategy } from "@stepwise/search"
import type { LanguageModel } from "@stepwise/core"
import { AdaptiveConsistency, EarlyStoppingConsistency } from "@stepwise/search"
import { Scripted } from "@stepwise/testing"
import { run } from "./fixtures/RunStrategy.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 60 : 30))

/** Answers served in order, one per sample across requests (`undefined`: a sample without an answer). */
const sequential = (answers: ReadonlyArray<string | undefined>) => {
  let served = 0
  const model = Scripted.languageModel(
    () => {
      const answer = answers[served++]
      return answer === undefined ? "Step 1: no idea" : `Step 1: so \\boxed{${answer}}`
    },
    { retry: { times: 0, baseMillis: 1, capMillis: 1 } }
  )
  return { model, served: () => served }
}

const solve = async (strategy: Strategy.Strategy, model: LanguageModel.Service) => {
  const { exit } = await Effect.runPromise(run(strategy, model))
  if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
  return exit.value
}

// The most frequent answer among the defined ones (ties: the one seen first).
const majority = (answers: ReadonlyArray<string | undefined>): string | undefined => {
  const counts = new Map<string, number>()
  for (const answer of answers) if (answer !== undefined) counts.set(answer, (counts.get(answer) ?? 0) + 1)
  let best: string | undefined
  for (const [answer, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = answer
  return best
}

const answersArbitrary = fc.array(fc.constantFrom<string | undefined>("A", "B", "C", undefined), { minLength: 60, maxLength: 60 })

describe("early-stopping self-consistency (ESC)", () => {
  property.prop([answersArbitrary, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 30 })], { numRuns: runs })(
    "never stops before a window is unanimous and always stops at the first one that is",
    async (answers, window, maxSamples) => {
      // The criterion, stated independently: the first full window whose answers are all present and equal.
      let expected = maxSamples
      let decided: string | undefined
      for (let start = 0; start + window <= maxSamples; start += window) {
        const slice = answers.slice(start, start + window)
        if (slice.every((answer) => answer !== undefined && answer === slice[0])) {
          expected = start + window
          decided = slice[0]
          break
        }
      }
      const { model, served } = sequential(answers)
      const result = await solve(await Effect.runPromise(EarlyStoppingConsistency.make({ window, maxSamples })), model)
      expect(served()).toBe(expected)
      expect(result.candidates).toHaveLength(expected)
      expect(result.answer).toBe(decided ?? majority(answers.slice(0, expected)))
    }
  )

  it("answers with the unanimous window even where the earlier majority disagrees", async () => {
    // Windows of 2: (A, B), (A, C), (A, D), (B, B): the fourth is unanimous, so ESC stops after 8 samples with B,
    // where a majority over the 8 would tie A and B at 3 and take A, seen first.
    const { model, served } = sequential(["A", "B", "A", "C", "A", "D", "B", "B", "A", "A"])
    const result = await solve(await Effect.runPromise(EarlyStoppingConsistency.make({ window: 2, maxSamples: 10 })), model)
    expect(served()).toBe(8)
    expect(result.answer).toBe("B")
    expect(majority(["A", "B", "A", "C", "A", "D", "B", "B"])).toBe("A")
  })
})

// P(Beta(a + 1, b + 1) > 1/2) = Σ_{j ≤ a} C(a + b + 1, j) / 2^(a + b + 1), as an exact fraction.
const exactProbability = (leading: number, runnerUp: number): { readonly numerator: bigint; readonly denominator: bigint } => {
  const n = leading + runnerUp + 1
  let term = 1n
  let numerator = 0n
  for (let j = 0; j <= leading; j++) {
    numerator += term
    term = (term * BigInt(n - j)) / BigInt(j + 1)
  }
  return { numerator, denominator: 1n << BigInt(n) }
}

describe("adaptive-consistency", () => {
  it("computes the Beta criterion, hand-computed", () => {
    // Four votes, none against: 31/32; three: 15/16; one against one: 1/2.
    expect(AdaptiveConsistency.majorityProbability(4, 0)).toBeCloseTo(31 / 32, 14)
    expect(AdaptiveConsistency.majorityProbability(3, 0)).toBeCloseTo(15 / 16, 14)
    expect(AdaptiveConsistency.majorityProbability(1, 1)).toBeCloseTo(1 / 2, 14)
    expect(AdaptiveConsistency.majorityProbability(0, 0)).toBeCloseTo(1 / 2, 14)
    expect(AdaptiveConsistency.decided([4], 0.95)).toBe(true)
    expect(AdaptiveConsistency.decided([3], 0.95)).toBe(false)
  })

  property.prop([fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 })])(
    "matches the exact binomial sum of the Beta tail",
    (first, second) => {
      const [leading, runnerUp] = first >= second ? [first, second] : [second, first]
      const { numerator, denominator } = exactProbability(leading, runnerUp)
      // Compare in floating point through a ratio of big integers scaled to 2^60.
      const exact = Number((numerator << 60n) / denominator) / 2 ** 60
      expect(AdaptiveConsistency.majorityProbability(leading, runnerUp)).toBeCloseTo(exact, 10)
    }
  )

  property.prop(
    [answersArbitrary, fc.integer({ min: 1, max: 40 }), fc.constantFrom(0.5, 0.8, 0.9, 0.95, 0.99), fc.integer({ min: 1, max: 3 })],
    { numRuns: runs }
  )("never stops before the criterion holds and always stops at the first round where it does", async (answers, maxSamples, threshold, batch) => {
    // The criterion, stated independently with exact fractions: after each round of `batch` samples,
    // P = Σ_{j ≤ a} C(n, j) / 2^n ≥ threshold, with a, b the two largest vote counts and n = a + b + 1.
    const holds = (drawn: number): boolean => {
      const counts = new Map<string, number>()
      for (const answer of answers.slice(0, drawn)) if (answer !== undefined) counts.set(answer, (counts.get(answer) ?? 0) + 1)
      const [a = 0, b = 0] = [...counts.values()].sort((left, right) => right - left)
      const { numerator, denominator } = exactProbability(a, b)
      const scale = 1_000_000n
      return numerator * scale >= BigInt(Math.round(threshold * 1_000_000)) * denominator
    }
    let expected = maxSamples
    for (let drawn = Math.min(batch, maxSamples); ; drawn = Math.min(drawn + batch, maxSamples)) {
      if (holds(drawn)) {
        expected = drawn
        break
      }
      if (drawn >= maxSamples) break
    }
    const { model, served } = sequential(answers)
    const result = await solve(await Effect.runPromise(AdaptiveConsistency.make({ maxSamples, threshold, batch })), model)
    expect(served()).toBe(expected)
    expect(result.answer).toBe(majority(answers.slice(0, expected)))
  })
})
