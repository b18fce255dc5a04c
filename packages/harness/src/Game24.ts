import { Arithmetic } from "@stepwise/verifiers"

/**
 * Grading a Game of 24 answer: an arithmetic expression over exactly the puzzle's numbers whose value is the
 * target, checked with exact rational arithmetic (`Arithmetic.evaluate` of `@stepwise/verifiers`). Bounded by
 * construction: answers longer than `maxLength` are not read, and nesting deeper than the evaluator's limit
 * (100 levels) is a typed `Wrong`, never a stack overflow.
 *
 * @example
 * Game24.check([4, 7, 8, 8], "(7 - 8/8) * 4") // { _tag: "Solved" }
 */

/** The longest answer read (characters): a four-number expression, even in LaTeX, is far shorter. */
export const maxLength = 1000

/** Why an answer is not a solution. */
export type Reason = "too-long" | "not-an-expression" | "wrong-numbers" | "wrong-value"

/** The verdict on one answer. */
export type Verdict =
  | { readonly _tag: "Solved" }
  | { readonly _tag: "Wrong"; readonly reason: Reason; readonly detail?: string }

const wrong = (reason: Reason, detail?: string): Verdict => (detail === undefined ? { _tag: "Wrong", reason } : { _tag: "Wrong", reason, detail })

/** True when the numbers an expression used are the puzzle's, as multisets. */
const sameMultiset = (used: ReadonlyArray<{ readonly equals: (number: number) => boolean }>, wanted: ReadonlyArray<number>): boolean => {
  if (used.length !== wanted.length) return false
  const rest = [...wanted]
  return used.every((number) => {
    const at = rest.findIndex((candidate) => number.equals(candidate))
    if (at < 0) return false
    rest.splice(at, 1)
    return true
  })
}

/**
 * Checks an answer: `expression` or `expression = target` (LaTeX operators `\times`, `\cdot`, `\div`, `\frac`
 * and `×`, `÷` accepted), using each of the puzzle's numbers exactly once and equal to the target exactly.
 */
export const check = (numbers: ReadonlyArray<number>, answer: string, target = 24): Verdict => {
  if (answer.length > maxLength) return wrong("too-long", `${answer.length} characters, at most ${maxLength} are read`)
  const sides = answer.replace(/\$/g, "").split("=")
  if (sides.length > 2) return wrong("not-an-expression", "more than one =")
  if (sides.length === 2) {
    const stated = Arithmetic.evaluate(sides[1]!)
    if (stated._tag !== "Value" || !stated.value.equals(target)) return wrong("wrong-value", "the right side is not the target")
  }
  const evaluation = Arithmetic.evaluate(sides[0]!)
  if (evaluation._tag === "Invalid") return wrong("not-an-expression", evaluation.reason)
  if (!sameMultiset(evaluation.numbers, numbers)) return wrong("wrong-numbers")
  return evaluation.value.equals(target) ? { _tag: "Solved" } : wrong("wrong-value")
}

/** True when `check` finds the answer solves the puzzle. */
export const isSolution = (numbers: ReadonlyArray<number>, answer: string, target = 24): boolean =>
  check(numbers, answer, target)._tag === "Solved"
