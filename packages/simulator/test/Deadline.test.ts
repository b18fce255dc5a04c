import { Clock, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { itEffect } from "@stepwise/testing"
import { Deadline } from "../src/index.js"

// Node's timers count from the event loop's time, read when the loop's current turn began: a plain timer set after
// some computing in the same turn fires early by about that much. Each round below computes for 2 ms first.
const busy = (millis: number) => {
  const until = performance.now() + millis
  while (performance.now() < until) {
    // computing, as a request does before it waits
  }
}
const freshTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe("Deadline", () => {
  itEffect("sleepUntil never wakes before its target on the live clock, even after computing in the same turn", () =>
    Effect.gen(function* () {
      for (let round = 0; round < 12; round++) {
        yield* Effect.promise(freshTurn)
        const target = (yield* Clock.monotonicTimeNanos) + 8_000_000n
        busy(2)
        yield* Deadline.sleepUntil(target)
        // (Within a microsecond counts as on time: the test clock's rounding; a plain timer is milliseconds early.)
        expect(yield* Clock.monotonicTimeNanos).toBeGreaterThanOrEqual(target - 1_000n)
      }
    })
  )

  itEffect("sleepUntil wakes exactly at its target under TestClock, fractions of a millisecond included", () =>
    Effect.gen(function* () {
      const start = yield* Clock.monotonicTimeNanos
      const fiber = yield* Effect.forkChild(Deadline.sleepUntil(start + 2_500_000n))
      yield* TestClock.adjust("2 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("500 micros")
      yield* Fiber.join(fiber)
      expect(yield* Clock.monotonicTimeNanos).toBe(start + 2_500_000n)
    }).pipe(Effect.provide(TestClock.layer()))
  )

  it("waitUntil never resolves before its target, even after computing in the same turn", async () => {
    for (let round = 0; round < 12; round++) {
      await freshTurn()
      const target = performance.now() + 8
      busy(2)
      await Deadline.waitUntil(target)
      expect(performance.now()).toBeGreaterThanOrEqual(target)
    }
  })

  it("afterMillis adds the latency in nanoseconds, rounded up (never a nanosecond early)", () => {
    expect(Deadline.afterMillis(10n, 25)).toBe(25_000_010n)
    expect(Deadline.afterMillis(0n, 0.0000015)).toBe(2n)
    expect(Deadline.afterMillis(5n, 0)).toBe(5n)
  })
})
