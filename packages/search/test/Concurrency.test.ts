import { describe, expect, it } from "vitest"
import { Duration, Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel, Usage } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { BeamSearch, BestOfN, ParticleFiltering } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

// A toy policy that counts its calls and the most calls in flight at once (each call sleeps 2 ms).
const instrumented = () => {
  let inFlight = 0
  let peak = 0
  let calls = 0
  const model = LanguageModel.make(
    {
      info: { name: "instrumented" },
      generate: (request) =>
        Effect.gen(function* () {
          calls++
          inFlight++
          peak = Math.max(peak, inFlight)
          yield* Effect.sleep(Duration.millis(2))
          inFlight--
          return Array.from({ length: request.n }, (_, index) => {
            const text = Toy.respond(request, index)
            return { index, text, finishReason: "stop" as const, usage: Usage.make({ inputTokens: index === 0 ? 50 : 0, outputTokens: text.length, cachedInputTokens: 0 }) }
          })
        })
    },
    { retry: { times: 0, baseMillis: 1, capMillis: 1 } }
  )
  return { model, peak: () => peak, calls: () => calls }
}

const run = (strategy: Effect.Effect<Strategy.Strategy, unknown>, model: LanguageModel.Service) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const made = yield* strategy
      const accountant = yield* Accountant.make({})
      return yield* made.run(Toy.problem).pipe(
        Effect.provideService(LanguageModel.LanguageModel, model),
        Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
        Accountant.provide(accountant)
      )
    })
  )

describe("concurrency and batching", () => {
  it("runs independent generations concurrently up to `concurrency`", async () => {
    for (const concurrency of [1, 3]) {
      const backend = instrumented()
      await run(BestOfN.make({ n: 8, batch: 1, concurrency, maxTokens: 256 }), backend.model)
      expect(backend.calls()).toBe(8)
      expect(backend.peak()).toBe(concurrency)
    }
  })

  it("batches samples of one prefix into one request with `n`", async () => {
    const single = instrumented()
    await run(BestOfN.make({ n: 8, batch: 8, maxTokens: 256 }), single.model)
    expect(single.calls()).toBe(1)
    // Beam: each iteration makes one request per kept beam (its M copies batched), so 4 depths × 2 beams at most.
    const beam = instrumented()
    const result = await run(BeamSearch.make({ beams: 4, width: 2, stepTokens: 64, maxTokens: 256 }), beam.model)
    const expanded = new Set(result.tree.nodes.flatMap((node) => (node.parentId === undefined ? [] : [node.parentId])))
    expect(beam.calls()).toBe(expanded.size)
    // Particles: copies of a node share one request.
    const particles = instrumented()
    const filtered = await run(ParticleFiltering.make({ particles: 6, stepTokens: 64, maxTokens: 256 }), particles.model)
    const parents = new Set(filtered.tree.nodes.flatMap((node) => (node.parentId === undefined ? [] : [node.parentId])))
    expect(particles.calls()).toBe(parents.size)
  })
})
