import type { LanguageModel } from "@stepwise/core"
import { Usage } from "@stepwise/core"
import type { Environment } from "./Environment.js"
import * as Environment_ from "./Environment.js"
import * as Recognition from "./Recognition.js"
import * as Sampling from "./Sampling.js"
import * as Seeded from "./Seeded.js"
import * as Solution from "./Solution.js"
import * as Tokens from "./Tokens.js"

/**
 * ThinkPRM-style generative verification, answered by the simulated policy: a verification chain with one
 * `\boxed{correct}` / `\boxed{incorrect}` per step (each right with the configured accuracy), and a yes/no
 * decision with token logprobs consistent with the chain.
 */

/** The opening of a verification prompt. */
export const opening = "You are given a math problem and a proposed step-by-step solution:"
/** The assistant prefix that opens a verification chain. */
export const chainOpening = "Let's verify step by step:"
/** The question that closes a chain and opens the decision. */
export const decisionQuestion = "Is the solution correct?"

/**
 * Builds the verification prompt for a question and step texts (newlines inside a step become spaces).
 * Use in tests and examples. The verifiers package's `ThinkPrm` builds the same layout but keeps newlines inside a
 * step and drops a step's own leading "Step N:" label, as ThinkPRM's reference does; the world reads both.
 */
export const prompt = (question: string, steps: ReadonlyArray<string>): string =>
  `${opening}\n\n[Math Problem]\n\n${question}\n\n[Solution]\n\n${steps
    .map((step, index) => `Step ${index + 1}: ${step.replace(/\n/g, " ")}`)
    .join("\n")}\n\nReview and critique each step in the proposed solution to determine whether each step is correct. If the solution is incomplete, only verify the provided steps.`

/** True when a user message is a verification prompt. */
export const isPrompt = (text: string): boolean => text.startsWith(opening)

/** The question and step texts of a verification prompt. */
export const parsePrompt = (text: string): { readonly question: string; readonly steps: ReadonlyArray<string> } => {
  const problemMarker = "[Math Problem]\n\n"
  const solutionMarker = "\n\n[Solution]\n\n"
  const problemAt = text.indexOf(problemMarker)
  const solutionAt = text.indexOf(solutionMarker)
  const reviewAt = text.lastIndexOf("\n\nReview and critique")
  if (problemAt < 0 || solutionAt < 0) return { question: "", steps: [] }
  const question = text.slice(problemAt + problemMarker.length, solutionAt).trim()
  const solution = text.slice(solutionAt + solutionMarker.length, reviewAt < 0 ? undefined : reviewAt)
  const steps = solution
    .split(/\n(?=Step \d+: )/)
    .map((step) => step.replace(/^Step \d+: /, "").trim())
    .filter((step) => step.length > 0)
  return { question, steps }
}

const computationOf = (text: string): string | undefined => {
  const matches = text.match(/-?\d+ [-+*/] -?\d+ = -?\d+/g)
  return matches === null ? undefined : matches[matches.length - 1]
}

const critique = (step: string, verdict: boolean): string => {
  const computation = computationOf(step)
  if (computation === undefined)
    return verdict ? "This step restates what is known and introduces no error." : "This step does not follow from the problem."
  return verdict
    ? `The step computes ${computation}, which applies the right change to the right count.`
    : `The step computes ${computation}, which does not match the change the problem describes.`
}

/** Per-step ground truth for a verification prompt: right-so-far, and trapped; `undefined` for unknown problems. */
const truthOf = (
  question: string,
  steps: ReadonlyArray<string>
): ReadonlyArray<Solution.State> | undefined => {
  const problem = Recognition.recognize(question)
  return problem === undefined ? undefined : Solution.readAll(problem, steps)
}

const countVerdicts = (text: string): number => (text.match(/\\boxed\{(?:in)?correct\}/g) ?? []).length

/** The verdict (true = "correct") a chain gives step `index`, for a sample. */
export const verdict = (
  environment: Environment,
  states: ReadonlyArray<Solution.State> | undefined,
  fooled: boolean,
  key: number,
  index: number
): boolean => {
  const u = Seeded.uniform(Seeded.combine(key, index))
  const state = states?.[index]
  if (state === undefined) return u < 0.5
  if (state.trapped && fooled) return true
  const right = !state.derailed
  return u < environment.preset.generativeVerifier.accuracy ? right : !right
}

/**
 * The top alternatives of a yes/no answer token with P(yes) = `yes`: `yes`, `no`, ` Yes`, ` No` and `The`, in that
 * order. Use for any yes/no decision the world answers.
 */
export const yesNoTop = (yes: number): ReadonlyArray<{ readonly token: string; readonly logprob: number }> => [
  { token: "yes", logprob: Math.log(yes * 0.96) },
  { token: "no", logprob: Math.log((1 - yes) * 0.96) },
  { token: " Yes", logprob: Math.log(yes * 0.03) },
  { token: " No", logprob: Math.log((1 - yes) * 0.03) },
  { token: "The", logprob: Math.log(0.01) }
]

/** The marker that opens a "double check" round of a chain (ThinkPRM's sequential scaling). */
export const doubleCheck = "Let me double check"

