import type { LanguageModel } from "@stepwise/core"
import * as Confidence from "./Confidence.js"
import type { Environment } from "./Environment.js"
import * as Environment_ from "./Environment.js"
import * as Latent from "./Latent.js"
import * as Recognition from "./Recognition.js"
import * as Sampling from "./Sampling.js"
import * as Seeded from "./Seeded.js"
import * as Solution from "./Solution.js"
import * as Tokens from "./Tokens.js"
import * as Verification from "./Verification.js"
import type { Kind, WordProblem } from "./WordProblem.js"
import * as WordProblem_ from "./WordProblem.js"

/**
 * The simulated policy: continues a solution one step at a time following the step protocol (steps separated by
 * blank lines, the last one boxed), erring as the world's preset says. Pure: every completion is a function of
 * the world, the prompt, the prefix, the request seed, the sample index and the temperature.
 */

/** The system prompt of the world's problems (the search-and-learn convention). */
export const systemPrompt =
  "Solve the following math problem efficiently and clearly. Think step by step, writing each step as " +
  '"## Step k: ..." and separating steps with a blank line. End with the sentence "Therefore, the final answer is: ' +
  '$\\boxed{answer}$." where answer is just the final number.'

/** One step the policy writes, and the state after it. */
export interface Written {
  readonly text: string
  readonly state: Solution.State
  readonly kind: Solution.StepKind
}

const slipDeltas = [1, -1, 2, -2, 10, -10, 3, -3, 100, -100]

const slipOf = (value: number, u: number): number => {
  if (u < 0.15 && Math.abs(value) >= 10) {
    // Swap the last two digits.
    const digits = String(Math.abs(value)).split("")
    const last = digits.length - 1
    const a = digits[last - 1] ?? "0"
    const b = digits[last] ?? "0"
    if (a !== b) {
      digits[last - 1] = b
      digits[last] = a
      return Math.sign(value) * Number(digits.join(""))
    }
  }
  const delta = slipDeltas[Math.floor(u * slipDeltas.length) % slipDeltas.length] ?? 1
  const slipped = value + delta
  return slipped === value ? value + 1 : slipped
}

const wrongOperand = (problem: WordProblem, kind: Kind, value: number, operand: number, u: number): number | undefined => {
  if (kind === "divide") {
    const divisors = [2, 3, 4, 5, 6, 7, 8, 9].filter((divisor) => divisor !== operand && value % divisor === 0)
    return divisors.length === 0 ? undefined : divisors[Math.floor(u * divisors.length) % divisors.length]
  }
  // Half the time reuse another number from the problem (a classic misread), else an off-by-a-little operand.
  const others = problem.operations.map((operation) => operation.operand).filter((other) => other !== operand)
  if (u < 0.5 && others.length > 0) {
    const other = others[Math.floor(u * 2 * others.length) % others.length] ?? operand + 1
    return kind === "multiply" ? Math.max(2, Math.min(other, 12)) === operand ? operand + 1 : Math.max(2, Math.min(other, 12)) : other
  }
  const shift = [1, -1, 2, -2][Math.floor(u * 8) % 4] ?? 1
  const candidate = operand + shift
  return candidate < (kind === "multiply" ? 2 : 1) ? operand + 1 : candidate
}

/**
 * Writes the next step from a state with a stream of uniforms. Use through `complete`; exposed for calibration.
 */
export const nextStep = (
  environment: Environment,
  problem: WordProblem,
  state: Solution.State,
  next: () => number,
  temperature: number
): Written => {
  const preset = environment.preset
  const latent = Environment_.latentOf(environment, problem)
  const number = state.steps + 1
  const count = problem.operations.length
  const operation = problem.operations[state.progress]
  if (operation === undefined || state.finished) {
    const text = Solution.writeClosing(number, state.value)
    return { text, state: Solution.read(problem, state, text), kind: state.derailed ? "slip" : "correct" }
  }
  const digressionDraw = next()
  const decision = next()
  const style = next()
  const detail = next()
  if (digressionDraw < Latent.digressionProbability(preset, temperature) && state.steps < count + 8) {
    const text = Solution.writeDigression(problem, number, state.value, style)
    return { text, state: Solution.read(problem, state, text), kind: "digression" }
  }
  const input = state.value
  const final = state.progress + 1 === count
  const truth = problem.values[state.progress + 1] ?? 0
  const write = (kind: Kind, leadKind: Kind, operand: number, result: number, stepKind: Solution.StepKind): Written => {
    const text = Solution.writeComputation(problem, {
      number,
      leadKind,
      leadOperand: operand,
      kind,
      input,
      operand,
      result,
      final,
      style
    })
    return { text, state: Solution.read(problem, state, text), kind: stepKind }
  }
  let u = decision
  const trap = problem.trap
  if (latent.trapActive && trap !== undefined && trap.step === state.progress && !state.derailed) {
    if (u < latent.trapPull) return write(trap.kind, trap.kind, operation.operand, trap.value, "trap")
    u = (u - latent.trapPull) / (1 - latent.trapPull)
  }
  const erring = u < Latent.errorProbability(preset, problem, latent, state.progress, temperature)
  const lucky = final && (erring || state.derailed) && next() < preset.policy.luckyRate
  if (lucky) return write(operation.kind, operation.kind, operation.operand, problem.answer, "lucky")
  if (!erring) {
    return write(operation.kind, operation.kind, operation.operand, WordProblem_.apply(operation.kind, input, operation.operand), "correct")
  }
  // An error never lands back on the ground-truth chain: only a lucky final answer does.
  if (detail >= preset.policy.slipShare) {
    const operand = wrongOperand(problem, operation.kind, input, operation.operand, (detail - preset.policy.slipShare) / (1 - preset.policy.slipShare))
    if (operand !== undefined && WordProblem_.apply(operation.kind, input, operand) !== truth) {
      return write(operation.kind, operation.kind, operand, WordProblem_.apply(operation.kind, input, operand), "operand")
    }
  }
  const slipped = slipOf(WordProblem_.apply(operation.kind, input, operation.operand), detail)
  return write(operation.kind, operation.kind, operation.operand, slipped === truth ? slipped + 1 : slipped, "slip")
}

