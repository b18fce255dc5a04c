import { describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { Adversarial } from "@stepwise/testing"
import { Equivalence, Shape } from "../src/index.js"

// The hand-written equivalence cases are in Grader.test.ts; these are the bounds and the adversarial ones.
const nestedTuple = (depth: number, leaf: string): string => "(1,".repeat(depth) + leaf + ")".repeat(depth)

describe("Equivalence.compare bounds", { timeout: Adversarial.timeoutMillis() }, () => {
  it("answers nested tuples of depth 3,333 (once 23 s, then a RangeError) with a typed verdict", () => {
    expect(Equivalence.compare(nestedTuple(3_333, "2"), nestedTuple(3_333, "3"))).toEqual({ _tag: "Unjudgeable", reason: "too-long" })
    expect(Equivalence.compare(nestedTuple(100, "2"), nestedTuple(100, "3"))).toEqual({ _tag: "Unjudgeable", reason: "too-deep" })
    expect(Equivalence.compare(nestedTuple(20, "2"), nestedTuple(20, "2.0"))).toEqual({ _tag: "Equal" })
    expect(Equivalence.compare(nestedTuple(20, "2"), nestedTuple(20, "3"))).toEqual({ _tag: "Different" })
    expect(Equivalence.equivalent(nestedTuple(3_333, "2"), nestedTuple(3_333, "3"))).toBe(false)
  })

  it("gives a parse deeper than Shape.maxDepth an Unjudgeable node, not a stack overflow", () => {
    const deep = "\\{".repeat(5_000) + "1" + "\\}".repeat(5_000)
    expect(JSON.stringify(Shape.parse(deep))).toContain('"too-deep"')
  })

  it("bounds the element comparisons of long lists", () => {
    const halves = Array.from({ length: 150 }, (_, index) => `${index}.5`)
    const fractions = halves.map((_, index) => `${2 * index + 1}/2`)
    expect(Equivalence.compare(halves.join(","), [...halves].reverse().join(","))).toEqual({ _tag: "Equal" })
    expect(Equivalence.compare(halves.slice(0, 40).join(","), fractions.slice(0, 40).reverse().join(","))).toEqual({ _tag: "Equal" })
    // Each decimal matches its fraction only at the end of the scan: 150 × 151 / 2 comparisons, past maxSteps.
    expect(Equivalence.compare(halves.join(","), [...fractions].reverse().join(","), { symbolic: false })).toEqual({ _tag: "Unjudgeable", reason: "too-complex" })
    expect(Equivalence.compare("1,".repeat(1_500) + "1", "1,".repeat(1_500) + "2")).toEqual({ _tag: "Unjudgeable", reason: "too-long" })
    expect(Equivalence.compare("", "1")).toEqual({ _tag: "Unjudgeable", reason: "empty" })
  })

  it("spends at most the symbolic budget over all checks of one comparison", () => {
    // Ten items each needing the engine; with a budget of 0 ms nothing symbolic runs, and they count as different.
    const radicals = Array.from({ length: 10 }, (_, index) => `\\sqrt{${index + 2}}`).join(",")
    const decimals = Array.from({ length: 10 }, (_, index) => Math.sqrt(index + 2).toFixed(9)).join(",")
    expect(Equivalence.compare(radicals, decimals)).toEqual({ _tag: "Equal" })
    expect(Equivalence.compare(radicals, decimals, { symbolicBudgetMillis: 0 })).toEqual({ _tag: "Different" })
  })

  const pieces = ["(", ")", "[", "]", ",", "\\{", "\\}", "\\cup", "=", "\\geq", "<", "\\pm", "x", "1", "\\frac{1}{2}", "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", " and "]
  test.prop([Adversarial.text(pieces), Adversarial.text(pieces)], { numRuns: Adversarial.runs() })(
    "never throws and returns a well-typed verdict (symbolic check off)",
    (answer, reference) => {
      const verdict = Equivalence.compare(answer, reference, { symbolic: false })
      expect(["Equal", "Different", "Unjudgeable"]).toContain(verdict._tag)
      if (verdict._tag === "Unjudgeable") expect(["empty", "too-long", "too-deep", "too-complex"]).toContain(verdict.reason)
    }
  )

  // The engine runs in a worker that a timed-out check restarts (about a second each): a few runs only.
  test.prop([Adversarial.text(pieces, 60), Adversarial.text(pieces, 60)], { numRuns: 60 })(
    "never throws with the symbolic check on, and finds equal whatever is equal without it",
    (answer, reference) => {
      const verdict = Equivalence.compare(answer, reference, { symbolicTimeLimitMillis: 200, symbolicBudgetMillis: 400 })
      expect(["Equal", "Different", "Unjudgeable"]).toContain(verdict._tag)
      fc.pre(verdict._tag !== "Unjudgeable")
      expect(Equivalence.compare(reference, answer, { symbolic: false })._tag === "Equal" ? verdict._tag : "Equal").toBe("Equal")
    }
  )
})
