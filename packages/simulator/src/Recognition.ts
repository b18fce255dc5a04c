import { Result } from "effect"
import * as FreeText from "./FreeText.js"
import type { WordProblem } from "./WordProblem.js"
import * as WordProblem_ from "./WordProblem.js"

/**
 * What the world recognises as a problem: the questions it generates (read back exactly by `WordProblem.parse`)
 * and, failing that, free-text arithmetic word problems (`FreeText.parse`). Every part of the world — the policy,
 * the PRM, verification, the server, grading — recognises a question through here, from its text alone.
 */

const known = new Map<string, WordProblem | FreeText.NotModelled>()

/**
 * The problem a question states, or why the simulator cannot model it (memoized by question text, bounded).
 *
 * @example
 * Recognition.understand("A farmer has 17 sheep and buys 5 more. How many sheep?") // Success: answer 22
 */
export const understand = (question: string): Result.Result<WordProblem, FreeText.NotModelled> => {
  const cached = known.get(question)
  if (cached !== undefined) return cached instanceof FreeText.NotModelled ? Result.fail(cached) : Result.succeed(cached)
  const own = WordProblem_.parse(question)
  const result = own === undefined ? FreeText.parse(question) : Result.succeed(own)
  if (known.size > 50_000) known.clear()
  known.set(question, Result.isSuccess(result) ? result.success : result.failure)
  return result
}

/** The problem a question states, or `undefined` when the simulator cannot model it. Use on hot paths. */
export const recognize = (question: string): WordProblem | undefined => {
  const result = understand(question)
  return Result.isSuccess(result) ? result.success : undefined
}
