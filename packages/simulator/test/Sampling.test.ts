import { describe, expect, it } from "vitest"
import { Sampling } from "../src/index.js"

const source = (chunks: ReadonlyArray<string>): Sampling.Source => {
  let index = 0
  return () => chunks[index++]
}
const base = { messages: [{ role: "user" as const, content: "x" }], n: 1, maxTokens: 1000 }

describe("Sampling.cut", () => {
  it("ends with eos when the source ends", () => {
    const cut = Sampling.cut(source(["a\n\n", "b"]), base)
    expect(cut).toMatchObject({ text: "a\n\nb", finishReason: "eos" })
  })

  it("cuts before the earliest stop sequence, even one spanning two chunks, and reports it", () => {
    const cut = Sampling.cut(source(["one Is the sol", "ution correct? Yes"]), { ...base, stop: ["correct?", "Is the solution"] })
    expect(cut).toMatchObject({ text: "one ", finishReason: "stop", stopSequence: "Is the solution" })
  })

  it("truncates at the token limit with length", () => {
    const cut = Sampling.cut(source(["alpha beta gamma delta epsilon zeta eta theta"]), { ...base, maxTokens: 3 })
    expect(cut.finishReason).toBe("length")
    expect(cut.outputTokens).toBe(3)
  })

  it("gives every sample the same answer at temperature 0", () => {
    expect(Sampling.sampleKey({ ...base, temperature: 0, seed: 1 }, 0)).toBe(Sampling.sampleKey({ ...base, temperature: 0, seed: 9 }, 3))
    expect(Sampling.sampleKey({ ...base, temperature: 1, seed: 1 }, 0)).not.toBe(Sampling.sampleKey({ ...base, temperature: 1, seed: 1 }, 1))
  })
})
