import { describe, expect, it } from "vitest"
import { Usage } from "@stepwise/core"
import { BestSoFar } from "../src/index.js"

const step = (nodeId: number, text: string, finished: boolean) => ({ _tag: "step-generate" as const, nodeId, parentId: 0, text, usage: Usage.zero, finished })

describe("BestSoFar", () => {
  it("follows the finished answer with the highest score, and starts afresh with each search", () => {
    const tracker = BestSoFar.make()
    expect(BestSoFar.update(tracker, step(1, "Step 1: 2 + 2 = 4", false))).toBe(false)
    expect(BestSoFar.update(tracker, step(2, "So \\boxed{4}", true))).toBe(true)
    expect(tracker.best).toEqual({ nodeId: 2, answer: "4", score: undefined })
    BestSoFar.update(tracker, step(3, "So \\boxed{5}", true))
    expect(tracker.best?.answer, "an unscored tie keeps the earliest").toBe("4")
    expect(BestSoFar.update(tracker, { _tag: "step-score", nodeId: 3, score: 0.9 })).toBe(true)
    expect(tracker.best).toEqual({ nodeId: 3, answer: "5", score: 0.9 })
    BestSoFar.update(tracker, { _tag: "step-score", nodeId: 2, score: 0.4 })
    expect(tracker.best?.nodeId).toBe(3)
    expect(BestSoFar.update(tracker, { _tag: "step-score", nodeId: 1, score: 1 }), "an unfinished node is not an answer").toBe(false)
    BestSoFar.update(tracker, { _tag: "search-start", strategy: "next", problemId: "p" })
    expect(tracker.best).toBeUndefined()
  })
})