/** Every phrase that opens a further round of a chain: ThinkPRM's reference triggers, in the order it uses them. */
export const doubleCheckTriggers: ReadonlyArray<string> = [doubleCheck, "Let's verify again", "Did I miss something?"]

const triggerPattern = /Let me double check|Let's verify again|Did I miss something\?/g

/** How many further rounds a chain has begun, and where the last one begins (after its trigger). */
const lastRoundOf = (chain: string): { readonly rounds: number; readonly start: number } => {
  let rounds = 0
  let start = 0
  for (const match of chain.matchAll(triggerPattern)) {
    rounds++
    start = (match.index ?? 0) + match[0].length
  }
  return { rounds, start }
}

/**
 * Whether a chain found an incorrect step: any `\boxed{incorrect}`; when the chain has double-check rounds, the
 * last judgement of each step counts.
 */
export const chainFindsError = (chain: string): boolean => {
  if (lastRoundOf(chain).rounds === 0) return /\\boxed\{incorrect\}/.test(chain)
  const last = new Map<string, string>()
  for (const match of chain.matchAll(/Step (\d+):[^\n]*?\\boxed\{(correct|incorrect)\}/g)) last.set(match[1] ?? "", match[2] ?? "")
  return [...last.values()].includes("incorrect")
}

/** Answers a verification request: a chain, or (after "Is the solution correct? ") the yes/no decision. */
export const complete = (
  environment: Environment,
  request: LanguageModel.GenerateRequest,
  text: string
): ReadonlyArray<LanguageModel.Completion> => {
  const { question, steps } = parsePrompt(text)
  const promptTokens = Tokens.prompt(request.messages, request.prefix)
  const problem = Recognition.recognize(question)
  const states = truthOf(question, steps)
  const fooled = problem === undefined ? false : Environment_.latentOf(environment, problem).verificationFooled
  const prefix = request.prefix ?? ""
  const base = Seeded.hashText(prefix, Sampling.promptHash(environment.seed, request.messages))
  const completions: Array<LanguageModel.Completion> = []
  if (prefix.trimEnd().endsWith(decisionQuestion)) {
    const chain = prefix.slice(prefix.indexOf(chainOpening) + 1)
    const incorrect = chainFindsError(chain)
    const judged = countVerdicts(chain) > 0
    const confidence = environment.preset.generativeVerifier.confidence
    const noise = 0.6 * Seeded.normal(Seeded.uniform(Seeded.combine(base, 1)), Seeded.uniform(Seeded.combine(base, 2)))
    const yes = Seeded.sigmoid((judged ? (incorrect ? -confidence : confidence) : 0) + noise)
    const temperature = Sampling.temperatureOf(request)
    for (let index = 0; index < request.n; index++) {
      const draw = Seeded.uniform(Seeded.combine(base, Sampling.sampleKey(request, index)))
      const sharpened = temperature === 0 ? (yes >= 0.5 ? 1 : 0) : yes
      const token = draw < sharpened ? "yes" : "no"
      const top = yesNoTop(yes)
      const chosen = top.find((candidate) => candidate.token === token) ?? { token, logprob: 0 }
      const wanted = Math.max(2, request.topLogprobs ?? 0)
      completions.push({
        index,
        text: token,
        finishReason: request.maxTokens === 1 ? "length" : "eos",
        usage: Usage.make({ inputTokens: index === 0 ? promptTokens : 0, outputTokens: 1, cachedInputTokens: 0 }),
        ...(request.logprobs === true || request.topLogprobs !== undefined
          ? { logprobs: [{ token, logprob: chosen.logprob, top: top.slice(0, wanted) }] }
          : {})
      })
    }
    return completions
  }
  // A double-check round (after any trigger) judges every step again, with its own draws; a partial round is continued.
  const { rounds, start } = lastRoundOf(prefix)
  const round = rounds === 0 ? prefix : prefix.slice(start)
  const already = countVerdicts(round)
  const opening = rounds > 0 && already === 0 && !round.includes("\n") && prefix.slice(0, start).endsWith(doubleCheck) ? " each step again:" : ""
  for (let index = 0; index < request.n; index++) {
    // The prefix is part of the key, so each round draws afresh.
    const key = Seeded.combine(base, Sampling.sampleKey(request, index))
    let position = already
    let closed = false
    let opened = opening.length === 0
    const source: Sampling.Source = () => {
      if (closed) return undefined
      if (!opened) {
        opened = true
        return opening
      }
      const step = steps[position]
      if (step === undefined) {
        closed = true
        return `\n${decisionQuestion} ${countVerdictsOfSample(environment, states, fooled, key, already, steps.length) ? "Yes" : "No"}`
      }
      const judgement = verdict(environment, states, fooled, key, position)
      position++
      return `\nStep ${position}: ${critique(step, judgement)} \\boxed{${judgement ? "correct" : "incorrect"}}`
    }
    const result = Sampling.cut(source, request)
    completions.push(Sampling.completion(request, index, result, promptTokens, key, { settings: environment.preset.confidence }))
  }
  return completions
}

const countVerdictsOfSample = (
  environment: Environment,
  states: ReadonlyArray<Solution.State> | undefined,
  fooled: boolean,
  key: number,
  from: number,
  count: number
): boolean => {
  for (let index = from; index < count; index++) if (!verdict(environment, states, fooled, key, index)) return false
  return true
}
