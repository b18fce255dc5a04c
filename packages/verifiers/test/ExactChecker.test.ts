import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import Fraction from "fraction.js"
import { Effect } from "effect"
import { Problem } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { Adversarial, itEffect } from "@stepwise/testing"
import { Arithmetic, ExactChecker } from "@stepwise/verifiers"
import { problem, rightSteps, runs, trajectoryOf } from "./support/Fixtures.js"

describe("Arithmetic", () => {
  it("evaluates exactly, with no floating error", () => {
    const result = Arithmetic.evaluate("0.1 + 0.2")
    expect(result._tag === "Value" && result.value.equals(new Fraction(3, 10))).toBe(true)
    const big = Arithmetic.evaluate("123456789012345678901234567890 * 10 / 10")
    expect(big._tag === "Value" && big.value.toString()).toBe("123456789012345678901234567890")
    expect(Arithmetic.evaluate("1 / (2 - 2)")).toEqual({ _tag: "Invalid", reason: "division by zero" })
    expect(Arithmetic.evaluate("\\frac{3}{4} \\times 8")._tag).toBe("Value")
    expect(Arithmetic.evaluate("(1 + 2")._tag).toBe("Invalid")
  })

  it("finds the checkable equations of a step and leaves algebra out", () => {
    const holds = (text: string) => Arithmetic.equations(text).map((equation) => equation.holds)
    expect(holds("Step 2: 68 * 3 = 204")).toEqual([true])
    expect(holds("Step 2: 68 * 3 = 205")).toEqual([false])
    expect(holds("Compute 12 + 5 = 17, then 17 * 2 = 34.")).toEqual([true, true])
    expect(holds("So 2x - 3 = 7 and y = 3x")).toEqual([])
    expect(holds("so -7 * 3 = -21, and then -21 / 2 = -10")).toEqual([true, false])
    expect(holds("$1,000 + 24 = 1,024$")).toEqual([true])
    expect(holds("a <= 3, b >= 4, 2 == 2")).toEqual([])
  })

  const operand = fc.integer({ min: -1000, max: 1000 })
  const operator = fc.constantFrom("+", "-", "*", "/")
  property.prop([operand, operator, operand, fc.integer({ min: 1, max: 5 })], { numRuns: runs(2000, 300) })(
    "a true equation holds and a perturbed one does not",
    (a, op, b, delta) => {
      fc.pre(!(op === "/" && b === 0))
      const left = new Fraction(a)
      const value = op === "+" ? left.add(b) : op === "-" ? left.sub(b) : op === "*" ? left.mul(b) : left.div(b)
      const rightText = value.d === 1n ? value.toString() : `${value.s * value.n} / ${value.d}`
      const text = `(${a}) ${op} (${b}) = ${rightText}`
      expect(Arithmetic.equations(text).map((equation) => equation.holds)).toEqual([true])
      expect(Arithmetic.equations(`(${a}) ${op} (${b}) = ${value.add(delta).toFraction().replace("/", " / ")}`).map((equation) => equation.holds)).toEqual([false])
    }
  )

  property.prop([fc.string({ maxLength: 300 })], { numRuns: runs(10_000, 500) })("never throws on arbitrary text", (text) => {
    const evaluation = Arithmetic.evaluate(text)
    expect(["Value", "Invalid"]).toContain(evaluation._tag)
    for (const equation of Arithmetic.equations(text)) expect(typeof equation.holds).toBe("boolean")
  })
  const arithmeticText = fc
    .array(fc.constantFrom("1", "2", "10", "0", "+", "-", "*", "/", "(", ")", "=", " ", "x", "\\frac{1}{2}", "\\times", ".", ",000", "$"), { maxLength: 80 })
    .map((parts) => parts.join(""))
  property.prop([arithmeticText], { numRuns: runs(10_000, 500) })("never throws on arithmetic-looking text", (text) => {
    expect(["Value", "Invalid"]).toContain(Arithmetic.evaluate(text)._tag)
    Arithmetic.equations(text)
  })
})

