import { describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { Adversarial } from "@stepwise/testing"
import { FinalAnswer } from "../src/index.js"

// The hand-written extraction cases are in Grader.test.ts; these are the adversarial ones.
describe("FinalAnswer.extract on adversarial input", { timeout: Adversarial.timeoutMillis() }, () => {
  it("reads 'answer is a' + a long space run + 'x' (once 4.4 s at 10,000) whole", () => {
    for (const spaces of [10_000, 100_000]) {
      expect(FinalAnswer.extract("answer is a" + " ".repeat(spaces) + "x")).toEqual({ answer: "a" + " ".repeat(spaces) + "x", source: "phrase" })
    }
  })

  it("reads long runs of dollars, periods, openers and markers", () => {
    expect(FinalAnswer.extract("The answer is " + "$".repeat(50_000) + "x")).toEqual({ answer: "x", source: "phrase" })
    expect(FinalAnswer.extract("The answer is 5" + ". a".repeat(30_000))?.answer).toBe("5" + ". a".repeat(30_000))
    // The last period ends the line; a trailing period is dropped from the answer.
    expect(FinalAnswer.extract("The answer is 5" + " .".repeat(30_000))?.answer).toBe("5" + " .".repeat(29_998))
    expect(FinalAnswer.extract("answer is ".repeat(20_000) + "7.")).toEqual({ answer: "7", source: "phrase" })
    expect(FinalAnswer.extract("\\boxed{".repeat(10_000) + "#### 3")).toEqual({ answer: "3", source: "hashes" })
    expect(FinalAnswer.extract("\\boxed" + " ".repeat(50_000) + "7")).toEqual({ answer: "7", source: "boxed" })
  })

  test.prop([Adversarial.text(["\\boxed{", "\\boxed ", "####", "The answer is", "Final Answer: The final answer is $", "$. I hope it is correct.", "answer:", ". ", "\\(", "\\)"])], {
    numRuns: Adversarial.runs()
  })("never throws and returns a well-typed result", (response) => {
    const found = FinalAnswer.extract(response)
    if (found === undefined) return
    expect(typeof found.answer).toBe("string")
    expect(["boxed", "hashes", "phrase"]).toContain(found.source)
    if (found.boxes !== undefined) expect(found.boxes.length).toBeGreaterThan(1)
    if (found.source !== "boxed") expect(found.answer).not.toBe("")
  })

  test.prop([fc.string({ maxLength: 40 }).filter((answer) => !/[\n$.]|\\[()[\]]/.test(answer) && answer.trim() !== "")], { numRuns: 2000 })(
    "reads back any answer written in Minerva's ending",
    (answer) => {
      expect(FinalAnswer.extractAnswer(`Final Answer: The final answer is $${answer}$. I hope it is correct.`)).toBe(answer.trim())
    }
  )
})
