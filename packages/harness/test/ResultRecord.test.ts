import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { ResultRecord } from "@stepwise/harness"

// Per-call costs as cost models produce them: dollars from per-million prices (a few significant digits each) and
// whole eFLOP counts.
const dollars = fc.integer({ min: 0, max: 5_000_000 }).map((tenMillionths) => tenMillionths / 1e7)
const eflops = fc.integer({ min: 0, max: 2 ** 40 })

describe("ResultRecord.steadyTotal", () => {
  property.prop([fc.array(dollars, { minLength: 1, maxLength: 60 }).chain((parts) => fc.tuple(fc.constant(parts), fc.shuffledSubarray(parts, { minLength: parts.length })))])(
    "a fractional total is the same whatever order the calls finished in",
    ([parts, shuffled]) => {
      const sum = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0)
      expect(ResultRecord.steadyTotal(sum(shuffled))).toBe(ResultRecord.steadyTotal(sum(parts)))
      expect(Math.abs(ResultRecord.steadyTotal(sum(parts)) - sum(parts))).toBeLessThanOrEqual(1e-11 * Math.max(1e-300, sum(parts)))
    }
  )

  property.prop([fc.array(eflops, { maxLength: 60 })])("a whole total is kept exactly", (parts) => {
    const total = parts.reduce((sum, value) => sum + value, 0)
    expect(ResultRecord.steadyTotal(total)).toBe(total)
  })
})
