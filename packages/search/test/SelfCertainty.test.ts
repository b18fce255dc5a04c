import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import { SelfCertainty } from "@stepwise/search"
import { Scripted } from "@stepwise/testing"
import { run } from "./fixtures/RunStrategy.js"

const position = (token: string, probabilities: ReadonlyArray<number>) => ({
  token,
  logprob: Math.log(probabilities[0] ?? 1),
  top: probabilities.map((probability, index) => ({ token: index === 0 ? token : `#${index}`, logprob: Math.log(probability) }))
})

describe("self-certainty", () => {
  it("equals the hand-computed KL from uniform over the top-k", () => {
    // k = 2, p = (1/2, 1/4): KL(U‖p) = ½ ln(½ / ½) + ½ ln(½ / ¼) = ½ ln 2.
    expect(SelfCertainty.tokenCertainty(position("a", [0.5, 0.25]))).toBeCloseTo(Math.LN2 / 2, 12)
    // k = 4, p = (0.7, 0.1, 0.1, 0.1): −ln 4 − (ln 0.7 + 3 ln 0.1) / 4.
    expect(SelfCertainty.tokenCertainty(position("a", [0.7, 0.1, 0.1, 0.1]))).toBeCloseTo(-Math.log(4) - (Math.log(0.7) + 3 * Math.log(0.1)) / 4, 12)
    // A uniform top-k holding all the mass: 0.
    expect(SelfCertainty.tokenCertainty(position("a", [0.25, 0.25, 0.25, 0.25]))).toBeCloseTo(0, 12)
    // A trace's self-certainty is the mean over its tokens: (½ ln 2 + 0) / 2.
    expect(SelfCertainty.certainty([position("a", [0.5, 0.25]), position("b", [0.5, 0.5])])).toBeCloseTo(Math.LN2 / 4, 12)
    expect(SelfCertainty.certainty([])).toBeUndefined()
  })

  property.prop([fc.array(fc.double({ min: 1e-6, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 })])(
    "is Σ_j (1/k) log((1/k) / p_j) over the top-k, and never negative when the top-k holds at most all the mass",
    (weights) => {
      const total = weights.reduce((sum, weight) => sum + weight, 0)
      const probabilities = weights.map((weight) => weight / total)
      const k = probabilities.length
      const kl = probabilities.reduce((sum, probability) => sum + (1 / k) * Math.log(1 / k / probability), 0)
      const certainty = SelfCertainty.tokenCertainty(position("a", probabilities))
      expect(certainty).toBeCloseTo(kl, 9)
      expect(certainty).toBeGreaterThanOrEqual(-1e-12)
    }
  )

  it("gives Borda votes (N − r + 1)^p by rank, hand-computed", () => {
    expect(SelfCertainty.bordaVotes([0.2, 0.9, 0.5], 1)).toEqual([1, 3, 2])
    expect(SelfCertainty.bordaVotes([0.2, 0.9, 0.5], 0.5)).toEqual([1, Math.sqrt(3), Math.sqrt(2)])
    // Equal scores keep their order; unscored rank last.
    expect(SelfCertainty.bordaVotes([0.5, undefined, 0.5], 1)).toEqual([3, 1, 2])
  })
})

describe("Self-Certainty best-of-N", () => {
  // Four samples: answer A with certainty from top-2 (0.9, 0.05), B (0.8, 0.1), B (0.7, 0.2), A (0.5, 0.5).
  const samples = [
    { answer: "A", top: [0.9, 0.05] },
    { answer: "B", top: [0.8, 0.1] },
    { answer: "B", top: [0.7, 0.2] },
    { answer: "A", top: [0.5, 0.5] }
  ]
  const model = Scripted.languageModel((_request, index) => `so \\boxed{${samples[index]?.answer}}`, {
    retry: { times: 0, baseMillis: 1, capMillis: 1 },
    logprobs: (_request, index, text) => Array.from(text, (token) => position(token, samples[index]?.top ?? [1]))
  })
  const answer = async (options: SelfCertainty.Options) => {
    const strategy = await Effect.runPromise(SelfCertainty.make({ n: 4, topLogprobs: 2, ...options }))
    const { exit } = await Effect.runPromise(run(strategy, model))
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    return exit.value
  }

  it("picks the most self-certain answer", async () => {
    const result = await answer({ selection: "best" })
    expect(result.answer).toBe("A")
    expect(result.best).toBe(result.candidates[0]?.trajectory)
    expect(result.candidates[0]?.score).toBeCloseTo(-Math.log(2) - (Math.log(0.9) + Math.log(0.05)) / 2, 12)
  })

  it("votes by Borda count, hand-computed", async () => {
    // Ranks by certainty: A₁ (r 1), B₂ (r 2), B₃ (r 3), A₄ (r 4); votes (5 − r)^p.
    // p = 0.5: A = 2 + 1 = 3, B = √3 + √2 ≈ 3.15 → B. p = 1: A = 4 + 1 = 5, B = 3 + 2 = 5, a tie → A (seen first).
    // p = 2: A = 16 + 1 = 17, B = 9 + 4 = 13 → A.
    expect((await answer({ selection: "borda", power: 0.5 })).answer).toBe("B")
    expect((await answer({ selection: "borda", power: 1 })).answer).toBe("A")
    expect((await answer({ selection: "borda", power: 2 })).answer).toBe("A")
    // The representative of the winning answer is its most certain trace.
    const borda = await answer({ selection: "borda", power: 0.5 })
    expect(borda.best).toBe(borda.candidates[1]?.trajectory)
  })
})
