import type { LanguageModel } from "@stepwise/core"
import type { Environment } from "./Environment.js"
import * as Policy from "./Policy.js"
import * as Recognition from "./Recognition.js"
import * as Sampling from "./Sampling.js"
import * as Seeded from "./Seeded.js"
import * as Tokens from "./Tokens.js"
import type { Kind, Operation, WordProblem } from "./WordProblem.js"

/**
 * Planning prompts (for Plan-and-Budget, arXiv 2505.16122): the policy decomposes a problem into numbered
 * sub-questions, one per operation of the problem, with the world's noise — at temperature T it merges an operation
 * into the sub-question before it with probability `planning.mergeRate`·T/T_ref and leaves one out with
 * `planning.skipRate`·T/T_ref (greedy plans are exact). Each sub-question, asked alone with the previous sub-answers as
 * context, is answered like steps of the problem: the same error model at the same depths, ending
 * `So the answer is $\boxed{v}$.`.
 *
 * Formats (one user message each):
 * - plan: `Planning.planPrompt(question)` — it starts with `Planning.planOpening`; the answer is `1. …\n2. …`;
 * - sub-question: `Planning.subQuestionPrompt(question, answered, next)` — `Problem: …`, then one
 *   `Sub-question k: …\nAnswer: …` block per answered sub-question, then `Sub-question n: …`, and the closing line
 *   `Planning.subQuestionClosing`.
 */

/** The first sentence of a planning prompt. */
export const planOpening = "Decompose the problem below into sub-questions."

/** The last line of a sub-question prompt. */
export const subQuestionClosing = "Answer the last sub-question."

/**
 * The planning prompt for a question.
 *
 * @example
 * world.languageModel.generate({ messages: [Message.user(Planning.planPrompt(problem.question))], n: 1, maxTokens: 512 })
 */
export const planPrompt = (question: string): string =>
  `${planOpening} Answer with a numbered list, one sub-question per line ("1. ..."), in the order they must be answered, ` +
  `the last one giving the final answer; do not answer them.\n\nProblem: ${question}`

/** A sub-question answered before, given as context to the next one. */
export interface Answered {
  readonly subQuestion: string
  readonly answer: string
}

/** The prompt asking one sub-question, with the sub-questions answered so far as context. */
export const subQuestionPrompt = (question: string, answered: ReadonlyArray<Answered>, next: string): string =>
  `Problem: ${question}\n\n` +
  answered.map((entry, index) => `Sub-question ${index + 1}: ${entry.subQuestion}\nAnswer: ${entry.answer}\n\n`).join("") +
  `Sub-question ${answered.length + 1}: ${next}\n${subQuestionClosing}`

/** True when a user message is a planning prompt. */
export const isPlanPrompt = (text: string): boolean => text.startsWith(planOpening)

/** True when a user message is a sub-question prompt. */
export const isSubQuestionPrompt = (text: string): boolean =>
  text.startsWith("Problem: ") && text.trimEnd().endsWith(subQuestionClosing) && /\n\nSub-question \d+: /.test(text)

/** The numbered sub-questions of a plan (lines `1. …` or `1) …`), in order. */
export const parsePlan = (text: string): ReadonlyArray<string> =>
  text
    .split("\n")
    .map((line) => /^\s*\d+[.)]\s+(.+?)\s*$/.exec(line)?.[1])
    .filter((line): line is string => line !== undefined)

const phrase = (problem: WordProblem, operation: Operation): string =>
  operation.kind === "add"
    ? `${problem.name} gets ${operation.operand} more ${problem.items}`
    : operation.kind === "subtract"
      ? `${problem.name} gives away ${operation.operand} ${problem.items}`
      : operation.kind === "multiply"
        ? `the number of ${problem.items} becomes ${operation.operand} times as many`
        : `the ${problem.items} are split into ${operation.operand} equal piles and ${problem.name} keeps one pile`

const phrasePatterns: ReadonlyArray<readonly [Kind, RegExp]> = [
  ["add", /\bgets (\d+) more\b/],
  ["subtract", /\bgives away (\d+)\b/],
  ["multiply", /\bbecomes (\d+) times as many\b/],
  ["divide", /\bsplit into (\d+) equal piles\b/]
]

/** The sub-question covering some operations: from the start (the first) or from the previous sub-answer. */
export const subQuestion = (problem: WordProblem, operations: ReadonlyArray<Operation>, number: number): string =>
  `Starting from ${number === 1 ? `${problem.start} ${problem.items}` : `the answer to sub-question ${number - 1}`}, ` +
  `${operations.map((operation) => phrase(problem, operation)).join(", then ")}. How many ${problem.items} are there now?`

/** The operations a sub-question names, in order (`undefined` when it names none the world writes). */
const operationsOf = (text: string): ReadonlyArray<Operation> | undefined => {
  const clauses = text.replace(/\. How many .*$/, "").split(", then ")
  const operations: Array<Operation> = []
  for (const clause of clauses) {
    for (const [kind, pattern] of phrasePatterns) {
      const match = pattern.exec(clause)
      if (match !== null) {
        operations.push({ kind, operand: Number(match[1]) })
        break
      }
    }
  }
  return operations.length === 0 ? undefined : operations
}

