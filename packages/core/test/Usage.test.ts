import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Usage } from "@stepwise/core"

const count = fc.option(fc.nat({ max: 10_000 }), { nil: undefined })
const usage = fc.record({ inputTokens: count, outputTokens: count, cachedInputTokens: count }).map((counts) => Usage.make(counts))

describe("Usage", () => {
  it("keeps an unreported count undefined, never 0", () => {
    const partial = Usage.make({ inputTokens: 12 })
    expect(partial.outputTokens).toBeUndefined()
    expect(Usage.add(Usage.unknown, Usage.unknown).outputTokens).toBeUndefined()
    expect(Usage.totalTokens(partial)).toBeUndefined()
  })

  it("sums known parts and counts the parts that did not report", () => {
    const total = Usage.sum([
      Usage.make({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 0 }),
      Usage.make({ inputTokens: 7 }),
      Usage.make({ inputTokens: 1, outputTokens: 2 })
    ])
    expect(total.inputTokens).toBe(18)
    expect(total.outputTokens).toBe(7)
    expect(total.cachedInputTokens).toBe(0)
    expect(total.unreported).toEqual({ inputTokens: 0, outputTokens: 1, cachedInputTokens: 2 })
    expect(Usage.isComplete(total)).toBe(false)
  })

  it("is complete only when every part reported every count", () => {
    const total = Usage.add(
      Usage.make({ inputTokens: 1, outputTokens: 2, cachedInputTokens: 0 }),
      Usage.make({ inputTokens: 3, outputTokens: 4, cachedInputTokens: 1 })
    )
    expect(Usage.isComplete(total)).toBe(true)
    expect(total.unreported).toBeUndefined()
    expect(Usage.totalTokens(total)).toBe(10)
  })

  it("marks a sum estimated when any part was", () => {
    expect(Usage.add(Usage.zero, Usage.make({ inputTokens: 3, estimated: true })).estimated).toBe(true)
  })

  property.prop([fc.array(usage, { maxLength: 12 })])("a sum's known total and unreported count match the parts", (parts) => {
    const total = Usage.sum(parts)
    for (const field of Usage.fields) {
      const known = parts.filter((part) => part[field] !== undefined)
      const missing = parts.length - known.length
      expect(total.unreported?.[field] ?? 0).toBe(missing)
      if (known.length === 0) expect(total[field] === undefined || total[field] === 0).toBe(true)
      else expect(total[field]).toBe(known.reduce((sum, part) => sum + (part[field] as number), 0))
    }
  })

  // Parts as calls report them: plain, estimated, or themselves sums (carrying `unreported`).
  const part = fc.oneof(
    usage,
    usage.map((each) => Usage.make({ ...each, estimated: true })),
    fc.array(usage, { maxLength: 3 }).map((each) => Usage.sum(each))
  )
  property.prop([fc.array(part, { maxLength: 12 })])("a sum equals folding add from zero", (parts) => {
    expect(Usage.sum(parts)).toEqual(parts.reduce(Usage.add, Usage.zero))
  })

  property.prop([usage, usage, usage])("addition is associative and commutative", (a, b, c) => {
    expect(Usage.add(Usage.add(a, b), c)).toEqual(Usage.add(a, Usage.add(b, c)))
    expect(Usage.add(a, b)).toEqual(Usage.add(b, a))
  })
})
