import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { Strategy as StrategySuite } from "@stepwise/conformance"
import { SearchEvent } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { BestOfN } from "@stepwise/search"

// The strategy conformance suite must be able to fail: each broken variant of best-of-n below breaks one rule, and
// the suite names the case it breaks (and passes the unbroken strategy).

const failedOf = async (subject: StrategySuite.Subject): Promise<ReadonlyArray<string>> => {
  const failed: Array<string> = []
  for (const testCase of StrategySuite.cases(subject)) if (!(await testCase.run().then(() => true, () => false))) failed.push(testCase.name)
  return failed
}

const bestOfN = (seed: number, limits: StrategySuite.Limits) => BestOfN.make({ n: 4, seed, maxTokens: limits.maxTokens })

const broken = (name: string, change: (inner: Strategy.Strategy) => Strategy.Strategy["run"]): StrategySuite.Subject => ({
  name,
  usesVerifier: true,
  propertyRuns: 5,
  make: (seed, limits) => Effect.map(bestOfN(seed, limits), (inner) => ({ name, run: change(inner) }))
})

describe("the strategy conformance suite", () => {
  it("passes best-of-n as it is", async () => {
    expect(await failedOf({ name: "best-of-n", usesVerifier: true, propertyRuns: 5, make: bestOfN })).toEqual([])
  })

  it("catches a strategy that ignores its seed", async () => {
    let calls = 0
    const subject: StrategySuite.Subject = {
      name: "unseeded",
      usesVerifier: true,
      propertyRuns: 5,
      make: (_seed, limits) => bestOfN(++calls, limits)
    }
    expect(await failedOf(subject)).toEqual(["gives the same result for the same seed"])
  })

  it("catches a strategy that emits no events", async () => {
    const silent = broken("silent", (inner) => (problem) => Effect.provideService(inner.run(problem), SearchEvent.EventSink, { emit: () => Effect.void }))
    expect(await failedOf(silent)).toEqual(["answers within a large budget, emits start and end events, and returns a consistent tree"])
  })

  it("catches a strategy that turns its policy's typed failure into an untyped defect", async () => {
    const hiding = broken("hiding", (inner) => (problem) =>
      Effect.catchTag(inner.run(problem), "Unavailable", () => Effect.die(new Error("something went wrong")))
    )
    expect(await failedOf(hiding)).toEqual(["ends in a typed error when the model always fails"])
  })

  it("catches a strategy whose answer is not its outcome's", async () => {
    const misreporting = broken("misreporting", (inner) => (problem) =>
      Effect.map(inner.run(problem), (result) =>
        result.outcome._tag === "NoAnswer" ? { ...result, answer: "7" } : { ...result, outcome: { _tag: "NoAnswer" as const, reason: "budget-exhausted" as const, detail: "" } }
      )
    )
    expect(await failedOf(misreporting)).toContain("never passes the budget, from tiny to large, and always returns a result")
  })
})
