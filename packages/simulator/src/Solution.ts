import { Answer } from "@stepwise/core"
import type { Kind, WordProblem } from "./WordProblem.js"
import * as WordProblem_ from "./WordProblem.js"

/**
 * Solution steps of the simulated world: how the policy writes a step, and how any step text is read back into
 * the solver's state (progress, running count, whether the solution has gone wrong and whether by the trap).
 * The reading is what gives every step its ground-truth label.
 */

/** What a step did. */
export type StepKind = "correct" | "slip" | "operand" | "trap" | "digression" | "lucky" | "unknown"

/** The solver's state after some steps. */
export interface State {
  /** Steps written so far (digressions included). */
  readonly steps: number
  /** Operations applied so far. */
  readonly progress: number
  /** The running count as the solution has it. */
  readonly value: number
  /** True once the running count left the ground-truth chain (it stays true: a later lucky answer does not undo it). */
  readonly derailed: boolean
  /** True while the only departure from the ground truth is the problem's trap. */
  readonly trapped: boolean
  /** True once a step stated a boxed answer. */
  readonly finished: boolean
  /** The boxed answer, once stated. */
  readonly answer: string | undefined
}

/** The state before any step. */
export const initial = (problem: WordProblem): State => ({
  steps: 0,
  progress: 0,
  value: problem.start,
  derailed: false,
  trapped: false,
  finished: false,
  answer: undefined
})

/** One step read back: its kind as far as the text shows, and the state after it. */
export interface Reading {
  readonly computation: boolean
  readonly state: State
}

const computationPattern = /(-?\d+) ([-+*/]) (-?\d+) = (-?\d+)/g

const kindOfSymbol = (symbol: string): Kind =>
  symbol === "+" ? "add" : symbol === "-" ? "subtract" : symbol === "*" ? "multiply" : "divide"

/** A step's computation: `input op operand = result`, the last one the text states. */
export interface Computation {
  readonly input: number
  readonly kind: Kind
  readonly operand: number
  readonly result: number
}

/** The last computation a step text states, or `undefined` for a step without one. */
export const computationOf = (text: string): Computation | undefined => {
  let last: RegExpExecArray | null = null
  computationPattern.lastIndex = 0
  for (let match = computationPattern.exec(text); match !== null; match = computationPattern.exec(text)) last = match
  if (last === null) return undefined
  return { input: Number(last[1]), kind: kindOfSymbol(last[2] ?? "+"), operand: Number(last[3]), result: Number(last[4]) }
}

/** Reads one step text on top of a state. A step without a computation makes no progress (a digression). */
export const read = (problem: WordProblem, state: State, text: string): State => {
  let last: RegExpExecArray | null = null
  computationPattern.lastIndex = 0
  for (let match = computationPattern.exec(text); match !== null; match = computationPattern.exec(text)) last = match
  const boxed = text.includes("boxed") ? Answer.extractBoxed(text) : undefined
  if (last === null) {
    const boxedValue = boxed === undefined ? Number.NaN : Number(Answer.normalize(boxed))
    const derailed = state.derailed || (boxed !== undefined && boxedValue !== problem.answer)
    return {
      ...state,
      steps: state.steps + 1,
      derailed,
      trapped: state.trapped && !(boxed !== undefined && boxedValue !== state.value),
      finished: state.finished || boxed !== undefined,
      answer: boxed ?? state.answer
    }
  }
  const input = Number(last[1])
  const operation = kindOfSymbol(last[2] ?? "+")
  const operand = Number(last[3])
  const result = Number(last[4])
  const expected = problem.operations[state.progress]
  const progress = state.progress + 1
  const truth = problem.values[progress]
  const consistent =
    expected !== undefined &&
    input === state.value &&
    operation === expected.kind &&
    operand === expected.operand &&
    result === WordProblem_.apply(operation, input, operand)
  const trapHit =
    !state.derailed &&
    problem.trap !== undefined &&
    problem.trap.step === state.progress &&
    input === state.value &&
    result === problem.trap.value
  const derailed = state.derailed || truth === undefined || result !== truth || !consistent
  const trapped = trapHit || (state.trapped && consistent)
  return {
    steps: state.steps + 1,
    progress,
    value: result,
    derailed,
    trapped: derailed && trapped,
    finished: state.finished || boxed !== undefined,
    answer: boxed ?? state.answer
  }
}