const answerFallback =
  "## Step 1: The question does not give enough information to compute an answer. Therefore, the final answer is: $\\boxed{0}$."

/** Splits an assistant prefix into complete steps (a trailing partial step counts as complete). */
export const prefixSteps = (prefix: string | undefined): ReadonlyArray<string> => {
  if (prefix === undefined || prefix.length === 0) return []
  return prefix.split("\n\n").filter((step) => step.trim().length > 0)
}

/**
 * Where a continuation starts and where it ends: the problem, the solver's state before the assistant prefix, and
 * optionally the progress (operations applied) at which to stop, closing the last step with `closing(value)` when
 * it did not already state a boxed answer. Use for a sub-question answered like a run of steps.
 */
export interface Continuation {
  readonly problem: WordProblem
  readonly initial: Solution.State
  readonly until?: number
  readonly closing?: (value: number) => string
}

/**
 * Continues a solution from a request's prefix, one step per chunk, honouring the request's stop sequences and
 * token limit; without a continuation (an unknown question) it writes a short, wrong, finished answer.
 */
export const continueSolution = (
  environment: Environment,
  request: LanguageModel.GenerateRequest,
  continuation: Continuation | undefined
): ReadonlyArray<LanguageModel.Completion> => {
  const problem = continuation?.problem
  const promptTokens = Tokens.prompt(request.messages, request.prefix)
  const temperature = Sampling.temperatureOf(request)
  let baseHash = Sampling.promptHash(environment.seed, request.messages)
  let baseState = continuation?.initial
  for (const step of prefixSteps(request.prefix)) {
    baseHash = Seeded.hashText(step, baseHash)
    if (problem !== undefined && baseState !== undefined) baseState = Solution.read(problem, baseState, step)
  }
  const settings = environment.preset.confidence
  const confidence: Sampling.Confidence =
    problem === undefined || baseState === undefined
      ? { settings }
      : { settings, weights: (text) => Confidence.stepWeights(settings, problem, baseState, text.split("\n\n")) }
  const until = continuation?.until
  const closing = continuation?.closing ?? Solution.closing
  const completions: Array<LanguageModel.Completion> = []
  for (let index = 0; index < request.n; index++) {
    const sample = Sampling.sampleKey(request, index)
    let source: Sampling.Source
    if (problem === undefined || baseState === undefined) source = Sampling.single(answerFallback)
    else {
      let state = baseState
      let hash = baseHash
      source = () => {
        if (state.finished || (until !== undefined && state.progress >= until)) return undefined
        const before = state
        const written = nextStep(environment, problem, state, Seeded.stream(Seeded.combine(hash, sample)), temperature)
        hash = Seeded.hashText(written.text, hash)
        state = written.state
        let text = written.text
        if (until !== undefined && state.progress >= until && !state.finished) {
          text = `${written.text} ${closing(state.value)}`
          state = Solution.read(problem, before, text)
        }
        return state.finished ? text : `${text}\n\n`
      }
    }
    const result = Sampling.cut(source, request)
    completions.push(Sampling.completion(request, index, result, promptTokens, Seeded.combine(baseHash, sample), confidence))
  }
  return completions
}

/**
 * Answers a generation request: a ThinkPRM-style verification prompt is handed to `Verification`; a problem of
 * the world (generated, or free text it reads) is continued from its prefix; anything else gets a short, wrong,
 * finished answer. `Router.complete` also answers the other prompt formats (planning, judges, token verdicts).
 */
export const complete = (
  environment: Environment,
  request: LanguageModel.GenerateRequest
): ReadonlyArray<LanguageModel.Completion> => {
  const question = Sampling.lastUserText(request.messages)
  if (Verification.isPrompt(question)) return Verification.complete(environment, request, question)
  const problem = Recognition.recognize(question)
  return continueSolution(environment, request, problem === undefined ? undefined : { problem, initial: Solution.initial(problem) })
}