describe("Arithmetic and the exact checkers on adversarial input", { timeout: Adversarial.timeoutMillis() }, () => {
  it("bounds nesting with a typed result: 3,000 and 100,000 nested parentheses are Invalid, not a stack overflow", () => {
    expect(Arithmetic.evaluate("(".repeat(3_000) + "24" + ")".repeat(3_000))).toEqual({ _tag: "Invalid", reason: "nested too deeply" })
    expect(Arithmetic.evaluate("-".repeat(3_000) + "1")).toEqual({ _tag: "Invalid", reason: "nested too deeply" })
    expect(Arithmetic.evaluate("(".repeat(100_000) + "24" + ")".repeat(100_000))).toEqual({ _tag: "Invalid", reason: "too long" })
    expect(Arithmetic.equations("(".repeat(3_000) + "1" + ")".repeat(3_000) + " = 1")).toEqual([])
  })

  it("reads a long space run inside a Game of 24 left list", () => {
    const numbers = [4, 6, 8, 2].map((number) => new Fraction(number))
    expect(ExactChecker.scoreGame24Steps(["4 + 8 = 12 (left:" + " ".repeat(100_000) + "2 6 12)"], numbers, new Fraction(24))).toEqual([1])
    expect(ExactChecker.scoreGame24Steps(["4 + 8 = 12 (left:" + " ".repeat(100_000) + "2 6 13)"], numbers, new Fraction(24))).toEqual([0])
  })

  const pieces = ["1", "24", "(", ")", "=", " = ", "+", "*", "/", "\\frac{1}{2}", "\\times", "(left: 2 6 12)", "\\boxed{", "Answer:"]
  property.prop([Adversarial.text(pieces)], { numRuns: Adversarial.runs() })("never throws and returns well-typed results", (text) => {
    const evaluation = Arithmetic.evaluate(text)
    expect(["Value", "Invalid"]).toContain(evaluation._tag)
    for (const equation of Arithmetic.equations(text)) expect(typeof equation.holds).toBe("boolean")
    const scores = ExactChecker.scoreGame24Steps([text], [new Fraction(4), new Fraction(6), new Fraction(8), new Fraction(2)], new Fraction(24))
    expect(scores.length === 1 && (scores[0] === 0 || scores[0] === 1)).toBe(true)
    expect([0, 1]).toContain(ExactChecker.scoreArithmeticStep(text, { checkAnswer: true, reference: "14" }))
  })
})

describe("ExactChecker.arithmetic", () => {
  itEffect("scores 1 for right steps and 0 for a wrong equation or a wrong boxed answer", () =>
    Effect.gen(function* () {
      const checker = yield* ExactChecker.arithmetic({ checkAnswer: true, unchecked: 0.5 })
      expect((yield* checker.score(problem, trajectoryOf(rightSteps))).stepScores).toEqual([1, 1, 1])
      const wrong = ["Step 1: 2 + 3 = 5", "Step 2: 5 * 4 = 21", "Let me think.", "So the answer is $\\boxed{15}$."]
      expect((yield* checker.score(problem, trajectoryOf(wrong))).stepScores).toEqual([1, 0, 0.5, 0])
    })
  )

  itEffect("counts one verifier call per score and no tokens", () =>
    Effect.gen(function* () {
      const checker = yield* ExactChecker.arithmetic()
      const accountant = yield* Accountant.make({})
      yield* Accountant.provide(accountant)(checker.score(problem, trajectoryOf(rightSteps)))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(0)
    })
  )
})

describe("ExactChecker.game24", () => {
  const puzzle = Problem.make({ id: "g1", question: "Use 4 6 8 2 and basic arithmetic operations (+ - * /) to obtain 24." })

  itEffect("follows the pool of numbers through Tree-of-Thoughts style steps", () =>
    Effect.gen(function* () {
      const checker = yield* ExactChecker.game24()
      const right = ["4 + 8 = 12 (left: 2 6 12)", "6 - 2 = 4 (left: 4 12)", "12 * 4 = 48 (left: 48)", "Answer: (6 - 2) * (4 + 8) = 48"]
      // 48 is not 24: the last step uses the puzzle's numbers but misses the target.
      expect((yield* checker.score(puzzle, trajectoryOf(right))).stepScores).toEqual([1, 1, 1, 0])
      const solved = ["8 / 4 = 2 (left: 2 2 6)", "2 + 2 = 4 (left: 4 6)", "4 * 6 = 24 (left: 24)", "Answer: (8 / 4 + 2) * 6 = 24"]
      expect((yield* checker.score(puzzle, trajectoryOf(solved))).stepScores).toEqual([1, 1, 1, 1])
    })
  )

  itEffect("scores 0 for a false equation, a number not in the pool, or a wrong left list", () =>
    Effect.gen(function* () {
      const checker = yield* ExactChecker.game24()
      const steps = ["4 + 8 = 13 (left: 2 6 13)", "9 - 2 = 7 (left: 4 7 8)", "4 + 8 = 12 (left: 2 6 13)", "4 + 8 = 12 (left: 2 6 12)", "Let me think about it."]
      expect((yield* checker.score(puzzle, trajectoryOf(steps))).stepScores).toEqual([0, 0, 0, 1, 1])
    })
  )

  itEffect("checks a boxed answer expression and takes the numbers from metadata", () =>
    Effect.gen(function* () {
      const checker = yield* ExactChecker.game24()
      const withMetadata = Problem.make({ id: "g2", question: "Make 24.", metadata: { numbers: [1, 2, 3, 4] } })
      expect((yield* checker.score(withMetadata, trajectoryOf(["$\\boxed{1 * 2 * 3 * 4}$"]))).stepScores).toEqual([1])
      expect((yield* checker.score(withMetadata, trajectoryOf(["$\\boxed{1 + 2 + 3 + 4}$"]))).stepScores).toEqual([0])
      expect((yield* checker.score(withMetadata, trajectoryOf(["$\\boxed{(5 - 1) * 6}$"]))).stepScores).toEqual([0])
    })
  )

  it("reads the puzzle's numbers from the question, leaving out the target", () => {
    expect(ExactChecker.defaultNumbers(puzzle)).toEqual([4, 6, 8, 2])
    expect(ExactChecker.defaultNumbers(Problem.make({ id: "g3", question: "1 1 4 6" }))).toEqual([1, 1, 4, 6])
  })
})
