import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Options } from "@stepwise/core"
import { Limits } from "../src/index.js"

const written = fc.record(
  {
    totalTokens: fc.nat({ max: 1e6 }),
    outputTokens: fc.nat({ max: 1e6 }),
    verifierCalls: fc.nat({ max: 1000 }),
    cost: fc.double({ min: 0, max: 1e6, noNaN: true }),
    deadlineMillis: fc.integer({ min: 1, max: 1e6 })
  },
  { requiredKeys: [] }
)

describe("Limits.effective", () => {
  property.prop([written, written, written])("never passes the server's maximum, and keeps what the request asked within it", (asked, defaults, most) => {
    const effective = Limits.effective(asked, { default: defaults, max: most })
    for (const key of ["totalTokens", "outputTokens", "verifierCalls", "cost", "deadlineMillis"] as const) {
      const value = key === "deadlineMillis" ? effective.deadlineMillis : effective.limits[key]
      const wanted = asked[key] ?? defaults[key]
      const cap = most[key]
      if (cap !== undefined) expect(value).toBe(wanted === undefined ? cap : Math.min(wanted, cap))
      else expect(value).toBe(wanted)
    }
  })

  it("fills the server's defaults", () => {
    const resolved = Limits.settings.parse({})
    expect(Limits.effective({}, resolved.request)).toEqual({ limits: { totalTokens: 20_000 }, deadlineMillis: 60_000 })
    expect(Limits.effective({ verifierCalls: 5 }, resolved.request)).toEqual({ limits: { totalTokens: 20_000, verifierCalls: 5 }, deadlineMillis: 60_000 })
  })

  it("rejects a misspelt budget key, naming the allowed ones", () => {
    const decoded = Options.decode(Limits.budget, { totlTokens: 5 }, "budget")
    expect(decoded).toMatchObject({ failure: { field: "totlTokens", detail: expect.stringContaining('did you mean "totalTokens"'), allowed: Object.keys(Limits.budget.shape) } })
  })
})
