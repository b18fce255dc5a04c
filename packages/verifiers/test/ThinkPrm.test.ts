import { describe, expect } from "vitest"
import { Effect, Layer } from "effect"
import { LanguageModel, Message, ProcessRewardModel, RateLimited } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect } from "@stepwise/testing"
import { ThinkPrm } from "@stepwise/verifiers"
import * as ScriptedModel from "./support/ScriptedModel.js"
import { problem, rightSteps, trajectoryOf } from "./support/Fixtures.js"

const chainStart = "Let's verify step by step:"
const isDecision = (request: LanguageModel.GenerateRequest) => request.maxTokens === 1

/** A verifier model: chains judging steps by a table, and a decision position with the given P(yes), P(no). */
const verifierModel = (chainOf: (index: number, request: LanguageModel.GenerateRequest) => string, yes = 0.8, no = 0.2) =>
  ScriptedModel.make((request, index) =>
    isDecision(request)
      ? { text: "yes", tokens: 1, logprobs: [ScriptedModel.position({ yes: yes * 0.75, " Yes": yes * 0.25, no: no / 2, " NO": no / 2 })] }
      : { text: chainOf(index, request), finishReason: "stop" }
  )

describe("ThinkPrm requests", () => {
  itEffect("sends the prompt, chain and decision requests exactly as the protocol says", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "\nStep 1: ok \\boxed{correct}\nStep 2: ok \\boxed{correct}\nStep 3: ok \\boxed{correct}\n")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 2, maxTokens: 300, temperature: 0.4 })
      const trajectory = trajectoryOf(["Step 1: 2 + 3 = 5", "Step 2: 5 * 4\n= 20", rightSteps[2]!])
      yield* verifier.score(problem, trajectory)
      const expectedPrompt =
        "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\nWhat is (2 + 3) * 4 - 6?\n\n[Solution]\n\n" +
        "Step 1: Step 1: 2 + 3 = 5\nStep 2: Step 2: 5 * 4 = 20\nStep 3: " +
        rightSteps[2] +
        "\n\nReview and critique each step in the proposed solution to determine whether each step is correct. If the solution is incomplete, only verify the provided steps."
      const [chain, ...decisions] = model.requests
      expect(chain).toEqual({
        messages: [Message.user(expectedPrompt)],
        prefix: chainStart,
        stop: ["Is the solution correct?"],
        n: 2,
        maxTokens: 300,
        temperature: 0.4
      })
      expect(decisions).toHaveLength(2)
      for (const decision of decisions)
        expect(decision).toEqual({
          messages: [Message.user(expectedPrompt)],
          prefix: chainStart + "\nStep 1: ok \\boxed{correct}\nStep 2: ok \\boxed{correct}\nStep 3: ok \\boxed{correct}\n" + "\nIs the solution correct? ",
          n: 1,
          maxTokens: 1,
          topLogprobs: 5,
          temperature: 0
        })
    })
  )

  itEffect("continues each chain with 'Let me double check' rounds, and asks the decision after the last", () =>
    Effect.gen(function* () {
      const model = verifierModel((index, request) =>
        request.prefix?.endsWith("Let me double check") === true ? `\nStep 2: no, wrong \\boxed{incorrect}` : `\nStep 1: \\boxed{correct}\nStep 2: \\boxed{correct}`
      )
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 1, rounds: 3 })
      const verification = yield* verifier.verify(problem, trajectoryOf(rightSteps.slice(0, 3)))
      expect(model.requests.map((request) => (isDecision(request) ? "decision" : "chain"))).toEqual(["chain", "chain", "chain", "decision"])
      const round2 = model.requests[1]!
      expect(round2.prefix).toBe(chainStart + "\nStep 1: \\boxed{correct}\nStep 2: \\boxed{correct}" + "\nLet me double check")
      expect(round2.stop).toEqual(["Is the solution correct?"])
      const chain = verification.chains[0]!
      expect(chain.parse._tag === "Parsed" && chain.parse.repeated).toEqual([2])
      expect(chain.parse._tag === "Parsed" && chain.parse.judgements).toEqual(["correct", "incorrect", undefined])
      expect(model.requests[3]!.prefix!.endsWith("\\boxed{incorrect}\nIs the solution correct? ")).toBe(true)
    })
  )
})

