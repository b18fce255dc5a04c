import fc from "fast-check"
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel, Registry } from "@stepwise/core"
import { Strategies, Strategy } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

// The size knobs that count things a strategy allocates for (samples, particles, beams, …); compute-optimal's and
// plan-and-budget's knobs are token amounts.
const counted = Registry.list(Strategies.registry as Registry.AnyRegistry).flatMap((entry) => {
  const size = (entry as Strategy.Entry).size
  return size === undefined || ["budget", "tokenBudget"].includes(size.option) ? [] : [{ kind: entry.kind, option: size.option }]
})

const made = (kind: string, option: string, value: number) =>
  Registry.make(Strategies.registry as Registry.AnyRegistry, kind, { [option]: value }, undefined) as Effect.Effect<Strategy.Strategy, unknown>

describe("Strategy.maxSize", () => {
  it("caps every counted size knob (each strategy has one)", () => {
    expect(counted.length).toBeGreaterThanOrEqual(13)
  })

  // Every counted knob, each with many values above the cap (a knob added without the cap fails here for certain).
  it.each(counted)("$kind refuses $option above the cap with InvalidOptions naming it, before anything is allocated", ({ kind, option }) => {
    fc.assert(
      fc.property(fc.integer({ min: Strategy.maxSize + 1, max: Number.MAX_SAFE_INTEGER }), (value) => {
        const exit = Effect.runSyncExit(made(kind, option, value))
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: { _tag?: string; field?: string; message?: string } } | undefined)?.error : undefined
        expect(error?._tag).toBe("InvalidOptions")
        expect(error?.field).toBe(option)
        expect(error?.message).toContain(`≤ ${Strategy.maxSize}`)
      }),
      { numRuns: 25 }
    )
  })

  it.each(counted)("$kind runs at the cap ($option = maxSize) under a small budget and stops with it", async ({ kind, option }) => {
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* made(kind, option, Strategy.maxSize)
        const accountant = yield* Accountant.make({ totalTokens: 2_000 })
        return yield* strategy.run(Toy.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel()),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
          Accountant.provide(accountant)
        )
      })
    )
    expect(result.spend.totalTokens ?? result.spend.inputTokens + result.spend.outputTokens).toBeLessThanOrEqual(2_000)
  })

  it("caps compute-optimal's probe, a best-of-n of its own", () => {
    const exit = Effect.runSyncExit(made("compute-optimal", "probeSamples", Strategy.maxSize + 1))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(Exit.isSuccess(Effect.runSyncExit(made("compute-optimal", "probeSamples", Strategy.maxSize)))).toBe(true)
  })

  it("a budget scales a size knob no further than the cap", () => {
    expect(Strategy.solutionsIn({ tokens: Number.MAX_SAFE_INTEGER }, 1)).toBe(Strategy.maxSize)
  })
})
