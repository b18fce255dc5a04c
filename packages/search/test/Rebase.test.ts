import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { SearchEvent } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, SearchEvent as SearchEvents } from "@stepwise/core"
import { Rebase } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 200 : 100))

const rewards = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 20 })
const widths = fc.integer({ min: 1, max: 256 })
const temperatures = fc.double({ min: 0.01, max: 5, noNaN: true })

// softmax(r / T), written out by hand.
const softmax = (values: ReadonlyArray<number>, temperature: number): ReadonlyArray<number> => {
  const top = Math.max(...values)
  const exps = values.map((value) => Math.exp((value - top) / temperature))
  const total = exps.reduce((sum, each) => sum + each, 0)
  return exps.map((each) => each / total)
}

describe("REBASE allocation", () => {
  property.prop([rewards, widths, temperatures], { numRuns: runs })(
    "the allocations sum to the width, none exceeds ⌈width · softmax⌉, and a higher reward never gets fewer",
    (values, width, temperature) => {
      const counts = Rebase.allocate(values, width, temperature)
      expect(counts).toHaveLength(values.length)
      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(width)
      const shares = softmax(values, temperature)
      counts.forEach((count, index) => {
        expect(Number.isInteger(count)).toBe(true)
        expect(count).toBeGreaterThanOrEqual(0)
        // The rounding rule serves nodes in reward order with ⌈W_left · e_i / S_left⌉ ≤ ⌈W · p_i⌉.
        expect(count).toBeLessThanOrEqual(Math.ceil(width * shares[index]! + 1e-6))
      })
      for (let a = 0; a < values.length; a++)
        for (let b = 0; b < values.length; b++)
          if (values[a]! > values[b]! || (values[a] === values[b] && a < b)) expect(counts[a]!).toBeGreaterThanOrEqual(counts[b]!)
    }
  )

  property.prop([rewards, widths, temperatures], { numRuns: runs })(
    "matches the reference rule computed by hand: in reward order, ⌈W · e / S⌉ of what is left",
    (values, width, temperature) => {
      const order = values.map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value || a.index - b.index)
      // e = exp(r / T) scaled by exp(−max / T) (the same shares); S summed afresh over the nodes not yet served.
      const top = order[0]!.value
      const exps = order.map(({ value }) => Math.exp((value - top) / temperature))
      let left = width
      const expected = values.map(() => 0)
      order.forEach(({ index }, position) => {
        const sum = exps.slice(position).reduce((total, each) => total + each, 0)
        const exact = (left * exps[position]!) / sum
        const count = left === 0 ? 0 : Math.max(0, Math.min(left, Math.ceil(exact - 1e-9 * Math.max(1, exact))))
        expected[index] = position === order.length - 1 ? left : count
        left -= expected[index]!
      })
      expect(Rebase.allocate(values, width, temperature)).toEqual(expected)
    }
  )

  it("splits by the worked example and gives everything to one node", () => {
    expect(Rebase.allocate([0.9, 0.5, 0.1], 8, 0.2)).toEqual([7, 1, 0])
    expect(Rebase.allocate([0.5], 5, 0.2)).toEqual([5])
    // Equal rewards: an even split, the remainder to the earlier nodes.
    expect(Rebase.allocate([0.5, 0.5, 0.5], 4, 0.2)).toEqual([2, 1, 1])
    // A high temperature flattens the split (5.02 rounds up to 6); a low one concentrates it.
    expect(Rebase.allocate([0.9, 0.1], 10, 100)).toEqual([6, 4])
    expect(Rebase.allocate([0.9, 0.1], 10, 0.01)).toEqual([10, 0])
    expect(Rebase.allocate([], 4, 0.2)).toEqual([])
  })
})

describe("REBASE runs", () => {
  it("ends with as many finished solutions as the width, each depth's children as allocated", async () => {
    const events: Array<SearchEvent.SearchEvent> = []
    const exit = await Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* Rebase.make({ width: 8, seed: 2 })
        const accountant = yield* Accountant.make({ totalTokens: 200_000 })
        return yield* strategy.run(Toy.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel()),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
          Accountant.provide(accountant),
          SearchEvents.withListener((event) => events.push(event)),
          Effect.exit
        )
      })
    )
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    const result = exit.value
    expect(result.candidates).toHaveLength(8)
    const allocations = events.flatMap((event) =>
      event._tag === "strategy-event" && event.name === "width-allocate"
        ? [event.detail as { nodes: ReadonlyArray<number>; children: ReadonlyArray<number>; width: number }]
        : []
    )
    expect(allocations[0]).toMatchObject({ nodes: [0], children: [8], width: 8 })
    for (const allocation of allocations) {
      expect(allocation.children.reduce((sum, count) => sum + count, 0)).toBe(allocation.width)
      allocation.nodes.forEach((id, index) =>
        expect(result.tree.nodes.filter((node) => node.parentId === id)).toHaveLength(allocation.children[index]!)
      )
    }
    expect(result.outcome._tag).toBe("Answered")
  })
})
