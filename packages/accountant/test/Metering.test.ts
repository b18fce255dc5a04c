import { describe, expect } from "vitest"
import { Effect } from "effect"
import { LanguageModel, Message, Problem, ProcessRewardModel, Step, Trajectory, Usage } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect, Scripted } from "@stepwise/testing"

/**
 * Metering cannot be bypassed: a service value that did not come from its contract's `make` (or `wrap`) is a type
 * error, and is refused at run time with a typed error before it runs — nothing generated, nothing unaccounted.
 */

const request: LanguageModel.GenerateRequest = { messages: [Message.user("Count to a million.")], n: 4, maxTokens: 5_000 }

let generated = 0
// The probe: four samples of 5,000 tokens each, reported honestly, from a backend that never asked the meter.
const probe = {
  info: { name: "hand-built" },
  countInputTokens: () => 8,
  generate: (asked: LanguageModel.GenerateRequest) =>
    Effect.sync(() => {
      generated += asked.n * 5_000
      return Array.from({ length: asked.n }, (_, index): LanguageModel.Completion => ({
        index,
        text: "1, 2, 3, …",
        finishReason: "length",
        usage: Usage.make({ inputTokens: index === 0 ? 8 : 0, outputTokens: 5_000, cachedInputTokens: 0 })
      }))
    })
}

// @ts-expect-error: a LanguageModel.Service only comes from LanguageModel.make; a hand-built one does not typecheck.
const handBuilt: LanguageModel.Service = probe

const problem = Problem.make({ id: "p", question: "2 + 2?" })
const trajectory = Trajectory.fromSteps([Step.make({ text: "2 + 2 = 4" })])

// @ts-expect-error: a ProcessRewardModel.Service only comes from ProcessRewardModel.make (or wrap).
const handBuiltVerifier: ProcessRewardModel.Service = {
  info: { name: "hand-built-prm" },
  score: () => Effect.succeed({ stepScores: [1], usage: Usage.make({ inputTokens: 10_000, outputTokens: 0 }) })
}

describe("metering cannot be bypassed", () => {
  itEffect("a hand-built LanguageModel.Service under a 100-token budget is refused with Unmetered, and nothing runs", () =>
    Effect.gen(function* () {
      generated = 0
      const accountant = yield* Accountant.make({ totalTokens: 100 })
      const error = yield* Effect.flip(
        LanguageModel.generate(request).pipe(Effect.provideService(LanguageModel.LanguageModel, handBuilt), Accountant.provide(accountant))
      )
      expect(error._tag).toBe("Unmetered")
      expect(error.message).toContain("hand-built")
      expect(generated).toBe(0)
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.totalTokens).toBe(0)
      expect(snapshot.reserved.totalTokens).toBe(0)
      expect(LanguageModel.isMetered(handBuilt)).toBe(false)
      expect((yield* Effect.flip(LanguageModel.check(handBuilt)))._tag).toBe("Unmetered")
    })
  )

  itEffect("the same backend through LanguageModel.make is metered: the limit holds and the excess is recorded as overrun", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ totalTokens: 100 })
      const completions = yield* LanguageModel.generate(request).pipe(
        Effect.provideService(LanguageModel.LanguageModel, LanguageModel.make(probe)),
        Accountant.provide(accountant)
      )
      expect(completions).toHaveLength(4)
      const snapshot = yield* accountant.snapshot
      // It ignored the granted limit (23 tokens per sample) and reported 4 × 5,000: charged up to the limit, the rest overrun.
      expect(snapshot.spent.totalTokens).toBe(100)
      expect(snapshot.overrun.totalTokens).toBe(8 + 20_000 - 100)
      expect(snapshot.reserved.totalTokens).toBe(0)
    })
  )

  itEffect("a made service with its generate swapped out is refused; spreading extras into a made one is not", () =>
    Effect.gen(function* () {
      const made = Scripted.languageModel(() => "ok")
      const swapped = { ...made, generate: probe.generate }
      const error = yield* Effect.flip(LanguageModel.generate(request).pipe(Effect.provideService(LanguageModel.LanguageModel, swapped)))
      expect(error._tag).toBe("Unmetered")
      const extended = { ...made, tokenize: (text: string) => [...text] }
      const completions = yield* LanguageModel.generate({ ...request, maxTokens: 10 }).pipe(Effect.provideService(LanguageModel.LanguageModel, extended))
      expect(completions).toHaveLength(4)
    })
  )

  itEffect("LanguageModel.around runs every call of a made service inside it, metered once; around a hand-built one it refuses", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ totalTokens: 1_000 })
      const made = Scripted.languageModel(() => "ok")
      let entered = 0
      const counted = LanguageModel.around(made, (call) => Effect.andThen(Effect.sync(() => void entered++), call))
      const direct = yield* LanguageModel.generate({ ...request, maxTokens: 10 }).pipe(Effect.provideService(LanguageModel.LanguageModel, made), Accountant.provide(accountant))
      const once = (yield* accountant.snapshot).spent.totalTokens
      const completions = yield* LanguageModel.generate({ ...request, maxTokens: 10 }).pipe(Effect.provideService(LanguageModel.LanguageModel, counted), Accountant.provide(accountant))
      expect(completions).toEqual(direct)
      expect(entered).toBe(1)
      expect((yield* accountant.snapshot).spent.totalTokens).toBe(2 * once)
      const error = yield* Effect.flip(LanguageModel.around(handBuilt, (call) => call).generate(request))
      expect(error._tag).toBe("Unmetered")
      expect(made.calls()).toBe(2)
    })
  )

  itEffect("a hand-built ProcessRewardModel.Service is refused with a VerifierError caused by Unmetered, and charges nothing", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ verifierCalls: 10 })
      const error = yield* Effect.flip(
        ProcessRewardModel.score(problem, trajectory).pipe(
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, handBuiltVerifier),
          Accountant.provide(accountant)
        )
      )
      expect(error._tag).toBe("VerifierError")
      expect(error._tag === "VerifierError" && (error.cause as { readonly _tag?: string } | undefined)?._tag).toBe("Unmetered")
      expect((yield* accountant.snapshot).spent.verifierCalls).toBe(0)
      const wrapped = ProcessRewardModel.wrap({ info: { name: "wrapped" }, score: (target, steps) => Scripted.verifier(() => 1).score(target, steps) })
      const scoring = yield* ProcessRewardModel.score(problem, trajectory).pipe(
        Effect.provideService(ProcessRewardModel.ProcessRewardModel, wrapped),
        Accountant.provide(accountant)
      )
      expect(scoring.stepScores).toEqual([1])
      expect((yield* accountant.snapshot).spent.verifierCalls).toBe(1)
    })
  )

  itEffect("a backend hook of an unknown specification version is refused when made", () =>
    Effect.sync(() => {
      expect(() => LanguageModel.make({ ...probe, specificationVersion: "v9" as "v1" })).toThrow(/hook version v9/)
      expect(LanguageModel.isMetered(LanguageModel.make({ ...probe, specificationVersion: "v1" }))).toBe(true)
    })
  )
})
