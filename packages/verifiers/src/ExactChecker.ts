import Fraction from "fraction.js"
import { Effect } from "effect"
import type { InvalidOptions, Problem } from "@stepwise/core"
import { Answer, Options, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import * as Arithmetic from "./Arithmetic.js"
import * as ExactOptions from "./ExactOptions.js"

/**
 * Exact checkers: verifiers that score each step 1 (right) or 0 (wrong) with exact rational arithmetic.
 * Use as an oracle PRM on arithmetic tasks and the Game of 24, or as a model for writing your own PRM.
 * Both are built through `ProcessRewardModel.make`: one verifier call per score, no tokens.
 *
 * @example
 * const oracle = yield* ExactChecker.arithmetic({ checkAnswer: true })
 */
export interface ArithmeticOptions {
  /** Score of a step with no equation that can be checked (default 1: nothing wrong was found). */
  readonly unchecked?: number
  /** Also check a step's `\boxed{}` answer against `problem.reference`, exactly when both are numbers (default false). */
  readonly checkAnswer?: boolean
  readonly name?: string
}

const sameAnswer = (answer: string, reference: string): boolean => {
  const left = Arithmetic.evaluate(answer)
  const right = Arithmetic.evaluate(reference)
  if (left._tag === "Value" && right._tag === "Value") return left.value.equals(right.value)
  return Answer.normalize(answer) === Answer.normalize(reference)
}

/**
 * The score of one arithmetic step: 0 if any equation it states is false (or its boxed answer differs from the
 * reference, with `checkAnswer`), 1 if it states at least one and all hold, `unchecked` otherwise.
 */
export const scoreArithmeticStep = (text: string, options: ArithmeticOptions & { readonly reference?: string | undefined } = {}): number => {
  const stated = Arithmetic.equations(text)
  if (stated.some((equation) => !equation.holds)) return 0
  if (options.checkAnswer === true && options.reference !== undefined) {
    const answer = Answer.extractBoxed(text)
    if (answer !== undefined) return sameAnswer(answer, options.reference) ? 1 : 0
  }
  return stated.length > 0 ? 1 : (options.unchecked ?? 1)
}

/** Checks every stated equation of every step exactly. */
export const arithmetic = (options: ArithmeticOptions = {}): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Options.parse(ExactOptions.arithmetic, options, "exact-arithmetic")
    return ProcessRewardModel.make({
      info: { name: options.name ?? "exact-arithmetic" },
      // It reads no tokens: bounded at 0, so a used-up verifier-token limit does not refuse it.
      maxTokens: () => 0,
      score: (problem, trajectory) =>
        Effect.sync(() => ({
          stepScores: Trajectory.stepTexts(trajectory).map((text) => scoreArithmeticStep(text, { ...options, reference: problem.reference })),
          usage: Usage.zero
        }))
    })
  })

/** Options of the Game of 24 checker. */
export interface Game24Options {
  /** The number to reach (default 24). */
  readonly target?: number
  /** The puzzle's numbers (default: `problem.metadata.numbers`, else the integers of the question, less the target). */
  readonly numbersOf?: (problem: Problem.Problem) => ReadonlyArray<number>
  /** Score of a step with nothing to check (default 1). */
  readonly unchecked?: number
  readonly name?: string
}

/** The puzzle's numbers by the default rule. */
export const defaultNumbers = (problem: Problem.Problem, target = 24): ReadonlyArray<number> => {
  const given = problem.metadata?.["numbers"]
  if (Array.isArray(given) && given.every((value) => typeof value === "number")) return given as ReadonlyArray<number>
  const integers = [...problem.question.matchAll(/(?<![\d.])\d+(?![\d.])/g)].map((match) => Number(match[0]))
  if (integers.length > 4) {
    const at = integers.lastIndexOf(target)
    if (at >= 0) integers.splice(at, 1)
  }
  return integers
}

/** Removes `used` from `pool` (as multisets); `undefined` when `used` is not inside `pool`. */
const takeFrom = (pool: ReadonlyArray<Fraction>, used: ReadonlyArray<Fraction>): Array<Fraction> | undefined => {
  const rest = [...pool]
  for (const number of used) {
    const at = rest.findIndex((candidate) => candidate.equals(number))
    if (at < 0) return undefined
    rest.splice(at, 1)
  }
  return rest
}

const sameMultiset = (left: ReadonlyArray<Fraction>, right: ReadonlyArray<Fraction>): boolean =>
  left.length === right.length && takeFrom(left, right)?.length === 0

/**
 * Scores Game of 24 steps, keeping the pool of numbers left (starting with the puzzle's numbers):
 * - an equation must hold exactly; its left side must use numbers from the pool, which it replaces by its
 *   value ("4 + 8 = 12 (left: 6 8 12)"; a "(left: …)" list, when given, must match the pool);
 * - an expression using exactly the puzzle's numbers ("Answer: (6 - 4) * (4 + 8) = 24", or a `\boxed{}`
 *   expression) must equal the target;
 * - a step with nothing to check scores `unchecked`; any broken rule scores 0 (and the pool is left as it was).
 */
export const game24 = (options: Game24Options = {}): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Options.parse(ExactOptions.game24, options, "exact-game24")
    const target = new Fraction(options.target ?? 24)
    return ProcessRewardModel.make({
      info: { name: options.name ?? "exact-game24" },
      maxTokens: () => 0,
      score: (problem, trajectory) =>
        Effect.sync(() => {
          const numbers = (options.numbersOf?.(problem) ?? defaultNumbers(problem, options.target ?? 24)).map((number) => new Fraction(number))
          return { stepScores: scoreGame24Steps(Trajectory.stepTexts(trajectory), numbers, target, options.unchecked ?? 1), usage: Usage.zero }
        })
    })
  })

/** The Game of 24 rules over a list of steps (pure; see `game24`). */
export const scoreGame24Steps = (
  stepTexts: ReadonlyArray<string>,
  numbers: ReadonlyArray<Fraction>,
  target: Fraction,
  unchecked = 1
): ReadonlyArray<number> => {
  let pool: ReadonlyArray<Fraction> = numbers
  return stepTexts.map((text) => {
    const boxed = Answer.extractBoxed(text)
    const stated = [...Arithmetic.equations(text)]
    if (boxed !== undefined) {
      const value = Arithmetic.evaluate(boxed.replace(/=.*$/s, ""))
      if (value._tag === "Value" && value.numbers.length > 1)
        stated.push({ left: boxed, right: "", leftValue: value.value, rightValue: target, leftNumbers: value.numbers, holds: value.value.equals(target) })
    }
    if (stated.length === 0) return unchecked
    let next = pool
    for (const equation of stated) {
      if (!equation.holds) return 0
      if (equation.leftNumbers.length < 2) continue
      if (sameMultiset(equation.leftNumbers, numbers)) {
        if (!equation.leftValue.equals(target)) return 0
        continue
      }
      const rest = takeFrom(next, equation.leftNumbers)
      if (rest === undefined) return 0
      next = [...rest, equation.rightValue]
    }
    // `:([^)]*)` takes the spaces too: no two adjacent quantifiers over spaces (linear on long space runs).
    const left = /\(\s*left\s*:([^)]*)\)/i.exec(text)?.[1]
    if (left !== undefined) {
      const listed = [...left.matchAll(/-?\d+(?:\.\d+)?(?:\/\d+)?/g)].map((match) => Arithmetic.evaluate(match[0]))
      const values = listed.flatMap((evaluation) => (evaluation._tag === "Value" ? [evaluation.value] : []))
      if (!sameMultiset(values, next)) return 0
    }
    pool = next
    return 1
  })
}
