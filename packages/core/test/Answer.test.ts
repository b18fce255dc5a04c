import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Answer } from "@stepwise/core"

describe("Answer", () => {
  it.each([
    ["Therefore, the final answer is: $\\boxed{204}$.", "204"],
    ["\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"],
    ["first \\boxed{1} then \\boxed{2}", "2"],
    ["\\fbox{x+1}", "x+1"],
    ["\\boxed {7}", "7"],
    ["\\boxed{a{b}c}", "a{b}c"]
  ])("extracts the last boxed answer of %j", (text, answer) => {
    expect(Answer.extractBoxed(text)).toBe(answer)
  })

  it.each(["no answer here", "\\boxed{unclosed", "boxed{7}"])("finds nothing in %j", (text) => {
    expect(Answer.extractBoxed(text)).toBeUndefined()
    expect(Answer.hasBoxed(text)).toBe(false)
  })

  it("normalizes light differences", () => {
    expect(Answer.normalize(" 204. ")).toBe("204")
    expect(Answer.normalize("\\text{5 apples}")).toBe("5apples")
    expect(Answer.normalize("$12$")).toBe("12")
  })

  property.prop([fc.string()])("never throws on any text", (text) => {
    const found = Answer.extractBoxed(text)
    expect(found === undefined || typeof found === "string").toBe(true)
  })
})
