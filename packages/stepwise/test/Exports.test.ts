import { describe, expect, it } from "vitest"
import * as Umbrella from "stepwise-decoding"
import * as Search from "@stepwise/search"

// A script at a project's root depends on the umbrella alone: every building block of a strategy of one's own is
// there, under the name its package gives it.
describe("stepwise-decoding", () => {
  it("exports every module of @stepwise/search, the same values", () => {
    for (const [name, module] of Object.entries(Search)) expect(Umbrella[name as keyof typeof Umbrella], name).toBe(module)
  })

  it("exports the registries and the entry helpers of every axis", () => {
    for (const name of ["Registries", "Strategies", "Strategy", "Verifier", "Verifiers", "Backend", "CostModels"] as const)
      expect(Umbrella[name], name).toBeDefined()
  })
})
