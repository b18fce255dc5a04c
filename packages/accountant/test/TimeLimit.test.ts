import { describe, expect } from "vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { Problem, ProcessRewardModel, Step, TimeLimit, Trajectory, Usage } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect, Scripted } from "@stepwise/testing"

const problem = Problem.make({ id: "p", question: "2 + 2?" })
const trajectory = Trajectory.fromSteps([Step.make({ text: "\\boxed{4}" })])

describe("TimeLimit", () => {
  itEffect("lets a call finish within the limit, cuts off one that outlasts it, and refuses one after it", () =>
    Effect.gen(function* () {
      const limit = yield* TimeLimit.fromNow(1_000, "run")
      expect(yield* TimeLimit.guard(limit, Effect.succeed(4))).toBe(4)
      const slow = yield* Effect.forkChild(Effect.flip(TimeLimit.guard(limit, Effect.as(Effect.sleep("5 seconds"), 4))))
      yield* TestClock.adjust("1 second")
      const cut = yield* Fiber.join(slow)
      expect(cut).toMatchObject({ _tag: "BudgetExhausted", resource: "deadline", budget: "run" })
      expect(cut.message).toBe('budget "run" exhausted: its deadline of 1000 ms passed')
      expect(yield* Effect.flip(TimeLimit.guard(limit, Effect.succeed(4)))).toMatchObject({ resource: "deadline" })
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("refuses a verifier that make did not build, as LanguageModel.around refuses such a model", () =>
    Effect.gen(function* () {
      const unmetered = { info: { name: "hand-built" }, score: () => Effect.succeed({ stepScores: [1], usage: Usage.zero }) } as unknown as ProcessRewardModel.Service
      const limited = TimeLimit.services({ languageModel: Scripted.languageModel(() => "\\boxed{4}"), processRewardModel: unmetered }, yield* TimeLimit.fromNow(60_000, "run"))
      const accountant = yield* Accountant.make({ verifierCalls: 1 })
      const error = yield* Effect.flip(Accountant.provide(accountant)(limited.processRewardModel.score(problem, trajectory)))
      expect(error._tag).toBe("VerifierError")
      expect(error.message).toContain("was not built by ProcessRewardModel.make or ProcessRewardModel.wrap")
      expect((error as { cause?: { _tag?: string } }).cause?._tag).toBe("Unmetered")
      const metered = TimeLimit.services({ languageModel: Scripted.languageModel(() => "\\boxed{4}"), processRewardModel: Scripted.verifier(() => 0.5) }, yield* TimeLimit.fromNow(60_000, "run"))
      expect((yield* Accountant.provide(accountant)(metered.processRewardModel.score(problem, trajectory))).stepScores).toEqual([0.5])
    })
  )
})
