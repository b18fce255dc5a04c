import { Answer } from "@stepwise/core"
import * as Canonical from "./Canonical.js"
import * as Equivalence from "./Equivalence.js"
import * as FinalAnswer from "./FinalAnswer.js"
import { normalize } from "./Normalization.js"

/** The verdict on one response: the extracted answer (if any), its normalized form and whether it is correct. */
export interface Grade {
  readonly extracted: string | undefined
  readonly normalized: string | undefined
  readonly correct: boolean
}

/**
 * Grades an answer string (already extracted, e.g. `SearchResult.answer`) against a reference answer. An answer
 * that itself holds `\boxed{}` is read as its last box, as a strategy's answer and the reference evaluations
 * (Qwen2.5-Math's, search-and-learn's) read a response: "we reject \\boxed{-2}, so \\boxed{1}" answers 1.
 *
 * @example
 * Grader.isCorrect("\\frac{2}{4}", "0.5") // true
 * Grader.isCorrect("\\boxed{1} and \\boxed{2}", "2") // true
 */
export const isCorrect = (answer: string | undefined, reference: string, options: Equivalence.Options = {}): boolean => {
  if (answer === undefined) return false
  const boxes = answer.includes("\\boxed") || answer.includes("\\fbox") ? Answer.finalBoxes(answer) : []
  const chosen = boxes.length === 0 ? answer : boxes[boxes.length - 1]
  return chosen !== undefined && Equivalence.equivalent(chosen, reference, options)
}

/**
 * Grades a whole response: extracts its final answer (`FinalAnswer.extract`: the last box, or the phrases models
 * end with) and compares it with the reference. Use on raw model output; use `isCorrect` when the strategy
 * already extracted the answer.
 */
export const grade = (response: string, reference: string, options: Equivalence.Options = {}): Grade => {
  const found = FinalAnswer.extract(response)
  const extracted = found?.answer
  return {
    extracted,
    normalized: extracted === undefined ? undefined : normalize(extracted),
    correct: extracted !== undefined && Equivalence.equivalent(extracted, reference, options)
  }
}

/**
 * The grader's equivalence in the shape votes use (`Answer.Equivalence`): canonical keys from `Canonical.key`
 * (numbers by value, expressions by their values at fixed points, structure kept), buckets for the keys that
 * tolerance or the symbolic check may still join, and `Equivalence.equivalent` for those. Plug it into a
 * strategy's votes so that `\frac12`, `0.5` and `1/2` are one answer.
 *
 * @example
 * Answer.partition(["\\frac12", "0.5", "1/2", "3"], Grader.equivalence()).classes // [[0, 1, 2], [3]]
 */
export const equivalence = (options: Equivalence.Options = {}): Answer.Equivalence => ({
  key: (answer) => Canonical.key(answer, options),
  buckets: (key) => Canonical.buckets(key, options),
  equivalent: (left, right) => Equivalence.equivalent(left, right, options)
})
