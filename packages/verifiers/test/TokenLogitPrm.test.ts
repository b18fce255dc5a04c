import { describe, expect } from "vitest"
import { Effect } from "effect"
import { Message } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect } from "@stepwise/testing"
import { TokenLogitPrm } from "@stepwise/verifiers"
import * as ScriptedModel from "./support/ScriptedModel.js"
import { problem, trajectoryOf } from "./support/Fixtures.js"

const steps = ["Step 1: 2 + 3 = 5", "Step 2: 5 * 4 = 21", "Step 3: 21 - 6 = 15"]

describe("TokenLogitPrm", () => {
  itEffect("rlhflow: alternating user steps and assistant '+' turns, P(+) over {+, -} per step", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make((request) => {
        const last = request.messages[request.messages.length - 1]!.content
        const good = last.includes("2 + 3")
        return { text: "+", tokens: 1, logprobs: [ScriptedModel.position(good ? { "+": 0.6, " +": 0.2, "-": 0.2 } : { "-": 0.5, "\u2212": 0.25, "+": 0.25 })] }
      })
      const prm = yield* TokenLogitPrm.make({ languageModel: model.service })
      const scoring = yield* prm.score(problem, trajectoryOf(steps))
      expect(scoring.stepScores[0]).toBeCloseTo(0.8, 10)
      expect(scoring.stepScores[1]).toBeCloseTo(0.25, 10)
      const third = model.requests.find((request) => request.messages.length === 5)!
      expect(third.messages).toEqual([
        Message.user(`${problem.question} ${steps[0]}`),
        Message.assistant("+"),
        Message.user(steps[1]!),
        Message.assistant("+"),
        Message.user(steps[2]!)
      ])
      expect(third).toMatchObject({ n: 1, maxTokens: 1, temperature: 0, topLogprobs: 20 })
    })
  )

  itEffect("math-shepherd: the tagged steps as a prefix, read where the tag would stand", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "+", tokens: 1, logprobs: [ScriptedModel.position({ "+": 0.9, "-": 0.1 })] }))
      const prm = yield* TokenLogitPrm.make({ languageModel: model.service, style: "math-shepherd" })
      yield* prm.score(problem, trajectoryOf(steps))
      const prefixes = model.requests.map((request) => request.prefix).sort()
      expect(prefixes).toEqual([
        `${steps[0]} `,
        `${steps[0]} ки\n\n${steps[1]} `,
        `${steps[0]} ки\n\n${steps[1]} ки\n\n${steps[2]} `
      ])
      expect(model.requests[0]!.messages).toEqual([Message.user(problem.question)])
    })
  )

  itEffect("fails with VerifierError when neither token is in the logprobs, unless whenMissing is set", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "The", tokens: 1, logprobs: [ScriptedModel.position({ The: 0.9, A: 0.1 })] }))
      const strict = yield* TokenLogitPrm.make({ languageModel: model.service })
      const error = yield* Effect.flip(strict.score(problem, trajectoryOf(steps)))
      expect(error._tag).toBe("VerifierError")
      const lenient = yield* TokenLogitPrm.make({ languageModel: model.service, whenMissing: 0.5 })
      expect((yield* lenient.score(problem, trajectoryOf(steps))).stepScores).toEqual([0.5, 0.5, 0.5])
    })
  )

  itEffect("counts one verifier call per score, its tokens once as verifier tokens", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "+", tokens: 1, logprobs: [ScriptedModel.position({ "+": 0.9, "-": 0.1 })] }))
      const prm = yield* TokenLogitPrm.make({ languageModel: model.service })
      const accountant = yield* Accountant.make({})
      yield* Accountant.provide(accountant)(prm.score(problem, trajectoryOf(steps)))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(model.requests.reduce((total, request) => total + ScriptedModel.inputTokensOf(request) + 1, 0))
    })
  )
})
