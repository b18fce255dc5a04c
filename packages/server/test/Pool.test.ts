import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Fiber } from "effect"
import { expect } from "vitest"
import { Pool } from "../src/index.js"

property.prop([fc.integer({ min: 1, max: 6 }), fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 40 }), fc.nat({ max: 39 })], { numRuns: 60 })(
  "never runs more calls than its size, and counts return to zero however calls end (interruption included)",
  async (size, delays, interruptAt) => {
    const pool = Pool.make(size)
    let running = 0
    let most = 0
    const call = (millis: number) =>
      pool.run(
        Effect.gen(function* () {
          running++
          most = Math.max(most, running)
          expect(pool.inUse()).toBeLessThanOrEqual(size)
          yield* Effect.sleep(millis)
          running--
        }).pipe(Effect.onInterrupt(() => Effect.sync(() => running--)))
      )
    await Effect.runPromise(
      Effect.gen(function* () {
        const fibers = yield* Effect.forEach(delays, (millis) => Effect.forkChild(call(millis)))
        const victim = fibers[interruptAt % fibers.length]!
        yield* Fiber.interrupt(victim)
        yield* Effect.forEach(fibers, (fiber) => Effect.exit(Fiber.join(fiber)))
      })
    )
    expect(most).toBeLessThanOrEqual(size)
    expect(pool.inUse()).toBe(0)
    expect(pool.waiting()).toBe(0)
  }
)
