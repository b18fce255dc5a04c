import { describe, expect } from "vitest"
import { Effect } from "effect"
import { Problem, ProcessRewardModel, Step, Trajectory, Usage } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect, Scripted } from "@stepwise/testing"

const problem = Problem.make({ id: "p", question: "2 + 2?" })
const trajectory = Trajectory.fromSteps([Step.make({ text: "Step 1: 2 + 2 = 4" }), Step.make({ text: "\\boxed{4}" })])

const verifierReturning = (stepScores: ReadonlyArray<number>) =>
  ProcessRewardModel.make({
    info: { name: "fixed" },
    score: () => Effect.succeed({ stepScores, usage: Usage.zero })
  })

describe("ProcessRewardModel.make", () => {
  itEffect("refuses a score count that does not match the steps", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(verifierReturning([0.5]).score(problem, trajectory))
      expect(error._tag).toBe("VerifierError")
      expect(error.message).toContain("1 scores for 2 steps")
    })
  )

  itEffect("refuses scores outside [0, 1]", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(verifierReturning([0.5, 1.2]).score(problem, trajectory))
      expect(error.message).toContain("step 2")
    })
  )

  itEffect("makes a hook that throws, dies or returns no Effect a VerifierError naming the verifier, and gives its reservation back", () =>
    Effect.gen(function* () {
      const hooks: ReadonlyArray<readonly [string, () => unknown, RegExp]> = [
        ["throws", () => { throw new Error("boom") }, /score failed unexpectedly: boom/],
        ["dies", () => Effect.die(new Error("kaboom")), /score failed unexpectedly: kaboom/],
        ["returns a promise", () => Promise.resolve({ stepScores: [1, 1], usage: Usage.zero }), /score returned object, not an Effect/],
        ["returns nothing", () => undefined, /score returned undefined, not an Effect/]
      ]
      const accountant = yield* Accountant.make({ verifierCalls: 10 })
      for (const [name, score, message] of hooks) {
        const verifier = ProcessRewardModel.make({ info: { name }, score: score as ProcessRewardModel.Backend["score"] })
        const error = yield* Effect.flip(Accountant.provide(accountant)(verifier.score(problem, trajectory)))
        expect(error._tag).toBe("VerifierError")
        expect(error.message).toContain(name)
        expect(error.message).toMatch(message)
      }
      const snapshot = yield* accountant.snapshot
      expect(snapshot.reserved.verifierCalls).toBe(0)
    })
  )

  itEffect("meters one verifier call and its tokens as verifier spend", () =>
    Effect.gen(function* () {
      const verifier = Scripted.verifier(() => 0.9, { tokensPerCall: 40 })
      const accountant = yield* Accountant.make({ verifierCalls: 2 })
      const scoring = yield* Accountant.provide(accountant)(verifier.score(problem, trajectory))
      expect(scoring.stepScores).toEqual([0.9, 0.9])
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(40)
      expect(snapshot.spent.totalTokens).toBe(0)
      yield* Accountant.provide(accountant)(verifier.score(problem, trajectory))
      const error = yield* Effect.flip(Accountant.provide(accountant)(verifier.score(problem, trajectory)))
      expect(error._tag).toBe("BudgetExhausted")
    })
  )

  itEffect("keeps side hooks that break their contract typed: a maxTokens that throws or gives no count, a score that gives null", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ verifierTokens: 1000 })
      const score = () => Effect.succeed({ stepScores: [0.5, 0.5], usage: Usage.zero })
      const broken: ReadonlyArray<readonly [string, ProcessRewardModel.Service, RegExp]> = [
        ["maxTokens throws", ProcessRewardModel.make({ info: { name: "v" }, score, maxTokens: () => { throw new Error("no tokenizer") } }), /maxTokens failed unexpectedly: no tokenizer/],
        ["maxTokens NaN", ProcessRewardModel.make({ info: { name: "v" }, score, maxTokens: () => Number.NaN }), /maxTokens gave NaN, not a count/],
        ["maxTokens negative", ProcessRewardModel.make({ info: { name: "v" }, score, maxTokens: () => -1000 }), /maxTokens gave -1000, not a count/],
        ["score null", ProcessRewardModel.make({ info: { name: "v" }, score: () => Effect.succeed(null as never) }), /score gave null, not \{ stepScores/]
      ]
      for (const [what, verifier, message] of broken) {
        const error = yield* Effect.flip(Accountant.provide(accountant)(verifier.score(problem, trajectory)))
        expect(error, what).toMatchObject({ _tag: "VerifierError", verifier: "v" })
        expect(error.message, what).toMatch(message)
      }
      const snapshot = yield* accountant.snapshot
      expect(snapshot.reserved.verifierTokens + snapshot.reserved.verifierCalls).toBe(0)
    })
  )

  itEffect("refuses a verifier with no token bound once verifierTokens are used up, and never one bounded at 0", () =>
    Effect.gen(function* () {
      const unbounded = ProcessRewardModel.make({ info: { name: "unbounded" }, score: () => Effect.succeed({ stepScores: [0.5, 0.5], usage: Usage.make({ inputTokens: 600, outputTokens: 0 }) }) })
      const free = ProcessRewardModel.make({ info: { name: "free" }, maxTokens: () => 0, score: () => Effect.succeed({ stepScores: [0.5, 0.5], usage: Usage.zero }) })
      const accountant = yield* Accountant.make({ verifierTokens: 1000 })
      const score = (verifier: ProcessRewardModel.Service) => Effect.exit(Accountant.provide(accountant)(verifier.score(problem, trajectory)))
      expect((yield* score(unbounded))._tag).toBe("Success")
      expect((yield* score(unbounded))._tag).toBe("Success")
      // 1,000 of 1,000 spent: the next unbounded call is refused, one bounded at 0 still scores.
      expect(yield* Effect.flip(Accountant.provide(accountant)(unbounded.score(problem, trajectory)))).toMatchObject({ _tag: "BudgetExhausted", resource: "verifierTokens" })
      expect((yield* score(free))._tag).toBe("Success")
    })
  )
})
