import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Confidence } from "@stepwise/search"

const position = (token: string, logprob: number, top: ReadonlyArray<readonly [string, number]>) => ({
  token,
  logprob,
  top: top.map(([alternative, value]) => ({ token: alternative, logprob: value }))
})

const confidences = fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { minLength: 0, maxLength: 80 })

describe("DeepConf's confidence measures", () => {
  it("token confidence is the negative mean logprob of the top-k, hand-computed", () => {
    // Sampled token among the alternatives: −(ln 0.5 + ln 0.25) / 2 = 1.5 ln 2.
    expect(Confidence.tokenConfidence(position("a", Math.log(0.5), [["a", Math.log(0.5)], ["b", Math.log(0.25)]]))).toBeCloseTo(1.5 * Math.LN2, 12)
    // Sampled token left out by the server: it joins the average, as vLLM's logprobs dict holds it.
    expect(Confidence.tokenConfidence(position("c", Math.log(0.05), [["a", Math.log(0.6)], ["b", Math.log(0.3)]]))).toBeCloseTo(
      -(Math.log(0.6) + Math.log(0.3) + Math.log(0.05)) / 3,
      12
    )
    // A repeated alternative counts once.
    expect(Confidence.tokenConfidence(position("a", Math.log(0.5), [["a", Math.log(0.5)], ["a", Math.log(0.5)], ["b", Math.log(0.25)]]))).toBeCloseTo(
      1.5 * Math.LN2,
      12
    )
  })

  property.prop([confidences, fc.integer({ min: 1, max: 30 })])("group confidences are the means of every full window", (values, window) => {
    const groups = Confidence.groupConfidences(values, window)
    if (values.length === 0) expect(groups).toEqual([])
    else if (values.length < window) {
      expect(groups).toHaveLength(1)
      expect(groups[0]).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9)
    } else {
      expect(groups).toHaveLength(values.length - window + 1)
      groups.forEach((group, start) => expect(group).toBeCloseTo(values.slice(start, start + window).reduce((a, b) => a + b, 0) / window, 9))
    }
  })

  it("lowest group, bottom 10%, tail and mean, hand-computed", () => {
    const values = [4, 4, 1, 1, 4, 4, 4, 2, 2, 4, 4, 4]
    // Windows of 2: 4, 2.5, 1, 2.5, 4, 4, 3, 2, 3, 4, 4.
    expect(Confidence.lowestGroup(values, 2)).toBe(1)
    // 11 groups: max(1, ⌊1.1⌋) = 1 lowest → 1; with 30%: ⌊3.3⌋ = 3 lowest (1, 2, 2.5) → 11/6.
    expect(Confidence.bottomPercent(values, 2, 0.1)).toBe(1)
    expect(Confidence.bottomPercent(values, 2, 0.3)).toBeCloseTo(11 / 6, 12)
    expect(Confidence.tail(values, 3)).toBe(4)
    expect(Confidence.tail(values, 5)).toBeCloseTo(16 / 5, 12)
    expect(Confidence.mean(values)).toBeCloseTo(38 / 12, 12)
    // Shorter than a window: the whole trace's mean; empty: 0, as the reference.
    expect(Confidence.lowestGroup([1, 2], 4)).toBe(1.5)
    expect(Confidence.lowestGroup([], 4)).toBe(0)
    expect(Confidence.traceConfidence("bottom-percent", values, { window: 2, bottomPercent: 0.3, tailTokens: 3 })).toBeCloseTo(11 / 6, 12)
    expect(Confidence.traceConfidence("tail", values, { window: 2, bottomPercent: 0.3, tailTokens: 3 })).toBe(4)
  })

  it("percentiles interpolate linearly, as numpy's default", () => {
    // np.percentile([1, 2, 3, 4], 90) = 3.7; ([10, 20], 10) = 11; ([3, 1, 2], 50) = 2.
    expect(Confidence.percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12)
    expect(Confidence.percentile([20, 10], 10)).toBeCloseTo(11, 12)
    expect(Confidence.percentile([3, 1, 2], 50)).toBe(2)
    expect(Confidence.percentile([5], 37)).toBe(5)
    expect(Confidence.percentile([], 50)).toBeNaN()
  })

  property.prop([fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true })])(
    "a percentile lies between the extremes and grows with q",
    (values, first, second) => {
      const [low, high] = first <= second ? [first, second] : [second, first]
      expect(Confidence.percentile(values, low)).toBeLessThanOrEqual(Confidence.percentile(values, high))
      // + 0 makes −0 and 0 one value (Object.is tells them apart).
      expect(Confidence.percentile(values, 0) + 0).toBe(Math.min(...values) + 0)
      expect(Confidence.percentile(values, 100) + 0).toBe(Math.max(...values) + 0)
    }
  )

  property.prop([
    fc.array(fc.integer({ min: 0, max: 40 }).map((tenths) => tenths / 10), { minLength: 0, maxLength: 60 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 0, max: 40 }).map((tenths) => tenths / 10),
    fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 })
  ])("the online monitor stops at the first full window below the threshold, however the tokens arrive in chunks", (values, window, threshold, chunkSizes) => {
    const state = Confidence.monitor(window, threshold)
    let offset = 0
    for (let chunk = 0; offset < values.length; chunk++) {
      const size = chunkSizes[chunk % chunkSizes.length] ?? 1
      Confidence.observe(state, values.slice(offset, offset + size))
      offset += size
    }
    const groups = values.length >= window ? Confidence.groupConfidences(values, window) : []
    const first = groups.findIndex((group) => group < threshold)
    if (first < 0) {
      expect(state.stoppedAfter).toBeUndefined()
    } else {
      expect(state.stoppedAfter).toBe(first + window)
      expect(state.stoppedAt).toBe(groups[first])
    }
  })
})
