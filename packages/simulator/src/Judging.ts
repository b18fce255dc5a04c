import type { LanguageModel } from "@stepwise/core"
import { Usage } from "@stepwise/core"
import type { Environment } from "./Environment.js"
import * as Environment_ from "./Environment.js"
import * as Recognition from "./Recognition.js"
import * as Sampling from "./Sampling.js"
import * as Seeded from "./Seeded.js"
import * as Solution from "./Solution.js"
import * as Tokens from "./Tokens.js"
import * as Verification from "./Verification.js"

/**
 * Pointwise judge prompts (the verifiers package's `Judge`): the verification prompt's problem and solution,
 * closed by `Is Step k, given the steps before it, correct? Answer with yes or no.` (or `the solution`), or by the
 * 0–10 `Rate the correctness of …` question. The world answers like its generative verifier: the verdict on the
 * judged step (right so far) is right with probability `generativeVerifier.accuracy` (trap steps pass on fooled
 * problems); P(yes) = sigmoid(±confidence + noise). A yes/no answer is `yes` or `no` with the top logprobs of
 * `Verification.yesNoTop`; a grade is round(10·P(yes)).
 */

const questionPattern =
  /\n\n(?:Is (?:Step (\d+), given the steps before it|the solution) correct\? Answer with yes or no\.|Rate the correctness of (?:Step (\d+), given the steps before it|the solution) from 0 \(completely wrong\) to 10 \(completely correct\)\. Answer with a single integer\.)$/

/** True when a user message is a judge prompt. */
export const isPrompt = (text: string): boolean => Verification.isPrompt(text) && questionPattern.test(text)

/** Answers a judge request: one verdict per sample, as `yes`/`no` or a 0–10 grade. */
export const complete = (environment: Environment, request: LanguageModel.GenerateRequest, text: string): ReadonlyArray<LanguageModel.Completion> => {
  const match = questionPattern.exec(text)
  const scale = match?.[0].includes("Rate the correctness") === true
  const body = match === null ? text : text.slice(0, match.index)
  const { question, steps } = Verification.parsePrompt(`${body}\n\nReview and critique`)
  const problem = Recognition.recognize(question)
  const states = problem === undefined ? undefined : Solution.readAll(problem, steps)
  const fooled = problem === undefined ? false : Environment_.latentOf(environment, problem).verificationFooled
  const judged = Math.max(0, Number(match?.[1] ?? match?.[2] ?? steps.length) - 1)
  const promptTokens = Tokens.prompt(request.messages, request.prefix)
  const base = Seeded.hashText(request.prefix ?? "", Sampling.promptHash(environment.seed, request.messages))
  const temperature = Sampling.temperatureOf(request)
  const confidence = environment.preset.generativeVerifier.confidence
  const completions: Array<LanguageModel.Completion> = []
  for (let index = 0; index < request.n; index++) {
    const key = Seeded.combine(base, Sampling.sampleKey(request, index))
    const right = Verification.verdict(environment, states, fooled, key, judged)
    const noise = 0.6 * Seeded.normal(Seeded.uniform(Seeded.combine(key, 1)), Seeded.uniform(Seeded.combine(key, 2)))
    const yes = Seeded.sigmoid((right ? confidence : -confidence) + noise)
    const draw = Seeded.uniform(Seeded.combine(key, 3))
    const top = scale ? gradeTop(Math.round(10 * yes)) : Verification.yesNoTop(yes)
    const answer = scale ? String(Math.round(10 * yes)) : (temperature === 0 ? yes >= 0.5 : draw < yes) ? "yes" : "no"
    const result = Sampling.cut(Sampling.single(answer), request)
    const chosen = top.find((candidate) => candidate.token === answer) ?? { token: answer, logprob: 0 }
    const wanted = Math.max(2, request.topLogprobs ?? 0)
    completions.push({
      index,
      text: result.text,
      finishReason: result.finishReason,
      usage: Usage.make({ inputTokens: index === 0 ? promptTokens : 0, outputTokens: result.outputTokens, cachedInputTokens: 0 }),
      ...((request.logprobs === true || request.topLogprobs !== undefined) && result.text === answer
        ? { logprobs: [{ token: answer, logprob: chosen.logprob, top: top.slice(0, wanted) }] }
        : {})
    })
  }
  return completions
}

/** Top alternatives of a 0–10 grade token: the grade most likely, its neighbours less. */
const gradeTop = (grade: number): ReadonlyArray<{ readonly token: string; readonly logprob: number }> =>
  [
    { token: String(grade), logprob: Math.log(0.7) },
    { token: String(Math.max(0, grade - 1)), logprob: Math.log(0.12) },
    { token: String(Math.min(10, grade + 1)), logprob: Math.log(0.12) },
    { token: String(Math.max(0, grade - 2)), logprob: Math.log(0.03) },
    { token: String(Math.min(10, grade + 2)), logprob: Math.log(0.03) }
  ].filter((entry, position, all) => all.findIndex((other) => other.token === entry.token) === position)