describe("ThinkPrm scores", () => {
  itEffect("scores earlier steps by judgement and the last by P(yes)/(P(yes)+P(no)), summing variants", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}\nStep 3: \\boxed{correct}", 0.6, 0.2)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      const scoring = yield* verifier.score(problem, trajectoryOf(rightSteps))
      expect(scoring.stepScores[0]).toBe(1)
      expect(scoring.stepScores[1]).toBe(0)
      expect(scoring.stepScores[2]).toBeCloseTo(0.75, 10)
    })
  )

  itEffect("averages n parallel chains per step", () =>
    Effect.gen(function* () {
      const chains = ["Step 1: \\boxed{correct}", "Step 1: \\boxed{incorrect}", "Step 1: \\boxed{correct}", "nothing useful"]
      const model = verifierModel((index) => chains[index]!, 0.5, 0.5)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 4 })
      const scoring = yield* verifier.score(problem, trajectoryOf(rightSteps.slice(0, 2)))
      // Step 1: judgements 1, 0, 1 and the unparsable chain's decision 0.5.
      expect(scoring.stepScores[0]).toBeCloseTo((1 + 0 + 1 + 0.5) / 4, 10)
      expect(scoring.stepScores[1]).toBeCloseTo(0.5, 10)
    })
  )

  itEffect("sharpens the decision with a decision temperature", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}", 0.6, 0.3)
      const plain = yield* ThinkPrm.make({ languageModel: model.service })
      const sharp = yield* ThinkPrm.make({ languageModel: model.service, decisionTemperature: 0.5 })
      const trajectory = trajectoryOf(rightSteps.slice(0, 1))
      expect((yield* plain.score(problem, trajectory)).stepScores[0]).toBeCloseTo(2 / 3, 10)
      expect((yield* sharp.score(problem, trajectory)).stepScores[0]).toBeCloseTo(0.36 / (0.36 + 0.09), 10)
    })
  )

  itEffect("falls back in the documented order when the decision has no logprobs", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<{ chain: string; decisionText: string; expected: number; source: ThinkPrm.DecisionSource }> = [
        { chain: "Step 1: \\boxed{correct}", decisionText: "No", expected: 0, source: "decision-text" },
        { chain: "Step 1: \\boxed{correct}\nIs the solution correct? Yes", decisionText: "", expected: 1, source: "chain-text" },
        { chain: "Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}", decisionText: "", expected: 0, source: "judgements" },
        { chain: "Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}", decisionText: "", expected: 1, source: "judgements" },
        { chain: "Step 1: \\boxed{correct}", decisionText: "", expected: 0.3, source: "fallback" },
        { chain: "I cannot tell.", decisionText: "maybe", expected: 0.3, source: "fallback" }
      ]
      for (const item of cases) {
        const model = ScriptedModel.make((request) => (isDecision(request) ? { text: item.decisionText, tokens: 1 } : { text: item.chain }))
        const verifier = yield* ThinkPrm.make({ languageModel: model.service, fallbackScore: 0.3 })
        const verification = yield* verifier.verify(problem, trajectoryOf(rightSteps.slice(0, 2)))
        expect(verification.chains[0]!.decisionSource).toBe(item.source)
        expect(verification.stepScores[1]).toBe(item.expected)
      }
    })
  )

  itEffect("an unparsable chain is reported as such and scores by its decision", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "The solution looks plausible overall.", 0.9, 0.1)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      const verification = yield* verifier.verify(problem, trajectoryOf(rightSteps))
      expect(verification.chains[0]!.parse).toEqual({ _tag: "Unparsable", reason: "no-judgement", decision: undefined })
      for (const score of verification.stepScores) expect(score).toBeCloseTo(0.9, 10)
    })
  )

  itEffect("makes no call for an empty trajectory", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      expect((yield* verifier.score(problem, trajectoryOf([]))).stepScores).toEqual([])
      expect(model.requests).toHaveLength(0)
    })
  )

  itEffect("turns model failures into VerifierError with the typed cause", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => new RateLimited({ backend: "x", retryAfterMillis: undefined, detail: "slow down" }))
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      const error = yield* Effect.flip(verifier.score(problem, trajectoryOf(rightSteps)))
      expect(error._tag).toBe("VerifierError")
      expect(error._tag === "VerifierError" && (error.cause as RateLimited)._tag).toBe("RateLimited")
    })
  )

  itEffect("rejects bad options naming the field", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "")
      for (const [field, options] of [
        ["chains", { chains: 0 }],
        ["rounds", { rounds: 1.5 }],
        ["decisionTemperature", { decisionTemperature: 0 }],
        ["fallbackScore", { fallbackScore: 2 }],
        ["maxTokens", { maxTokens: -1 }]
      ] as const) {
        const error = yield* Effect.flip(ThinkPrm.make({ languageModel: model.service, ...options }))
        expect(error.field).toBe(field)
      }
    })
  )
})

