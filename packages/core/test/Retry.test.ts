import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { RateLimited, Retry, Unavailable } from "@stepwise/core"
import { itEffect } from "@stepwise/testing-base"

describe("Retry.retryAfterMillis", () => {
  it("reads delta-seconds and HTTP dates against now, and nothing else", () => {
    expect(Retry.retryAfterMillis("2", 0)).toBe(2000)
    expect(Retry.retryAfterMillis("0.5", 0)).toBe(500)
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")
    expect(Retry.retryAfterMillis("Wed, 21 Oct 2015 07:28:03 GMT", now)).toBe(3000)
    expect(Retry.retryAfterMillis("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0)
    expect(Retry.retryAfterMillis(null, 0)).toBeUndefined()
    expect(Retry.retryAfterMillis("  ", 0)).toBeUndefined()
    expect(Retry.retryAfterMillis("-3", 0)).toBeUndefined()
    expect(Retry.retryAfterMillis("soon", 0)).toBeUndefined()
  })
})

describe("Retry.httpFailureAt", () => {
  property.prop([fc.integer({ min: 400, max: 599 })])("for all failing statuses, the one typed error it means", (status) => {
    const error = Retry.httpFailureAt({ backend: "b", status, detail: "d", retryAfter: "1", field: "n" }, 0)
    const expected = status === 429 ? "RateLimited" : status === 408 ? "Timeout" : status >= 500 || status === 424 ? "Unavailable" : "InvalidRequest"
    expect(error._tag).toBe(expected)
    if (error._tag === "RateLimited") expect(error.retryAfterMillis).toBe(1000)
    if (error._tag === "InvalidRequest") expect(error.field).toBe("n")
  })
})

describe("Retry.retrying", () => {
  itEffect("waits the server's Retry-After, else capped exponential backoff with jitter, and stops after `times`", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const failures = [new RateLimited({ backend: "b", retryAfterMillis: 7_000, detail: "" }), new Unavailable({ backend: "b", detail: "" })]
      const call = Effect.gen(function* () {
        attempts.push(yield* Clock.currentTimeMillis)
        const next = failures.shift()
        return next === undefined ? "done" : yield* Effect.fail(next)
      })
      const fiber = yield* Effect.forkChild(call.pipe(Retry.retrying({ times: 3, baseMillis: 100, capMillis: 150 }, () => true)))
      yield* TestClock.adjust("6999 millis")
      expect(attempts).toEqual([0])
      yield* TestClock.adjust("1 millis")
      expect(attempts).toEqual([0, 7000])
      // The second retry waits min(150, 100 · 2) · jitter, jitter in [0.5, 1).
      yield* TestClock.adjust("74 millis")
      expect(attempts).toHaveLength(2)
      yield* TestClock.adjust("76 millis")
      expect(yield* Fiber.join(fiber)).toBe("done")
      expect(attempts).toHaveLength(3)
      expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(75)
      expect(attempts[2]! - attempts[1]!).toBeLessThanOrEqual(150)
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("never waits out a Retry-After longer than a minute (or the cap when longer): the call fails at once with the rate limit", () =>
    Effect.gen(function* () {
      let calls = 0
      const limited = (retryAfterMillis: number) =>
        Effect.suspend(() => {
          calls++
          return Effect.fail(new RateLimited({ backend: "b", retryAfterMillis, detail: "requests per day" }))
        })
      const options = { times: 3, baseMillis: 1, capMillis: 10_000 }
      expect(Retry.longestWaitMillis(options)).toBe(60_000)
      expect(Retry.longestWaitMillis({ ...options, capMillis: 120_000 })).toBe(120_000)
      const error = yield* Effect.flip(limited(3_600_000).pipe(Retry.retrying(options, () => true)))
      expect(error.retryAfterMillis).toBe(3_600_000)
      expect(calls).toBe(1)
      calls = 0
      const fiber = yield* Effect.forkChild(Effect.flip(limited(60_000).pipe(Retry.retrying({ ...options, times: 1 }, () => true))))
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.join(fiber)
      expect(calls).toBe(2)
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("retries only what the predicate accepts, and at most `times` times", () =>
    Effect.gen(function* () {
      let calls = 0
      const failing = Effect.suspend(() => {
        calls++
        return Effect.fail(new Unavailable({ backend: "b", detail: "down" }))
      })
      yield* Effect.flip(failing.pipe(Retry.retrying({ times: 2, baseMillis: 1, capMillis: 1 }, () => true)))
      expect(calls).toBe(3)
      calls = 0
      yield* Effect.flip(failing.pipe(Retry.retrying({ times: 2, baseMillis: 1, capMillis: 1 }, () => false)))
      expect(calls).toBe(1)
    })
  )

  // The reference: Effect.retry run from the first attempt with the same schedule, count and predicate.
  property.prop([fc.integer({ min: 0, max: 4 }), fc.array(fc.boolean(), { maxLength: 8 })], { numRuns: 200 })(
    "for all failure sequences, the same attempts and outcome as Effect.retry over the same schedule",
    async (times, retryableFailures) => {
      const run = async (retry: (effect: Effect.Effect<string, Unavailable>) => Effect.Effect<string, Unavailable>) => {
        const attempts: Array<boolean> = []
        const call = Effect.suspend(() => {
          const next = retryableFailures[attempts.length]
          attempts.push(next ?? true)
          return next === undefined ? Effect.succeed("done") : Effect.fail(new Unavailable({ backend: "b", detail: next ? "retryable" : "final" }))
        })
        const exit = await Effect.runPromise(Effect.exit(retry(call)))
        return { attempts: attempts.length, exit: exit._tag === "Success" ? exit.value : JSON.stringify(exit.cause) }
      }
      const options = { times, baseMillis: 0, capMillis: 0 }
      const retryable = (error: Unavailable) => error.detail === "retryable"
      const reference = await run((effect) =>
        times <= 0 ? effect : Effect.retry(effect, { schedule: Retry.schedule<Unavailable>(options), times, while: retryable })
      )
      expect(await run(Retry.retrying(options, retryable))).toEqual(reference)
    }
  )
})
