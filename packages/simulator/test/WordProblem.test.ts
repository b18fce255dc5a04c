import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { Solution, WordProblem } from "../src/index.js"

const runs = process.env["CI"] ? 300 : 100

describe("WordProblem", () => {
  test.prop([fc.integer({ min: 1, max: 5 }), fc.integer()], { numRuns: runs })(
    "parsing the question recovers the generated problem (operations, chain, answer, trap)",
    (difficulty, seed) => {
      const generated = WordProblem.generate(difficulty, seed)
      const parsed = WordProblem.parse(generated.question)
      expect(parsed).toEqual(generated)
      expect(generated.difficulty).toBe(difficulty)
      expect(generated.operations.length).toBeGreaterThanOrEqual(2 * difficulty)
      expect(generated.operations.length).toBeLessThanOrEqual(2 * difficulty + 1)
      for (const value of generated.values) {
        expect(Number.isInteger(value)).toBe(true)
        expect(value).toBeGreaterThan(0)
      }
    }
  )

  test.prop([fc.integer({ min: 1, max: 5 }), fc.integer()], { numRuns: runs })(
    "the reference solution reads back right at every step, ending boxed with the answer",
    (difficulty, seed) => {
      const problem = WordProblem.generate(difficulty, seed)
      const states = Solution.readAll(problem, Solution.reference(problem))
      expect(states.every((state) => !state.derailed)).toBe(true)
      const last = states[states.length - 1]!
      expect(last.finished).toBe(true)
      expect(last.answer).toBe(String(problem.answer))
    }
  )

  it("recognises nothing in text it did not generate", () => {
    expect(WordProblem.parse("What is 2 + 2?")).toBeUndefined()
    expect(WordProblem.parse("Mia has 3 apples. Then Mia flies to the moon. How many apples does Mia have at the end?")).toBeUndefined()
  })

  it("reads a trap step as trapped, and correct work after it stays trapped until another error", () => {
    let problem = WordProblem.generate(3, 1)
    for (let seed = 2; problem.trap === undefined; seed++) problem = WordProblem.generate(3, seed)
    const trap = problem.trap!
    const reference = Solution.reference(problem)
    const before = problem.values[trap.step]!
    const operand = problem.operations[trap.step]!.operand
    const trapText = `## Step ${trap.step + 1}: so ${before} ${WordProblem.symbol(trap.kind)} ${operand} = ${trap.value}.`
    const next = problem.operations[trap.step + 1]!
    const followText = `## Step ${trap.step + 2}: so ${trap.value} ${WordProblem.symbol(next.kind)} ${next.operand} = ${WordProblem.apply(next.kind, trap.value, next.operand)}.`
    const states = Solution.readAll(problem, [...reference.slice(0, trap.step), trapText, followText, "## Step 99: so 1 + 1 = 3."])
    expect(states[trap.step]!.trapped).toBe(true)
    expect(states[trap.step]!.derailed).toBe(true)
    expect(states[trap.step + 1]!.trapped).toBe(true)
    expect(states[trap.step + 2]!.trapped).toBe(false)
    expect(states[trap.step + 2]!.derailed).toBe(true)
  })
})