describe("ThinkPrm spend", () => {
  itEffect("counts one verifier call per score and its model tokens once, as verifier tokens", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 3, rounds: 2 })
      const accountant = yield* Accountant.make({})
      const trajectories = [trajectoryOf(rightSteps.slice(0, 2)), trajectoryOf(rightSteps)]
      let reported = 0
      for (const trajectory of trajectories) {
        const scoring = yield* Accountant.provide(accountant)(verifier.score(problem, trajectory))
        reported += (scoring.usage.inputTokens ?? 0) + (scoring.usage.outputTokens ?? 0)
      }
      const expected = model.requests.reduce((total, request) => total + ScriptedModel.inputTokensOf(request), 0)
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(2)
      expect(snapshot.spent.inputTokens).toBe(0)
      expect(snapshot.spent.outputTokens).toBe(0)
      expect(snapshot.spent.verifierTokens).toBe(reported)
      expect(reported).toBeGreaterThan(expected)
    })
  )

  itEffect("as a layer, verifies with the language model in context", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}", 0.9, 0.1)
      const layer = Layer.provide(ThinkPrm.layer({ chains: 2 }), Layer.succeed(LanguageModel.LanguageModel, model.service))
      const scoring = yield* Effect.provide(ProcessRewardModel.score(problem, trajectoryOf(rightSteps.slice(0, 1))), layer)
      expect(scoring.stepScores[0]).toBeCloseTo(0.9, 10)
      expect(model.requests[0]!.n).toBe(2)
    })
  )

  itEffect("under a verifier-token budget, never spends past it and fails with BudgetExhausted when it runs out", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 2, maxTokens: 200 })
      const accountant = yield* Accountant.make({ verifierTokens: 1500 })
      const outcomes: Array<string> = []
      for (let round = 0; round < 6; round++) {
        const result = yield* Effect.result(Accountant.provide(accountant)(verifier.score(problem, trajectoryOf(rightSteps.slice(0, 2)))))
        outcomes.push(result._tag === "Success" ? "scored" : result.failure._tag)
      }
      const snapshot = yield* accountant.snapshot
      expect(outcomes).toContain("scored")
      expect(outcomes[outcomes.length - 1]).toBe("BudgetExhausted")
      expect(snapshot.spent.verifierTokens).toBeLessThanOrEqual(1500)
      expect(snapshot.spent.verifierCalls).toBe(outcomes.filter((outcome) => outcome === "scored").length)
    })
  )
})
