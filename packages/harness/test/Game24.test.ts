import { describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { Adversarial } from "@stepwise/testing"
import { Dataset, Game24 } from "../src/index.js"

describe("Game24.check", { timeout: Adversarial.timeoutMillis() }, () => {
  it.each([
    [[4, 7, 8, 8], "(7 - 8/8) * 4", { _tag: "Solved" }],
    [[4, 7, 8, 8], "(7-8/8)*4 = 24", { _tag: "Solved" }],
    [[1, 2, 3, 4], "$1 \\times 2 \\times 3 \\times 4$", { _tag: "Solved" }],
    [[1, 2, 3, 4], "\\frac{4 \\cdot 3 \\cdot 2}{1}", { _tag: "Solved" }],
    [[3, 3, 8, 8], "\\frac{8}{3-\\frac{8}{3}}", { _tag: "Solved" }],
    [[3, 3, 8, 8], "\\dfrac{8}{3 - \\tfrac{8}{3}} = 24", { _tag: "Solved" }],
    [[3, 3, 8, 8], "\\frac{8}{3-\\frac{3}{8}}", { _tag: "Wrong", reason: "wrong-value" }],
    [[1, 2, 3, 4], "1 + 2 + 3 + 4", { _tag: "Wrong", reason: "wrong-value" }],
    [[1, 2, 3, 4], "1 * 2 * 3 * 4 = 25", { _tag: "Wrong", reason: "wrong-value", detail: "the right side is not the target" }],
    [[1, 2, 3, 4], "2 * 3 * 4", { _tag: "Wrong", reason: "wrong-numbers" }],
    [[1, 2, 3, 4], "(1 * 2 * 3 * 4", { _tag: "Wrong", reason: "not-an-expression", detail: "missing )" }],
    [[1, 2, 3, 4], "1 = 2 = 3", { _tag: "Wrong", reason: "not-an-expression", detail: "more than one =" }]
  ] as const)("checks %j with %j", (numbers, answer, verdict) => {
    expect(Game24.check(numbers, answer)).toEqual(verdict)
  })

  it("answers ~3,000 nested parentheses (once a stack overflow) with a typed verdict", () => {
    const deep = (depth: number) => "(".repeat(depth) + "4" + ")".repeat(depth) + " * 6 * (8 - 2) / 6"
    expect(Game24.check([4, 6, 8, 2], deep(3_000))).toEqual({ _tag: "Wrong", reason: "too-long", detail: "6019 characters, at most 1000 are read" })
    expect(Game24.check([4, 6, 8, 2], deep(400))).toEqual({ _tag: "Wrong", reason: "not-an-expression", detail: "nested too deeply" })
    expect(Game24.check([4, 8, 2], "(".repeat(50) + "4" + ")".repeat(50) + " * (8 - 2)")).toEqual({ _tag: "Solved" })
    expect(Dataset.isGame24Solution([4, 6, 8, 2], deep(3_000))).toBe(false)
  })

  test.prop([Adversarial.text(["(", ")", "4", "6", "8", "2", "*", "/", "+", "-", "=24", "\\times", "\\frac{", "}{"]), fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 4, maxLength: 4 })], {
    numRuns: Adversarial.runs()
  })("never throws and returns a well-typed verdict", (answer, numbers) => {
    const verdict = Game24.check(numbers, answer)
    expect(["Solved", "Wrong"]).toContain(verdict._tag)
    if (verdict._tag === "Wrong") expect(["too-long", "not-an-expression", "wrong-numbers", "wrong-value"]).toContain(verdict.reason)
    expect(Dataset.isGame24Solution(numbers, answer)).toBe(verdict._tag === "Solved")
  })
})
