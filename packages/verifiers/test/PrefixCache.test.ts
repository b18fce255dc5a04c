import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { ProcessRewardModel, Trajectory, Usage, VerifierError } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { itEffect, run } from "@stepwise/testing"
import { PrefixCache } from "@stepwise/verifiers"
import { problem, runs, trajectoryOf } from "./support/Fixtures.js"

/** A verifier that counts its calls, scores step i of any trajectory 1/(i+2), and can be held open by a gate. */
const countingVerifier = (options: { gate?: Deferred.Deferred<void>; failFirst?: boolean } = {}) => {
  let calls = 0
  const service = ProcessRewardModel.make({
    info: { name: "counting" },
    maxTokens: () => 10,
    score: (_problem, trajectory) =>
      Effect.gen(function* () {
        calls++
        const call = calls
        if (options.gate !== undefined) yield* Deferred.await(options.gate)
        if (options.failFirst === true && call === 1) return yield* Effect.fail(new VerifierError({ verifier: "counting", detail: "first call fails" }))
        return {
          stepScores: Array.from({ length: trajectory.length }, (_, index) => 1 / (index + 2 + call / 1000)),
          usage: Usage.make({ inputTokens: 10, outputTokens: 0 })
        }
      })
  })
  return { service, calls: () => calls }
}

