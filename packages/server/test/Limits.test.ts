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
    expect(Limits.effective({}, resolved.request)).toEqual({ limits: { totalTokens: 20_000, verifierTokens: 100_000 }, deadlineMillis: 60_000 })
    expect(Limits.effective({ verifierCalls: 5 }, resolved.request)).toEqual({ limits: { totalTokens: 20_000, verifierTokens: 100_000, verifierCalls: 5 }, deadlineMillis: 60_000 })
  })

  it("keeps every built-in cap a user's --limits does not name: setting one merges with the others", () => {
    const builtIn = Limits.settings.parse({}).request
    const tokensOnly = Limits.settings.parse({ request: { max: { totalTokens: 50_000 } } }).request
    expect(tokensOnly.max).toEqual({ ...builtIn.max, totalTokens: 50_000 })
    expect(tokensOnly.max.deadlineMillis).toBe(600_000)
    expect(tokensOnly.default).toEqual(builtIn.default)
    const deadlineOnly = Limits.settings.parse({ request: { max: { deadlineMillis: 30_000 } } }).request
    expect(deadlineOnly.max).toEqual({ totalTokens: 200_000, verifierTokens: 1_000_000, deadlineMillis: 30_000 })
    const defaultOutput = Limits.settings.parse({ request: { default: { outputTokens: 1000 } } }).request
    expect(defaultOutput.default).toEqual({ totalTokens: 20_000, verifierTokens: 100_000, deadlineMillis: 60_000, outputTokens: 1000 })
    expect(defaultOutput.max).toEqual(builtIn.max)
    // A request that names nothing still has a deadline under a tokens-only maximum.
    expect(Limits.effective({ deadlineMillis: 10_000_000 }, tokensOnly).deadlineMillis).toBe(600_000)
  })

  it("lifts a built-in cap only when it is written as null", () => {
    const lifted = Limits.settings.parse({ request: { max: { deadlineMillis: null }, default: { totalTokens: null } } }).request
    expect(lifted.max).toEqual({ totalTokens: 200_000, verifierTokens: 1_000_000 })
    expect(lifted.default).toEqual({ verifierTokens: 100_000, deadlineMillis: 60_000 })
    expect(Limits.effective({}, lifted)).toEqual({ limits: { totalTokens: 200_000, verifierTokens: 100_000 }, deadlineMillis: 60_000 })
    expect(Limits.effective({ deadlineMillis: 10_000_000 }, lifted).deadlineMillis).toBe(10_000_000)
  })

  it("rejects a misspelt or wrongly typed limit of the server, naming it", () => {
    expect(Options.decode(Limits.settings, { request: { max: { totlTokens: 5 } } }, "limits")).toMatchObject({ failure: { field: "request.max.totlTokens" } })
    expect(Options.decode(Limits.settings, { request: { default: { deadlineMillis: "soon" } } }, "limits")).toMatchObject({ failure: { field: "request.default.deadlineMillis" } })
  })

  it("rejects a misspelt budget key, naming the allowed ones", () => {
    const decoded = Options.decode(Limits.budget, { totlTokens: 5 }, "budget")
    expect(decoded).toMatchObject({ failure: { field: "totlTokens", detail: expect.stringContaining('did you mean "totalTokens"'), allowed: Object.keys(Limits.budget.shape) } })
  })
})
