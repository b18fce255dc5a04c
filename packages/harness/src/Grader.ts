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
 * Grades an answer string (already extracted, e.g. `SearchResult.answer`) against a reference answer.
 *
 * @example
 * Grader.isCorrect("\\frac{2}{4}", "0.5") // true
 */
export const isCorrect = (answer: string | undefined, reference: string, options: Equivalence.Options = {}): boolean =>
  answer !== undefined && Equivalence.equivalent(answer, reference, options)

/**
 * Grades a whole response: extracts its final answer (`FinalAnswer.extract`) and compares it with the reference.
 * Use on raw model output; use `isCorrect` when the strategy already extracted the answer.
 */
export const grade = (response: string, reference: string, options: Equivalence.Options = {}): Grade => {
  const extracted = FinalAnswer.extractAnswer(response)
  return {
    extracted,
    normalized: extracted === undefined ? undefined : normalize(extracted),
    correct: isCorrect(extracted, reference, options)
  }
}