describe("PrefixCache", () => {
  property.prop([fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 30 })], {
    numRuns: runs(200, 60)
  })("concurrent identical requests make one call, and every request is counted once", (copies, length, picks) =>
    run(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const verifier = countingVerifier({ gate })
        const cache = yield* PrefixCache.make(verifier.service, { prefixes: false })
        const trajectories = Array.from({ length: 5 }, (_, index) => trajectoryOf(Array.from({ length }, (_, step) => `t${index} s${step}`)))
        const requests = [...Array.from({ length: copies }, () => 0), ...picks]
        const fibers = yield* Effect.forEach(requests, (pick) => Effect.forkChild(cache.score(problem, trajectories[pick]!)))
        yield* Effect.yieldNow
        yield* Deferred.succeed(gate, undefined)
        const results = yield* Effect.forEach(fibers, Fiber.join)
        const distinct = new Set(requests).size
        expect(verifier.calls()).toBe(distinct)
        const stats = yield* cache.stats
        expect(stats.misses).toBe(distinct)
        expect(stats.hits + stats.shared + stats.misses).toBe(requests.length)
        // Requests for the same trajectory got the same scores.
        requests.forEach((pick, index) => expect(results[index]!.stepScores).toEqual(results[requests.indexOf(pick)]!.stepScores))
      })
    )
  )

  itEffect("counts hits, shared waits and misses exactly", () =>
    Effect.gen(function* () {
      const verifier = countingVerifier()
      const cache = yield* PrefixCache.make(verifier.service, { prefixes: false })
      const a = trajectoryOf(["a1", "a2"])
      const b = trajectoryOf(["b1"])
      yield* cache.score(problem, a)
      yield* cache.score(problem, a)
      yield* cache.score(problem, b)
      yield* cache.score(problem, a)
      yield* cache.score({ ...problem, id: "other" }, a)
      expect(yield* cache.stats).toEqual({ hits: 2, shared: 0, misses: 3, entries: 3 })
      expect(verifier.calls()).toBe(3)
    })
  )

  itEffect("one call on a trajectory serves all its prefixes, and extending a prefix keeps its scores", () =>
    Effect.gen(function* () {
      const verifier = countingVerifier()
      const cache = yield* PrefixCache.make(verifier.service)
      const long = trajectoryOf(["s1", "s2", "s3"])
      const first = yield* cache.score(problem, long)
      const prefix = yield* cache.score(problem, Trajectory.prefix(long, 2))
      expect(prefix.stepScores).toEqual(first.stepScores.slice(0, 2))
      expect(verifier.calls()).toBe(1)
      expect(yield* cache.stats).toMatchObject({ hits: 1, misses: 1, entries: 3 })
      // A trajectory extending a cached prefix needs a call, but its old steps keep their cached scores.
      const extended = yield* cache.score(problem, Trajectory.append(long, { text: "s4", usage: Usage.unknown, finishReason: "eos" }))
      expect(verifier.calls()).toBe(2)
      expect(extended.stepScores.slice(0, 3)).toEqual(first.stepScores)
      expect(extended.stepScores[3]).toBeCloseTo(1 / (5 + 2 / 1000), 12)
    })
  )

  itEffect("without prefixes, only exact trajectories are reused", () =>
    Effect.gen(function* () {
      const verifier = countingVerifier()
      const cache = yield* PrefixCache.make(verifier.service, { prefixes: false })
      const long = trajectoryOf(["s1", "s2", "s3"])
      yield* cache.score(problem, long)
      yield* cache.score(problem, Trajectory.prefix(long, 2))
      expect(verifier.calls()).toBe(2)
    })
  )

  itEffect("does not cache failures: every waiter gets the error and a later request calls again", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const verifier = countingVerifier({ gate, failFirst: true })
      const cache = yield* PrefixCache.make(verifier.service)
      const trajectory = trajectoryOf(["s1"])
      const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(Effect.flip(cache.score(problem, trajectory))))
      yield* Effect.yieldNow
      yield* Deferred.succeed(gate, undefined)
      const errors = yield* Effect.forEach(fibers, Fiber.join)
      for (const error of errors) expect(error._tag).toBe("VerifierError")
      yield* cache.score(problem, trajectory)
      expect(verifier.calls()).toBe(2)
    })
  )

  itEffect("when the caller making the call is interrupted, a waiter makes it instead", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const verifier = countingVerifier({ gate })
      const cache = yield* PrefixCache.make(verifier.service)
      const trajectory = trajectoryOf(["s1"])
      const owner = yield* Effect.forkChild(cache.score(problem, trajectory))
      yield* Effect.yieldNow
      const waiter = yield* Effect.forkChild(cache.score(problem, trajectory))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(owner)
      yield* Deferred.succeed(gate, undefined)
      const scoring = yield* Fiber.join(waiter)
      expect(scoring.stepScores).toHaveLength(1)
      expect(verifier.calls()).toBe(2)
      expect(yield* cache.stats).toMatchObject({ misses: 2, shared: 0 })
    })
  )

  itEffect("spends one verifier call per miss and nothing for hits", () =>
    Effect.gen(function* () {
      const verifier = countingVerifier()
      const cache = yield* PrefixCache.make(verifier.service)
      const accountant = yield* Accountant.make({})
      const trajectory = trajectoryOf(["s1", "s2"])
      yield* Accountant.provide(accountant)(
        Effect.forEach([trajectory, trajectory, Trajectory.prefix(trajectory, 1), trajectory], (item) => cache.score(problem, item), { concurrency: "unbounded" })
      )
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(10)
    })
  )

  itEffect("keeps at most `capacity` trajectories and rejects a bad capacity", () =>
    Effect.gen(function* () {
      const verifier = countingVerifier()
      const cache = yield* PrefixCache.make(verifier.service, { capacity: 2, prefixes: false })
      for (const text of ["a", "b", "c"]) yield* cache.score(problem, trajectoryOf([text]))
      expect((yield* cache.stats).entries).toBe(2)
      yield* cache.score(problem, trajectoryOf(["a"]))
      expect(verifier.calls()).toBe(4)
      const error = yield* Effect.flip(PrefixCache.make(verifier.service, { capacity: 0 }))
      expect(error.field).toBe("capacity")
    })
  )

  itEffect("as a layer, wraps the verifier in context", () =>
    Effect.gen(function* () {
      const verifier = countingVerifier()
      const layer = Layer.provide(PrefixCache.layer(), Layer.succeed(ProcessRewardModel.ProcessRewardModel, verifier.service))
      const trajectory = trajectoryOf(["s1", "s2"])
      yield* Effect.provide(
        Effect.gen(function* () {
          yield* ProcessRewardModel.score(problem, trajectory)
          yield* ProcessRewardModel.score(problem, Trajectory.prefix(trajectory, 1))
        }),
        layer
      )
      expect(verifier.calls()).toBe(1)
    })
  )
})
