import { Result } from "effect"
import type { LanguageModel } from "@stepwise/core"
import type { Environment } from "./Environment.js"
import type * as FreeText from "./FreeText.js"
import * as Judging from "./Judging.js"
import * as Planning from "./Planning.js"
import * as Policy from "./Policy.js"
import * as Recognition from "./Recognition.js"
import * as Sampling from "./Sampling.js"
import * as TokenVerdict from "./TokenVerdict.js"
import * as Verification from "./Verification.js"

/**
 * Routes a request to what answers it in the world, by the prompt's format: a judge prompt (`Judging`), a
 * ThinkPRM verification prompt (`Verification`), a planning or sub-question prompt (`Planning`), a token-verdict
 * request of a Math-Shepherd / RLHFlow PRM (`TokenVerdict`), else a problem continued by the policy (`Policy`).
 */

/** The question a request is about (the last user message, or the problem inside a prompt format). */
const questionOf = (request: LanguageModel.GenerateRequest): string | undefined => {
  const text = Sampling.lastUserText(request.messages)
  if (Verification.isPrompt(text)) return Verification.parsePrompt(text).question || undefined
  if (Planning.isPlanPrompt(text)) return text.slice(text.indexOf("\n\nProblem: ") + "\n\nProblem: ".length).trim()
  if (Planning.isSubQuestionPrompt(text)) return (/^Problem: (.*?)\n\n/s.exec(text)?.[1] ?? "").trim()
  if (TokenVerdict.read(request) !== undefined) return undefined
  return text
}

/**
 * Why the world cannot model a request's question, or `undefined` when it answers it properly. Such requests get a
 * short, wrong, finished answer from `complete`.
 */
export const unmodelled = (request: LanguageModel.GenerateRequest): FreeText.NotModelled | undefined => {
  const question = questionOf(request)
  if (question === undefined) return undefined
  const understood = Recognition.understand(question)
  return Result.isFailure(understood) ? understood.failure : undefined
}

/** Answers a generation request in the world. */
export const complete = (environment: Environment, request: LanguageModel.GenerateRequest): ReadonlyArray<LanguageModel.Completion> => {
  const text = Sampling.lastUserText(request.messages)
  if (Judging.isPrompt(text)) return Judging.complete(environment, request, text)
  if (Verification.isPrompt(text)) return Verification.complete(environment, request, text)
  if (Planning.isPlanPrompt(text)) return Planning.completePlan(environment, request, text)
  if (Planning.isSubQuestionPrompt(text)) return Planning.completeSubQuestion(environment, request, text)
  const verdict = TokenVerdict.read(request)
  if (verdict !== undefined) return TokenVerdict.complete(environment, request, verdict)
  return Policy.complete(environment, request)
}
