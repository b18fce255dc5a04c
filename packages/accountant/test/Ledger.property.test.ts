import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Resource } from "@stepwise/core"
import type { Budget } from "../src/Budget.js"
import * as Ledger from "../src/Ledger.js"

const runs = Number(process.env.PROPERTY_RUNS ?? 1000)

// Amounts over the resources: mostly counts or doubles ≥ 0 (a cost model's output), now and then negative; above a
// limit or not. (`+ 0` turns -0 into 0: the ledgers hold plain zeros.)
const amountArbitrary = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 500 }), weight: 4 },
  { arbitrary: fc.double({ min: 0, max: 500, noNaN: true }).map((amount) => amount + 0), weight: 2 },
  { arbitrary: fc.double({ min: -5, max: 0, noNaN: true }).map((amount) => amount + 0), weight: 1 }
)
const vectorArbitrary = fc.array(amountArbitrary, { minLength: Resource.all.length, maxLength: Resource.all.length })
const limitsArbitrary = fc.array(fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }), {
  minLength: Resource.all.length,
  maxLength: Resource.all.length
})

/** A chain of ledgers, nearest first, with the given limits and what is already spent and reserved on each. */
const chainOf = (levels: ReadonlyArray<{ readonly limits: ReadonlyArray<number | undefined>; readonly spent: ReadonlyArray<number>; readonly reserved: ReadonlyArray<number> }>) => {
  let parent: Ledger.Ledger | undefined
  const made: Array<Ledger.Ledger> = []
  for (const level of [...levels].reverse()) {
    const limits = Object.fromEntries(Resource.all.flatMap((resource, index) => (level.limits[index] === undefined ? [] : [[resource, level.limits[index]]])))
    const budget: Budget = { label: `level-${made.length}`, limits }
    const ledger = Ledger.make(budget, parent)
    level.spent.forEach((amount, index) => (ledger.spent[index] = Math.abs(amount)))
    level.reserved.forEach((amount, index) => (ledger.reserved[index] = Math.abs(amount)))
    made.unshift(ledger)
    parent = ledger
  }
  return made
}

/** The state of every ledger of a chain, as plain arrays. */
const stateOf = (chain: ReadonlyArray<Ledger.Ledger>) =>
  chain.map((ledger) => ({ spent: [...ledger.spent], ownSpent: [...ledger.ownSpent], reserved: [...ledger.reserved], overrun: [...ledger.overrun] }))

/** Settling as two steps: the reservation removed from the whole chain, then the usage charged as every limit allows. */
const reference = (chain: ReadonlyArray<Ledger.Ledger>, reserved: ReadonlyArray<number>, actual: ReadonlyArray<number>) => {
  for (const ledger of chain) for (let index = 0; index < Ledger.size; index++) ledger.reserved[index]! -= reserved[index]!
  const charged = [...actual]
  for (const ledger of chain[0]!.checked)
    for (const index of ledger.limited) {
      const allowed = Math.max(0, ledger.limits[index]! - ledger.spent[index]! - ledger.reserved[index]!)
      if (charged[index]! > allowed) charged[index] = allowed
    }
  for (let index = 0; index < Ledger.size; index++) if (charged[index]! < 0) charged[index] = 0
  for (const ledger of chain)
    for (let index = 0; index < Ledger.size; index++) {
      ledger.spent[index]! += charged[index]!
      ledger.overrun[index]! += actual[index]! - charged[index]!
    }
  for (let index = 0; index < Ledger.size; index++) chain[0]!.ownSpent[index]! += charged[index]!
  return charged
}

describe("Ledger.settle", () => {
  const levelArbitrary = fc.record({ limits: limitsArbitrary, spent: vectorArbitrary, reserved: vectorArbitrary })
  property.prop([fc.array(levelArbitrary, { minLength: 1, maxLength: 4 }), vectorArbitrary, vectorArbitrary], { numRuns: runs })(
    "removes the reservation and charges the usage exactly as removing it and then charging would, on every ledger of the chain",
    (levels, reservation, actual) => {
      const reserved = reservation.map(Math.abs)
      const settled = chainOf(levels)
      const expected = chainOf(levels)
      // The reservation is part of what each ledger holds reserved, as when it was made.
      for (const chain of [settled, expected]) for (const ledger of chain) for (let index = 0; index < Ledger.size; index++) ledger.reserved[index]! += reserved[index]!
      const usage = [...actual]
      const charged = Ledger.settle(settled[0]!, reserved, actual)
      const chargedByReference = reference(expected, reserved, actual)
      expect([...charged]).toEqual(chargedByReference)
      expect(stateOf(settled)).toEqual(stateOf(expected))
      // The usage itself is never changed, whatever is charged (a cut copies it).
      expect(actual).toEqual(usage)
    }
  )

  property.prop([fc.array(levelArbitrary, { minLength: 1, maxLength: 4 }), vectorArbitrary, vectorArbitrary], { numRuns: runs })(
    "where no limit cuts the usage, charges it whole: the usage itself is returned and every ledger as with the two steps",
    (levels, reservation, usage) => {
      const reserved = reservation.map(Math.abs)
      const actual = usage.map(Math.abs)
      // No limits on the chain (so nothing can cut), the same chain shape and state otherwise.
      const unlimited = levels.map((level) => ({ ...level, limits: level.limits.map(() => undefined) }))
      const settled = chainOf(unlimited)
      const expected = chainOf(unlimited)
      for (const chain of [settled, expected]) for (const ledger of chain) for (let index = 0; index < Ledger.size; index++) ledger.reserved[index]! += reserved[index]!
      const charged = Ledger.settle(settled[0]!, reserved, actual)
      const chargedByReference = reference(expected, reserved, actual)
      expect(charged).toBe(actual)
      expect([...charged]).toEqual(chargedByReference)
      expect(stateOf(settled)).toEqual(stateOf(expected))
    }
  )

  property.prop([fc.array(levelArbitrary, { minLength: 1, maxLength: 3 }), vectorArbitrary], { numRuns: runs })(
    "never charges past a limit on the chain, and charges the usage whole where nothing limits it",
    (levels, actual) => {
      const chain = chainOf(levels.map((level) => ({ ...level, reserved: level.reserved.map(() => 0) })))
      const spentBefore = stateOf(chain)
      const charged = Ledger.settle(chain[0]!, Ledger.vector(), actual)
      chain.forEach((ledger, position) => {
        for (const index of ledger.limited) {
          const room = Math.max(0, ledger.limits[index]! - spentBefore[position]!.spent[index]!)
          expect(charged[index]!).toBeLessThanOrEqual(room)
        }
      })
      const limited = new Set(chain.flatMap((ledger) => ledger.limited))
      for (let index = 0; index < Ledger.size; index++)
        if (!limited.has(index)) expect(charged[index]).toBe(Math.max(0, actual[index]!))
    }
  )
})
