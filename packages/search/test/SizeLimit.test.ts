import { it as property } from "@fast-check/vitest"
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

  property.prop([fc.constantFrom(...counted), fc.integer({ min: Strategy.maxSize + 1, max: Number.MAX_SAFE_INTEGER })])(
    "a size above the cap is refused with InvalidOptions naming the option, before anything is allocated",
    ({ kind, option }, value) => {
      const exit = Effect.runSyncExit(made(kind, option, value))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? (exit.cause.reasons[0] as { error?: { _tag?: string; field?: string; message?: string } } | undefined)?.error : undefined
      expect(error?._tag).toBe("InvalidOptions")
      expect(error?.field).toBe(option)
      expect(error?.message).toContain(`≤ ${Strategy.maxSize}`)
    }
  )

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

  it("a budget scales a size knob no further than the cap", () => {
    expect(Strategy.solutionsIn({ tokens: Number.MAX_SAFE_INTEGER }, 1)).toBe(Strategy.maxSize)
  })
})
