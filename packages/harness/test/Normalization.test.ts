import { describe, expect, it } from "vitest"
import { test } from "@fast-check/vitest"
import { Adversarial } from "@stepwise/testing"
import { Normalization } from "../src/index.js"

// The hand-written normalization cases are in Grader.test.ts; these are the adversarial ones.
describe("Normalization.normalize on adversarial input", { timeout: Adversarial.timeoutMillis() }, () => {
  it("reads '1.' + a long zero run + 'x' (once 1.6 s at 10,000)", () => {
    for (const zeros of [10_000, 100_000]) expect(Normalization.normalize("1." + "0".repeat(zeros) + "x")).toBe("1x")
    expect(Normalization.normalize("1.5" + "0".repeat(50_000) + "1")).toBe("1.5" + "0".repeat(50_000) + "1")
    expect(Normalization.normalize("1".repeat(50_000) + "x")).toBe("1".repeat(50_000) + "x")
  })

  it("reads long runs of periods, wrappers, units and separators", () => {
    expect(Normalization.normalize("5" + ".".repeat(50_000))).toBe("5")
    expect(Normalization.normalize("\\text{".repeat(10_000) + "yes" + "}".repeat(10_000))).toBe("yes")
    // A unit is dropped only right after a number: "cm cm" is not a unit.
    expect(Normalization.normalize("5" + " cm".repeat(10_000))).toBe("5" + "cm".repeat(10_000))
    expect(Normalization.normalize("1 and ".repeat(10_000) + "2")).toBe("1,".repeat(10_000) + "2")
    expect(Normalization.normalize("x \\geq" + " ".repeat(50_000) + "5")).toBe("x≥5")
  })

  test.prop([Adversarial.text(["\\frac", "\\text{", "\\left(", "\\right)", "\\geq", "\\boxed{", "1.", "0", " cm", " and ", "x =", "\\in", "^\\circ", "\\%", "{,}"])], {
    numRuns: Adversarial.runs()
  })("never throws, returns a string, and is idempotent on its output's spacing", (answer) => {
    const normalized = Normalization.normalize(answer)
    expect(typeof normalized).toBe("string")
    expect(typeof Normalization.normalize(answer, { assignment: "keep" })).toBe("string")
    expect(normalized).not.toMatch(/^\s|\s$/)
  })
})
