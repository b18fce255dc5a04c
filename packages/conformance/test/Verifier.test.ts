import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import { Verifier, Vitest } from "../src/index.js"

const scoring = (score: (steps: number) => ReadonlyArray<number>) =>
  ProcessRewardModel.make({
    info: { name: "fixed" },
    score: (_problem, trajectory) => Effect.succeed({ stepScores: score(Trajectory.stepTexts(trajectory).length), usage: Usage.zero })
  })

const failedOf = async (subject: Verifier.Subject) => {
  const failed: Array<string> = []
  for (const testCase of Verifier.cases(subject)) if (!(await testCase.run().then(() => true, () => false))) failed.push(testCase.name)
  return failed
}

describe("the verifier conformance suite", () => {
  it("passes a verifier that keeps the contract", async () => {
    expect(await failedOf({ name: "half", make: Effect.succeed(scoring((steps) => Array.from({ length: steps }, () => 0.5))), deterministic: true })).toEqual([])
  })

  it("catches a verifier that is not metered, or makes more calls than it says", async () => {
    const inner = scoring((steps) => Array.from({ length: steps }, () => 0.5))
    const twice = ProcessRewardModel.wrap({
      info: { name: "twice" },
      score: (problem, trajectory) => Effect.andThen(inner.score(problem, trajectory), inner.score(problem, trajectory))
    })
    expect(await failedOf({ name: "twice", make: Effect.succeed(twice) })).toEqual(["is metered: 1 verifier call per score, verifier tokens only"])
    expect(await failedOf({ name: "twice", make: Effect.succeed(twice), callsPerScore: 2 })).toEqual([])
  })
})

Vitest.register(
  { describe, it },
  "a well-behaved verifier, registered with Vitest.register",
  Verifier.cases({ name: "half", make: Effect.succeed(scoring((steps) => Array.from({ length: steps }, () => 0.5))) })
)
