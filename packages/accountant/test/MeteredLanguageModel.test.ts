import { describe, expect } from "vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { LanguageModel, Message, RateLimited, Unavailable, Usage, withSpent } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect, Scripted } from "@stepwise/testing"

const request: LanguageModel.GenerateRequest = { messages: [Message.user("hi")], n: 2, maxTokens: 10 }

describe("LanguageModel.make", () => {
  itEffect("validates the request and names the field", () =>
    Effect.gen(function* () {
      const model = Scripted.languageModel(() => "ok")
      const error = yield* Effect.flip(model.generate({ ...request, n: 0 }))
      expect(error._tag).toBe("InvalidRequest")
      if (error._tag === "InvalidRequest") expect(error.field).toBe("n")
      const topP = yield* Effect.flip(model.generate({ ...request, topP: 1.5 }))
      expect(topP._tag === "InvalidRequest" && topP.field).toBe("topP")
      expect(model.calls()).toBe(0)
    })
  )

  itEffect("retries retryable failures, then succeeds", () =>
    Effect.gen(function* () {
      let failures = 2
      const model = Scripted.languageModel(() => (failures-- > 0 ? new Unavailable({ backend: "s", detail: "503" }) : "done"), {
        retry: { times: 3, baseMillis: 1, capMillis: 2 }
      })
      const completions = yield* model.generate(request)
      expect(completions.map((completion) => completion.text)).toEqual(["done", "done"])
      expect(model.calls()).toBe(3)
    })
  )

  itEffect("gives up after the configured retries with the last typed error", () =>
    Effect.gen(function* () {
      const model = Scripted.languageModel(() => new Unavailable({ backend: "s", detail: "down" }), {
        retry: { times: 2, baseMillis: 1, capMillis: 1 }
      })
      const error = yield* Effect.flip(model.generate(request))
      expect(error._tag).toBe("Unavailable")
      expect(model.calls()).toBe(3)
    })
  )

  itEffect("waits the server's Retry-After on 429", () =>
    Effect.gen(function* () {
      let failures = 1
      const model = Scripted.languageModel(
        () => (failures-- > 0 ? new RateLimited({ backend: "s", retryAfterMillis: 5_000, detail: "429" }) : "ok"),
        { retry: { times: 1, baseMillis: 1, capMillis: 1 } }
      )
      const fiber = yield* Effect.forkChild(model.generate(request))
      yield* TestClock.adjust("4999 millis")
      expect(model.calls()).toBe(1)
      yield* TestClock.adjust("1 millis")
      const completions = yield* Fiber.join(fiber)
      expect(completions).toHaveLength(2)
      expect(model.calls()).toBe(2)
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("meters every call against the accountant and clamps maxTokens", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const model = Scripted.languageModel((asked) => {
        seen.push(asked.maxTokens)
        return "x".repeat(100)
      })
      const accountant = yield* Accountant.make({ outputTokens: 30 })
      const completions = yield* Accountant.provide(accountant)(model.generate({ ...request, maxTokens: 50 }))
      expect(seen).toEqual([15, 15])
      expect(completions.every((completion) => completion.finishReason === "length")).toBe(true)
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(30)
      expect(snapshot.spent.inputTokens).toBe(2)
      expect(snapshot.reserved.outputTokens).toBe(0)
      const exhausted = yield* Effect.flip(Accountant.provide(accountant)(model.generate(request)))
      expect(exhausted._tag).toBe("BudgetExhausted")
    })
  )

  itEffect("releases the reservation of a failed call", () =>
    Effect.gen(function* () {
      const model = Scripted.languageModel(() => new Unavailable({ backend: "s", detail: "down" }), {
        retry: { times: 0, baseMillis: 1, capMillis: 1 }
      })
      const accountant = yield* Accountant.make({ outputTokens: 1000 })
      yield* Effect.flip(Accountant.provide(accountant)(model.generate(request)))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(0)
      expect(snapshot.reserved.outputTokens).toBe(0)
    })
  )

  itEffect("charges what a failed call says it spent (answered requests of a call of several), given up or retried", () =>
    Effect.gen(function* () {
      const spent = Usage.make({ inputTokens: 30, outputTokens: 7, cachedInputTokens: 0 })
      const failing = Scripted.languageModel(() => withSpent(new Unavailable({ backend: "s", detail: "503" }), spent), {
        retry: { times: 1, baseMillis: 1, capMillis: 1 }
      })
      const accountant = yield* Accountant.make({ outputTokens: 1000 })
      const error = yield* Effect.flip(Accountant.provide(accountant)(failing.generate(request)))
      expect(error).toMatchObject({ _tag: "Unavailable", spent })
      const afterFailure = yield* accountant.snapshot
      // Two attempts, each of which answered part of the call before failing.
      expect(afterFailure.spent.outputTokens).toBe(14)
      expect(afterFailure.spent.inputTokens).toBe(60)
      expect(afterFailure.reserved.outputTokens).toBe(0)
      let failures = 1
      const recovering = Scripted.languageModel(() => (failures-- > 0 ? withSpent(new Unavailable({ backend: "s", detail: "503" }), spent) : "done"), {
        retry: { times: 1, baseMillis: 1, capMillis: 1 }
      })
      const fresh = yield* Accountant.make({ outputTokens: 1000 })
      const completions = yield* Accountant.provide(fresh)(recovering.generate(request))
      const answered = Usage.sum(completions.map((completion) => completion.usage))
      const afterRecovery = yield* fresh.snapshot
      expect(afterRecovery.spent.outputTokens).toBe((answered.outputTokens ?? 0) + 7)
      // A count that is no count is charged at the worst case (the reservation: 2 samples × 10 tokens).
      const nonsense = Scripted.languageModel(() => withSpent(new Unavailable({ backend: "s", detail: "503" }), Usage.make({ inputTokens: 1, outputTokens: -5 })), {
        retry: { times: 0, baseMillis: 1, capMillis: 1 }
      })
      const third = yield* Accountant.make({ outputTokens: 1000 })
      yield* Effect.flip(Accountant.provide(third)(nonsense.generate(request)))
      expect((yield* third.snapshot).spent.outputTokens).toBe(20)
    })
  )

  itEffect("keeps a hook that breaks its contract in the typed channel, releasing the reservation: a Promise, a throw, a malformed reply", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ outputTokens: 1000 })
      const once = { retry: { times: 0, baseMillis: 1, capMillis: 1 } }
      const hooks: ReadonlyArray<readonly [string, () => unknown, RegExp]> = [
        ["an async generate", async () => [], /returned object, not an Effect \(an async function returns a Promise/],
        ["a throwing generate", () => { throw new TypeError("boom") }, /generate failed unexpectedly: boom/],
        ["a reply that is no array", () => Effect.succeed(null), /gave null, not an array of completions/],
        ["a completion without usage", () => Effect.succeed([{ index: 0, text: "x", finishReason: "eos", usage: null }]), /completion 0 is not \{ text, usage/]
      ]
      for (const [what, generate, message] of hooks) {
        const model = LanguageModel.make({ info: { name: "broken" }, generate: generate as never }, once)
        const error = yield* Effect.flip(Accountant.provide(accountant)(model.generate(request)))
        expect(error, what).toMatchObject({ _tag: "BadResponse", backend: "broken" })
        expect(error.message, what).toMatch(message)
      }
      expect((yield* accountant.snapshot).reserved.outputTokens).toBe(0)
      // Under retries, a broken hook is called once: calling it again would only repeat its side effects.
      let called = 0
      const retrying = LanguageModel.make({ info: { name: "broken" }, generate: (async () => void called++) as never }, { retry: { times: 3, baseMillis: 1, capMillis: 1 } })
      expect(yield* Effect.flip(Accountant.provide(accountant)(retrying.generate(request)))).toMatchObject({ _tag: "BadResponse" })
      expect(called).toBe(1)
    })
  )

  itEffect("calls the hook again on each retry (a retry is a new request, not the failed one replayed)", () =>
    Effect.gen(function* () {
      let called = 0
      const model = LanguageModel.make(
        {
          info: { name: "flaky" },
          generate: () => {
            called++
            const answer = called >= 2
            return Effect.suspend(() =>
              answer
                ? Effect.succeed([{ index: 0, text: "ok", finishReason: "eos" as const, usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 } }])
                : Effect.fail(new Unavailable({ backend: "flaky", detail: "down" }))
            )
          }
        },
        { retry: { times: 3, baseMillis: 1, capMillis: 1 } }
      )
      const completions = yield* model.generate({ ...request, n: 1 })
      expect(completions.map((completion) => completion.text)).toEqual(["ok"])
      expect(called).toBe(2)
    })
  )
})
