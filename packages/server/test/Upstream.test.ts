import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, Message, ProcessRewardModel, Resource } from "@stepwise/core"
import { itEffect } from "@stepwise/testing"
import { Pool, Upstream } from "../src/index.js"

const request: LanguageModel.GenerateRequest = { messages: [Message.user("2 + 2?")], n: 1, maxTokens: 50 }

/** A policy whose every call takes `millis`, metered by the real wrapper. */
const slowModel = (millis: number) =>
  LanguageModel.make({
    info: { name: "slow", model: "slow" },
    generate: () => Effect.as(Effect.sleep(millis), [{ index: 0, text: "4", finishReason: "stop" as const, usage: { inputTokens: 5, outputTokens: 1, cachedInputTokens: 0 } }])
  })

const upstreamOf = (languageModel: LanguageModel.Service): Upstream.Upstream => ({
  name: "slow",
  model: "slow",
  languageModel,
  processRewardModel: ProcessRewardModel.make({ info: { name: "none" }, score: () => Effect.succeed({ stepScores: [], usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 } }) })
})

describe("Upstream.guarded", () => {
  itEffect("past the deadline a running call is interrupted, its reservation released, and the search sees BudgetExhausted on the deadline", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ totalTokens: 1000 })
      const deadline = { atMillis: Date.now() + 40, limitMillis: 40, label: "request-1" }
      const guarded = Upstream.guarded(upstreamOf(slowModel(5_000)), Pool.make(2), deadline)
      const exit = yield* Effect.exit(guarded.languageModel.generate(request).pipe(Accountant.provide(accountant)))
      expect(exit).toMatchObject({ _tag: "Failure" })
      if (Exit.isFailure(exit)) expect(exit.cause.reasons[0]).toMatchObject({ error: { _tag: "BudgetExhausted", resource: "deadline", requested: 40, budget: "request-1" } })
      const snapshot = yield* accountant.snapshot
      expect(snapshot.reserved).toEqual(Resource.none)
      expect(snapshot.spent).toEqual(Resource.none)
      // A call after the deadline fails at once, reserving nothing.
      const late = yield* Effect.exit(guarded.languageModel.generate(request).pipe(Accountant.provide(accountant)))
      expect(Exit.isFailure(late)).toBe(true)
    })
  )

  itEffect("before the deadline, calls run through the pool and are metered once", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({})
      const pool = Pool.make(1)
      const guarded = Upstream.guarded(upstreamOf(slowModel(1)), pool, { atMillis: Date.now() + 60_000, limitMillis: 60_000, label: "r" })
      yield* Effect.all([guarded.languageModel.generate(request), guarded.languageModel.generate(request)], { concurrency: 2 }).pipe(Accountant.provide(accountant))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(2)
      expect(pool.inUse()).toBe(0)
    })
  )
})
