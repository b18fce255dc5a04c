import { describe, expect, it } from "vitest"
import { Logprob } from "@stepwise/core"

describe("Logprob.massOf", () => {
  it("sums case and leading-space variants once each", () => {
    const position: Logprob.TokenLogprob = {
      token: "yes",
      logprob: Math.log(0.5),
      top: [
        { token: "yes", logprob: Math.log(0.5) },
        { token: " Yes", logprob: Math.log(0.2) },
        { token: "no", logprob: Math.log(0.1) },
        { token: "maybe", logprob: Math.log(0.05) }
      ]
    }
    expect(Logprob.massOf(position, "yes")).toBeCloseTo(0.7, 10)
    expect(Logprob.massOf(position, "no")).toBeCloseTo(0.1, 10)
    expect(Logprob.massOf(position, "perhaps")).toBe(0)
  })
})