/** Reads a list of step texts from the start; returns the state after each step. */
export const readAll = (problem: WordProblem, texts: ReadonlyArray<string>): ReadonlyArray<State> => {
  const states: Array<State> = []
  let state = initial(problem)
  for (const text of texts) {
    state = read(problem, state, text)
    states.push(state)
  }
  return states
}

const pick = <A>(values: ReadonlyArray<A>, u: number): A => values[Math.floor(u * values.length) % values.length] as A

const leadIns: Record<Kind, ReadonlyArray<(problem: WordProblem, operand: number) => string>> = {
  add: [
    (problem, operand) => `${problem.name} gets ${operand} more ${problem.items}`,
    (problem, operand) => `Adding the ${operand} new ${problem.items}`,
    (_problem, operand) => `After receiving ${operand} more`
  ],
  subtract: [
    (problem, operand) => `${problem.name} gives away ${operand} ${problem.items}`,
    (_problem, operand) => `Taking away the ${operand} that are gone`,
    (problem, operand) => `${problem.name} now has ${operand} fewer ${problem.items}`
  ],
  multiply: [
    (problem, operand) => `The ${problem.items} grow to ${operand} times as many`,
    (_problem, operand) => `Multiplying the count by ${operand}`,
    (problem, operand) => `${problem.name} has ${operand} times as many ${problem.items} now`
  ],
  divide: [
    (problem, operand) => `${problem.name} keeps one of ${operand} equal piles`,
    (_problem, operand) => `Splitting into ${operand} equal piles and keeping one`
  ]
}

const openers = [
  "",
  "",
  "",
  "Next, ",
  "Now we handle the next change. ",
  "Let's carefully track the running total at this point in the story. "
]

const digressions: ReadonlyArray<(problem: WordProblem, value: number) => string> = [
  (problem, value) =>
    `Let me re-read the problem to make sure nothing is missed; so far ${problem.name} has ${value} ${problem.items}.`,
  (problem, value) =>
    `Before going on, it helps to restate what we know: the count of ${problem.items} is currently ${value}, and the remaining changes still have to be applied in order.`,
  (problem) => `It is worth double-checking the units here: everything is counted in ${problem.items}, so no conversion is needed.`
]

// A free-text problem's subject may be lower case ("the farmer"); a step starts with a capital letter.
const capitalized = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1)

/** The closing sentence of a final step. */
export const closing = (answer: number | string): string => `Therefore, the final answer is: $\\boxed{${answer}}$.`

/**
 * Writes a computation step: `## Step n: <lead-in>, so x op a = y.`, with the closing sentence on the last one.
 * `style` (a uniform) picks the lead-in and opener, so samples differ in wording and length.
 */
export const writeComputation = (
  problem: WordProblem,
  options: {
    readonly number: number
    readonly leadKind: Kind
    readonly leadOperand: number
    readonly kind: Kind
    readonly input: number
    readonly operand: number
    readonly result: number
    readonly final: boolean
    readonly style: number
  }
): string => {
  const opener = pick(openers, options.style)
  const lead = pick(leadIns[options.leadKind], (options.style * 7.31) % 1)(problem, options.leadOperand)
  const body = capitalized(`${opener}${lead}, so ${options.input} ${WordProblem_.symbol(options.kind)} ${options.operand} = ${options.result}.`)
  return `## Step ${options.number}: ${body}${options.final ? ` ${closing(options.result)}` : ""}`
}

/** Writes a digression: a step that restates or double-checks, makes no progress, and costs tokens. */
export const writeDigression = (problem: WordProblem, number: number, value: number, style: number): string =>
  `## Step ${number}: ${pick(digressions, style)(problem, value)}`

/** Writes the closing step of a solution that ran out of operations without stating an answer. */
export const writeClosing = (number: number, value: number): string => `## Step ${number}: ${closing(value)}`

/**
 * The ground-truth solution of a problem as step texts (plain lead-ins, no digressions), the last one boxed.
 * Use to build right prefixes in tests, or as an oracle.
 */
export const reference = (problem: WordProblem): ReadonlyArray<string> =>
  problem.operations.map((operation, index) =>
    writeComputation(problem, {
      number: index + 1,
      leadKind: operation.kind,
      leadOperand: operation.operand,
      kind: operation.kind,
      input: problem.values[index] ?? 0,
      operand: operation.operand,
      result: problem.values[index + 1] ?? 0,
      final: index === problem.operations.length - 1,
      style: 0
    })
  )
