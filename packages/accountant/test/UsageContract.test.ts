import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { LanguageModel, Message, Problem, ProcessRewardModel, Step, Trajectory, Usage } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect } from "@stepwise/testing"

/**
 * Usage from any backend is validated at the contract: a count that is not a finite number ≥ 0 (negative, NaN,
 * ±Infinity — `1e400` is Infinity after JSON.parse) is a typed `BadResponse` carrying the raw value, and is never
 * charged; valid counts are charged as reported.
 */

const request: LanguageModel.GenerateRequest = { messages: [Message.user("hi")], n: 1, maxTokens: 50 }
const noRetry = { retry: { times: 0, baseMillis: 1, capMillis: 1 } }

const reporting = (counts: { readonly inputTokens: number | undefined; readonly outputTokens: number | undefined; readonly cachedInputTokens: number | undefined }) =>
  LanguageModel.make(
    {
      info: { name: "reporting" },
      countInputTokens: () => 10,
      generate: () => Effect.succeed([{ index: 0, text: "ok", finishReason: "stop" as const, usage: Usage.make(counts) }])
    },
    noRetry
  )

const invalid = fc.oneof(
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, JSON.parse("1e400") as number, -1)
)
const valid = fc.oneof(fc.constant(undefined), fc.nat({ max: 40 }))
const count = fc.oneof({ arbitrary: valid, weight: 2 }, { arbitrary: invalid, weight: 1 })
const isValid = (value: number | undefined) => value === undefined || (Number.isFinite(value) && value >= 0)

describe("usage at the LanguageModel contract", () => {
  property.prop([count, count, count], { numRuns: 300 })(
    "for all reported counts: an invalid one is a BadResponse with its raw value and nothing is charged; valid ones are charged",
    (inputTokens, outputTokens, cachedInputTokens) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const accountant = yield* Accountant.make({ totalTokens: 1_000 })
          const outcome = yield* Effect.result(Accountant.provide(accountant)(reporting({ inputTokens, outputTokens, cachedInputTokens }).generate(request)))
          const snapshot = yield* accountant.snapshot
          expect(snapshot.reserved.totalTokens).toBe(0)
          const firstInvalid = [inputTokens, outputTokens, cachedInputTokens].find((value) => !isValid(value))
          if ([inputTokens, outputTokens, cachedInputTokens].every(isValid)) {
            expect(outcome._tag).toBe("Success")
            // Unreported counts are charged at the reserved worst case (10 prompt tokens, 50 output tokens).
            expect(snapshot.spent.inputTokens).toBe(inputTokens ?? 10)
            expect(snapshot.spent.outputTokens).toBe(outputTokens ?? 50)
          } else {
            expect(outcome._tag).toBe("Failure")
            if (outcome._tag === "Failure") {
              expect(outcome.failure._tag).toBe("BadResponse")
              expect(Object.is((outcome.failure as { readonly value?: unknown }).value, firstInvalid)).toBe(true)
            }
            expect(Object.values(snapshot.spent).every((amount) => amount === 0)).toBe(true)
            expect(Number.isFinite(snapshot.spent.cost)).toBe(true)
          }
        })
      )
  )

  itEffect("a bad count is retried like any bad response, and still never charged", () =>
    Effect.gen(function* () {
      let calls = 0
      const model = LanguageModel.make(
        {
          info: { name: "negative" },
          generate: () =>
            Effect.sync(() => {
              calls++
              return [{ index: 0, text: "ok", finishReason: "stop" as const, usage: Usage.make({ inputTokens: 3, outputTokens: -5 }) }]
            })
        },
        { retry: { times: 2, baseMillis: 1, capMillis: 1 } }
      )
      const accountant = yield* Accountant.make({ totalTokens: 1_000 })
      const error = yield* Effect.flip(Accountant.provide(accountant)(model.generate(request)))
      expect(error).toMatchObject({ _tag: "BadResponse", value: -5 })
      expect(error.message).toContain("usage.outputTokens of completion 0 is -5")
      expect(calls).toBe(3)
      expect((yield* accountant.snapshot).spent.totalTokens).toBe(0)
    })
  )
})

describe("usage at the ProcessRewardModel contract", () => {
  const problem = Problem.make({ id: "p", question: "2 + 2?" })
  const trajectory = Trajectory.fromSteps([Step.make({ text: "2 + 2 = 4" })])

  property.prop([count, count], { numRuns: 200 })("for all reported counts: an invalid one is a VerifierError caused by a BadResponse, never charged", (inputTokens, outputTokens) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const verifier = ProcessRewardModel.make({
          info: { name: "reporting-prm" },
          maxTokens: () => 20,
          score: () => Effect.succeed({ stepScores: [0.5], usage: Usage.make({ inputTokens, outputTokens, cachedInputTokens: 0 }) })
        })
        const accountant = yield* Accountant.make({ verifierTokens: 1_000 })
        const outcome = yield* Effect.result(Accountant.provide(accountant)(verifier.score(problem, trajectory)))
        const spent = (yield* accountant.snapshot).spent
        if (isValid(inputTokens) && isValid(outputTokens)) {
          expect(outcome._tag).toBe("Success")
          expect(spent.verifierCalls).toBe(1)
        } else {
          expect(outcome._tag).toBe("Failure")
          if (outcome._tag === "Failure") {
            expect(outcome.failure._tag).toBe("VerifierError")
            expect((outcome.failure as { readonly cause?: { readonly _tag?: string } }).cause?._tag).toBe("BadResponse")
          }
          expect(spent.verifierCalls).toBe(0)
          expect(spent.verifierTokens).toBe(0)
        }
      })
    )
  )
})
