import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect } from "vitest"
import { itEffect } from "@stepwise/testing"
import { Latency, Presets, World } from "../src/index.js"

const latency = { timeToFirstTokenMillis: 100, millisPerOutputToken: 10, concurrency: 2 }
const world = World.make(Presets.calibrated, { seed: 1, latency })
const [problem] = World.problems(world, { count: 1, seed: 1 })
const request = { messages: problem!.messages, stop: ["\n\n"], n: 2, maxTokens: 256, temperature: 0.8, seed: 1 }

describe("latency model", () => {
  itEffect("takes time to first token plus per-token time of the longest sample, on the Clock", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(world.languageModel.generate(request))
      yield* TestClock.adjust(99)
      expect(fiber.pollUnsafe()).toBeUndefined()
      const completions = yield* Effect.gen(function* () {
        yield* TestClock.adjust(10_000)
        return yield* Fiber.join(fiber)
      })
      const longest = Math.max(...completions.map((completion) => completion.usage.outputTokens ?? 0))
      expect(Latency.millisFor(latency, completions)).toBe(100 + 10 * longest)
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("serves at most `concurrency` requests at once", () =>
    Effect.gen(function* () {
      const one = Latency.millisFor(latency, yield* World.make(Presets.calibrated, { seed: 1 }).languageModel.generate(request))
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(world.languageModel.generate(request)))
      yield* TestClock.adjust(one)
      const done = fibers.map((fiber) => fiber.pollUnsafe() !== undefined)
      expect(done.filter(Boolean)).toHaveLength(2)
      yield* TestClock.adjust(one)
      expect(fibers.every((fiber) => fiber.pollUnsafe() !== undefined)).toBe(true)
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("concurrent requests all start their clocks before any computes, as on a server that computes them side by side", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      const timed = Latency.wrap({ timeToFirstTokenMillis: 100, millisPerOutputToken: 0 })
      const call = (index: number) =>
        Effect.suspend(() => {
          order.push(`asked ${index}`)
          return timed(() => {
            order.push(`computed ${index}`)
            return []
          })
        })
      const fiber = yield* Effect.forkChild(Effect.forEach([1, 2, 3], call, { concurrency: 3 }))
      yield* TestClock.adjust(100)
      yield* Fiber.join(fiber)
      expect(order).toEqual(["asked 1", "asked 2", "asked 3", "computed 1", "computed 2", "computed 3"])
    }).pipe(Effect.provide(TestClock.layer()))
  )

  itEffect("rejects invalid latency options naming the field", () =>
    Effect.gen(function* () {
      const failure = yield* Effect.flip(World.makeEffect(Presets.calibrated, { latency: { timeToFirstTokenMillis: 1, millisPerOutputToken: 1, concurrency: 0 } }))
      expect(failure.field).toBe("concurrency")
      const endless = yield* Effect.flip(World.makeEffect(Presets.calibrated, { latency: { timeToFirstTokenMillis: Number.POSITIVE_INFINITY, millisPerOutputToken: 0 } }))
      expect(endless.field).toBe("timeToFirstTokenMillis")
    })
  )

  // On the live clock. Node's timers count from the event loop's time, read before the current work began, so a
  // plain sleep scheduled after some computing wakes early by about that much; a modelled latency must not.
  const busy = (millis: number) => {
    const until = performance.now() + millis
    while (performance.now() < until) {
      // computing, as a request does before its sleep
    }
  }

  itEffect("a modelled request takes at least its time on the live clock, measured from its start", () =>
    Effect.gen(function* () {
      const timed = Latency.wrap({ timeToFirstTokenMillis: 8, millisPerOutputToken: 0 })
      for (let round = 0; round < 12; round++) {
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
        const started = performance.now()
        yield* timed(() => {
          busy(2)
          return []
        })
        expect(performance.now() - started).toBeGreaterThanOrEqual(8)
      }
    })
  )
})
