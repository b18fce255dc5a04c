import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import type { SearchResult } from "@stepwise/core"
import { Answer, Trajectory } from "@stepwise/core"
import { Selection } from "@stepwise/search"

const candidate = (nodeId: number, answer: string | undefined, score: number | undefined): SearchResult.Candidate => ({
  nodeId,
  trajectory: Trajectory.empty,
  answer,
  score
})

describe("Selection", () => {
  // Hand-computed: groups "12" = 0.3 + 0.35 + 0.3 = 0.95 (3 votes), "\frac{1}{2}" = 0.9 (1 vote), "7" = 0.5 + 0.6 = 1.1 (2 votes).
  const candidates = [
    candidate(1, "12", 0.3),
    candidate(2, "\\frac{1}{2}", 0.9),
    candidate(3, " 12 ", 0.35),
    candidate(4, "7", 0.5),
    candidate(5, "$12$", 0.3),
    candidate(6, "7.", 0.6),
    candidate(7, undefined, 0.99)
  ]

  it("weighted vote equals the hand-computed reference", () => {
    const selected = Selection.select(candidates, "weighted", Answer.byNormalization)
    expect(Answer.normalize(selected.answer ?? "")).toBe("7")
    // The representative is the best-scored member of the winning group.
    expect(selected.best?.nodeId).toBe(6)
    const weights = Object.fromEntries(Selection.groups(candidates, Answer.byNormalization).map((group) => [group.key, group.weight]))
    expect(weights["12"]).toBeCloseTo(0.95, 12)
    expect(weights["7"]).toBeCloseTo(1.1, 12)
    expect(weights["\\frac{1}{2}"]).toBeCloseTo(0.9, 12)
  })

  it("majority takes the most frequent normalized answer; best takes the top score among answered", () => {
    expect(Selection.select(candidates, "majority").best?.nodeId).toBe(3)
    expect(Selection.select(candidates, "best").best?.nodeId).toBe(2)
  })

  it("falls back to majority when nothing is scored, and has no answer when nothing is extractable", () => {
    const unscored = [candidate(1, "a", undefined), candidate(2, "b", undefined), candidate(3, "b", undefined)]
    expect(Selection.select(unscored, "weighted").answer).toBe("b")
    expect(Selection.select([candidate(1, undefined, 0.5)], "best").answer).toBeUndefined()
  })

  it("groups by a pluggable equivalence: keys first, the full relation inside a shared bucket", () => {
    const loose = { key: (answer: string) => answer.toLowerCase() }
    const selected = Selection.select([candidate(1, "A", 0.4), candidate(2, "a", 0.4), candidate(3, "b", 0.7)], "weighted", loose)
    expect(selected.answer?.toLowerCase()).toBe("a")
    expect(Selection.select([candidate(1, "A", 0.4), candidate(2, "a", 0.4), candidate(3, "b", 0.7)], "weighted").answer).toBe("b")
  })

  property.prop([fc.array(fc.record({ answer: fc.constantFrom("1", "2", "3", "4"), score: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 30 })])(
    "weighted vote picks a group whose summed score is maximal (reference: a plain loop)",
    (drawn) => {
      const all = drawn.map((each, index) => candidate(index, each.answer, each.score))
      const sums = new Map<string, number>()
      for (const each of all) sums.set(each.answer ?? "", (sums.get(each.answer ?? "") ?? 0) + (each.score ?? 0))
      const top = Math.max(...sums.values())
      const selected = Selection.select(all, "weighted")
      expect(sums.get(selected.answer ?? "")).toBeCloseTo(top, 12)
    }
  )

  it("votes \\frac12, 0.5 and 1/2 together under an equivalence that buckets numbers by value", () => {
    const value = (answer: string): number => {
      const fraction = /^\\frac\{?(\d+)\}?\{?(\d+)\}?$/.exec(answer) ?? /^(\d+)\/(\d+)$/.exec(answer)
      return fraction === null ? Number(answer) : Number(fraction[1]) / Number(fraction[2])
    }
    const compared: Array<readonly [string, string]> = []
    const numeric: Answer.Equivalence = {
      key: (answer) => answer,
      buckets: () => ["numbers"],
      equivalent: (left, right) => {
        compared.push([left, right])
        return Math.abs(value(left) - value(right)) < 1e-9
      }
    }
    const votes = [candidate(1, "\\frac12", 0.2), candidate(2, "0.5", 0.2), candidate(3, "1/2", 0.2), candidate(4, "3", 0.5), candidate(5, "3", 0.1)]
    expect(Selection.select(votes, "majority", numeric).answer).toBe("\\frac12")
    expect(Selection.select(votes, "majority").answer).toBe("3")
    expect(Selection.groups(votes, numeric).map((group) => group.members.map((member) => member.nodeId))).toEqual([[1, 2, 3], [4, 5]])
    // The two "3" share a key: they are never compared with each other.
    expect(compared.some(([left, right]) => left === right)).toBe(false)
  })
})
