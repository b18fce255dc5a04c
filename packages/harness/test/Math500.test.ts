import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { test } from "@fast-check/vitest"
import { Answer } from "@stepwise/core"
import { Adversarial } from "@stepwise/testing"
import { Equivalence, Grader } from "../src/index.js"

// MATH-500 is public data kept beside the repository (`../shared/data`, or `STEPWISE_DATA`), not in it: a fresh
// clone has no copy, so these checks run only where the file is present (they are skipped, with this reason,
// elsewhere).
const repository = fileURLToPath(new URL("../../../", import.meta.url))
const candidates = [process.env["STEPWISE_DATA"], `${repository}../shared/data`, `${repository}../../shared/data`].filter((folder) => folder !== undefined)
const file = candidates.map((folder) => `${folder}/math500.jsonl`).find((path) => existsSync(path))
const rows: ReadonlyArray<{ readonly solution: string; readonly answer: string }> =
  file === undefined ? [] : readFileSync(file, "utf8").split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line))

describe.skipIf(file === undefined)("the grader on all 500 MATH-500 references (needs ../shared/data/math500.jsonl)", () => {
  it("has all 500 problems", () => {
    expect(rows.length).toBe(500)
  })

  it("grades every reference solution's boxed answer correct, and every reference equal to itself", () => {
    const misses = rows.filter((row) => !Grader.grade(row.solution, row.answer).correct || !Equivalence.equivalent(row.answer, row.answer))
    expect(misses.map((row) => row.answer)).toEqual([])
  })

  it("groups the 500 references into classes of equivalent answers only", () => {
    const answers = rows.map((row) => row.answer)
    const { classes } = Answer.partition(answers, Grader.equivalence())
    const wrong = classes.flatMap((members) => members.filter((index) => !Equivalence.equivalent(answers[index]!, answers[members[0]!]!)).map((index) => answers[index]))
    expect(wrong).toEqual([])
  })
})

describe("Grader.grade on adversarial responses", { timeout: Adversarial.timeoutMillis() }, () => {
  test.prop([Adversarial.text(["\\boxed{", "}", "####", "The answer is", "Final Answer: The final answer is $", "$. I hope it is correct.", " and ", ",", "\\pm", "x ="]), Adversarial.text(["1", "1, 2", "(1,2)", "x \\geq 5", "\\{1,2\\}"], 40)], {
    numRuns: Adversarial.runs()
  })("never throws and returns a well-typed grade (symbolic check off)", (response, reference) => {
    const grade = Grader.grade(response, reference, { symbolic: false })
    expect(typeof grade.correct).toBe("boolean")
    expect(grade.extracted === undefined || typeof grade.extracted === "string").toBe(true)
    expect(grade.extracted === undefined).toBe(grade.normalized === undefined)
  })
})
