import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { itEffect } from "@stepwise/testing"
import { Judge } from "@stepwise/verifiers"
import { VerdictParser } from "@stepwise/verifiers"
import * as ScriptedModel from "./support/ScriptedModel.js"
import { problem, rightSteps, runs, trajectoryOf } from "./support/Fixtures.js"

describe("VerdictParser", () => {
  it("reads yes/no and grades from realistic answers", () => {
    expect(VerdictParser.parse("Yes.", "yes-no")).toEqual({ _tag: "Yes" })
    expect(VerdictParser.parse("Answer: \\boxed{no}", "yes-no")).toEqual({ _tag: "No" })
    expect(VerdictParser.parse("Nothing here is wrong, so yes", "yes-no")).toEqual({ _tag: "Yes" })
    expect(VerdictParser.parse("I think the steps are fine", "yes-no")).toEqual({ _tag: "Unparsable", reason: "no-verdict" })
    expect(VerdictParser.parse("Score: 7/10", "scale")).toEqual({ _tag: "Grade", value: 7 })
    expect(VerdictParser.parse("10", "scale")).toEqual({ _tag: "Grade", value: 10 })
    expect(VerdictParser.parse("I'd give it 12.5 or maybe 3", "scale")).toEqual({ _tag: "Grade", value: 3 })
    expect(VerdictParser.parse("", "scale")).toEqual({ _tag: "Unparsable", reason: "empty" })
  })

  property.prop([fc.string({ maxLength: 300 }), fc.constantFrom<VerdictParser.Mode>("yes-no", "scale")], { numRuns: runs(10_000, 500) })(
    "never throws; a grade is an integer in 0..10 and every verdict has a score or is unparsable",
    (text, mode) => {
      const verdict = VerdictParser.parse(text, mode)
      expect(["Yes", "No", "Grade", "Unparsable"]).toContain(verdict._tag)
      if (verdict._tag === "Grade") expect(Number.isInteger(verdict.value) && verdict.value >= 0 && verdict.value <= 10).toBe(true)
      const score = VerdictParser.scoreOf(verdict)
      expect(score === undefined ? verdict._tag === "Unparsable" : score >= 0 && score <= 1).toBe(true)
    }
  )
})

describe("Judge", () => {
  itEffect("judges each step given the steps before it, reading P(yes) from logprobs", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make((request) => {
        const content = request.messages[0]!.content
        const wrong = content.includes("Is Step 2")
        return { text: "yes", tokens: 1, logprobs: [ScriptedModel.position(wrong ? { no: 0.9, yes: 0.1 } : { Yes: 0.7, " yes": 0.1, no: 0.2 })] }
      })
      const judge = yield* Judge.make({ languageModel: model.service })
      const scoring = yield* judge.score(problem, trajectoryOf(rightSteps))
      expect(scoring.stepScores[0]).toBeCloseTo(0.8, 10)
      expect(scoring.stepScores[1]).toBeCloseTo(0.1, 10)
      expect(model.requests).toHaveLength(3)
      const second = model.requests.find((request) => request.messages[0]!.content.includes("Is Step 2"))!
      expect(second.messages[0]!.content).toContain("Step 2: Step 2: 5 * 4 = 20")
      expect(second.messages[0]!.content).not.toContain("Step 3:")
      expect(second.topLogprobs).toBe(5)
    })
  )

  itEffect("grades a whole solution 0–10 and gives every step that score", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "Score: 8/10" }))
      const judge = yield* Judge.make({ languageModel: model.service, mode: "scale", granularity: "solution" })
      const scoring = yield* judge.score(problem, trajectoryOf(rightSteps))
      expect(scoring.stepScores).toEqual([0.8, 0.8, 0.8])
      expect(model.requests).toHaveLength(1)
      expect(model.requests[0]!.messages[0]!.content).toContain("Rate the correctness of the solution from 0")
      expect(model.requests[0]!.topLogprobs).toBeUndefined()
    })
  )

  itEffect("falls back to the text, then to fallbackScore", () =>
    Effect.gen(function* () {
      const answers = ["No, step 1 is wrong.", "I am not sure."]
      let call = 0
      const model = ScriptedModel.make(() => ({ text: answers[call++ % 2]! }))
      const judge = yield* Judge.make({ languageModel: model.service, fallbackScore: 0.25, concurrency: 1, maxTokens: 64 })
      const scoring = yield* judge.score(problem, trajectoryOf(rightSteps.slice(0, 2)))
      expect(scoring.stepScores).toEqual([0, 0.25])
    })
  )

  itEffect("counts one verifier call per score and its tokens once, as verifier tokens", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "yes", tokens: 1 }))
      const judge = yield* Judge.make({ languageModel: model.service })
      const accountant = yield* Accountant.make({})
      const scoring = yield* Accountant.provide(accountant)(judge.score(problem, trajectoryOf(rightSteps)))
      const snapshot = yield* accountant.snapshot
      const expected = model.requests.reduce((total, request) => total + ScriptedModel.inputTokensOf(request) + 1, 0)
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(expected)
      expect(scoring.usage.inputTokens! + scoring.usage.outputTokens!).toBe(expected)
      expect(snapshot.spent.totalTokens).toBe(0)
    })
  )

  itEffect("rejects bad options naming the field", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "yes" }))
      const error = yield* Effect.flip(Judge.make({ languageModel: model.service, mode: "stars" as never }))
      expect(error.field).toBe("mode")
    })
  )
})
