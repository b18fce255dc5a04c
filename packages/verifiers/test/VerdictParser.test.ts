import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Adversarial } from "@stepwise/testing"
import { VerdictParser } from "@stepwise/verifiers"

describe("VerdictParser on adversarial input", { timeout: Adversarial.timeoutMillis() }, () => {
  it("reads a verdict after 100,000 characters of whitespace, digits or separators", () => {
    expect(VerdictParser.parse(" ".repeat(100_000) + "yes", "yes-no")).toEqual({ _tag: "Yes" })
    expect(VerdictParser.parse("1".repeat(100_000) + " 7/10", "scale")).toEqual({ _tag: "Grade", value: 7 })
    expect(VerdictParser.parse("-.".repeat(50_000), "scale")).toEqual({ _tag: "Unparsable", reason: "no-verdict" })
    expect(VerdictParser.parse("\\boxed{".repeat(10_000), "yes-no")).toEqual({ _tag: "Unparsable", reason: "no-verdict" })
  })

  property.prop([Adversarial.text(["yes", "no", "Yes.", "\\boxed{no}", "Answer:", "7/10", "10", "12.5", "-3"]), fc.constantFrom<VerdictParser.Mode>("yes-no", "scale")], {
    numRuns: Adversarial.runs()
  })("never throws and returns a well-typed verdict", (text, mode) => {
    const verdict = VerdictParser.parse(text, mode)
    expect(["Yes", "No", "Grade", "Unparsable"]).toContain(verdict._tag)
    if (verdict._tag === "Grade") expect(Number.isInteger(verdict.value) && verdict.value >= 0 && verdict.value <= 10).toBe(true)
    if (mode === "yes-no") expect(verdict._tag).not.toBe("Grade")
  })
})