/** The sub-question plans of one sample: groups of operations, some merged, some left out. */
const groupsOf = (problem: WordProblem, next: () => number, scale: number, mergeRate: number, skipRate: number): ReadonlyArray<ReadonlyArray<Operation>> => {
  const groups: Array<Array<Operation>> = []
  problem.operations.forEach((operation, index) => {
    const u = next()
    const last = groups[groups.length - 1]
    if (u < Math.min(1, mergeRate * scale)) {
      if (last === undefined) groups.push([operation])
      else last.push(operation)
    } else if (u < Math.min(1, (mergeRate + skipRate) * scale) && !(index === problem.operations.length - 1 && groups.length === 0)) return
    else groups.push([operation])
  })
  return groups
}

const planFallback = (question: string): string => `1. ${question.replace(/\s+/g, " ").trim()}`

/** Answers a planning request: a numbered list of sub-questions per sample. */
export const completePlan = (environment: Environment, request: LanguageModel.GenerateRequest, text: string): ReadonlyArray<LanguageModel.Completion> => {
  const question = text.slice(text.indexOf("\n\nProblem: ") + "\n\nProblem: ".length).trim()
  const problem = Recognition.recognize(question)
  const promptTokens = Tokens.prompt(request.messages, request.prefix)
  const base = Seeded.hashText(request.prefix ?? "", Sampling.promptHash(environment.seed, request.messages))
  const policy = environment.preset.policy
  const scale = Sampling.temperatureOf(request) / Math.max(policy.referenceTemperature, 1e-6)
  const completions: Array<LanguageModel.Completion> = []
  for (let index = 0; index < request.n; index++) {
    const key = Seeded.combine(base, Sampling.sampleKey(request, index))
    const plan =
      problem === undefined
        ? planFallback(question)
        : groupsOf(problem, Seeded.stream(Seeded.key(key, "plan")), scale, environment.preset.planning.mergeRate, environment.preset.planning.skipRate)
            .map((group, position) => `${position + 1}. ${subQuestion(problem, group, position + 1)}`)
            .join("\n")
    completions.push(Sampling.completion(request, index, Sampling.cut(Sampling.single(plan), request), promptTokens, key, { settings: environment.preset.confidence }))
  }
  return completions
}

/** What a sub-question prompt holds: the question, the answered sub-questions and the one asked. */
const parseSubQuestionPrompt = (text: string) => {
  const body = text.trimEnd().slice(0, -subQuestionClosing.length)
  const blocks = body.split(/\n\n(?=Sub-question \d+: )/)
  const question = (blocks[0] ?? "").replace(/^Problem: /, "").trim()
  const subQuestions = blocks.slice(1).map((block) => {
    const answer = /\nAnswer: (.*)$/.exec(block.trimEnd())?.[1]
    return { text: block.replace(/^Sub-question \d+: /, "").replace(/\nAnswer: .*$/, "").trim(), answer }
  })
  return { question, answered: subQuestions.slice(0, -1), asked: subQuestions[subQuestions.length - 1]?.text ?? "" }
}

const matchesAt = (problem: WordProblem, operations: ReadonlyArray<Operation>, at: number): boolean =>
  operations.every((operation, offset) => {
    const target = problem.operations[at + offset]
    return target !== undefined && target.kind === operation.kind && target.operand === operation.operand
  })

/** The closing of a sub-question's answer. */
export const answerClosing = (value: number): string => `So the answer is $\\boxed{${value}}$.`

/**
 * Answers a sub-question request like steps of the problem: from the previous sub-answer (or the start), the
 * operations it names, at their depths in the problem, with the world's error model.
 */
export const completeSubQuestion = (
  environment: Environment,
  request: LanguageModel.GenerateRequest,
  text: string
): ReadonlyArray<LanguageModel.Completion> => {
  const { question, answered, asked } = parseSubQuestionPrompt(text)
  const problem = Recognition.recognize(question)
  const operations = operationsOf(asked)
  if (problem === undefined || operations === undefined) return Policy.continueSolution(environment, request, undefined)
  const covered = answered.reduce((total, entry) => total + (operationsOf(entry.text)?.length ?? 0), 0)
  let position = -1
  for (let at = covered; at < problem.operations.length && position < 0; at++) if (matchesAt(problem, operations, at)) position = at
  for (let at = 0; at < covered && position < 0; at++) if (matchesAt(problem, operations, at)) position = at
  if (position < 0) return Policy.continueSolution(environment, request, undefined)
  const from = /^Starting from the answer to sub-question (\d+)/.exec(asked)
  const previous = from === null ? undefined : answered[Number(from[1]) - 1]?.answer
  const digits = previous?.match(/-?\d+/g)
  const parsed = digits === null || digits === undefined ? Number.NaN : Number(digits[digits.length - 1])
  const start = from === null ? Number(/^Starting from (-?\d+)/.exec(asked)?.[1] ?? problem.start) : Number.isFinite(parsed) ? parsed : problem.start
  return Policy.continueSolution(environment, request, {
    problem,
    initial: {
      steps: 0,
      progress: position,
      value: start,
      derailed: start !== problem.values[position],
      trapped: false,
      finished: false,
      answer: undefined
    },
    until: position + operations.length,
    closing: answerClosing
  })
}
