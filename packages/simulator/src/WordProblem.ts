import * as Seeded from "./Seeded.js"

/**
 * The multi-step arithmetic word problems of the simulated world: their generation from a seed, the question text,
 * and the inverse — recovering the whole problem (operations, ground-truth chain, trap) from the question text
 * alone, so a fresh process or a server recognises any problem the world generated.
 */

/** One of the four operations a problem applies to a running count. */
export type Kind = "add" | "subtract" | "multiply" | "divide"

/** One operation of a problem: its kind and its operand. */
export interface Operation {
  readonly kind: Kind
  readonly operand: number
}

/**
 * A plausible wrong move at one step: the same lead-in, the wrong operation, consistent arithmetic.
 * Whether a model actually falls for it (and how often) is the world's business, not the problem's.
 */
export interface Trap {
  /** Index of the operation (0-based) where the trap lies. */
  readonly step: number
  /** The operation the trapped solver applies instead. */
  readonly kind: Kind
  /** The wrong running count after the trapped step. */
  readonly value: number
}

/** A generated problem with its ground truth. */
export interface WordProblem {
  readonly question: string
  /** Hash of the question text: the problem's identity for every seeded draw. */
  readonly key: number
  readonly name: string
  readonly items: string
  readonly start: number
  readonly operations: ReadonlyArray<Operation>
  /** The running count: `values[0]` is the start, `values[k]` the count after k operations. */
  readonly values: ReadonlyArray<number>
  /** Difficulty level 1..5, a function of the number of operations. */
  readonly difficulty: number
  /** The ground-truth final answer. */
  readonly answer: number
  /** The problem's trap candidate, if it has one. */
  readonly trap: Trap | undefined
}

const names = ["Mia", "Noah", "Ava", "Liam", "Zoe", "Omar", "Lena", "Ravi", "Iris", "Theo", "Nora", "Kai", "Elsa", "Hugo", "Maya", "Ivan"]
const itemNames = ["apples", "marbles", "stickers", "coins", "books", "cards", "shells", "stamps", "pencils", "beads", "cookies", "tickets"]

/** The symbol a step writes for an operation. */
export const symbol = (kind: Kind): string =>
  kind === "add" ? "+" : kind === "subtract" ? "-" : kind === "multiply" ? "*" : "/"

/** Applies an operation; division rounds toward zero (the generator only divides evenly). */
export const apply = (kind: Kind, value: number, operand: number): number =>
  kind === "add"
    ? value + operand
    : kind === "subtract"
      ? value - operand
      : kind === "multiply"
        ? value * operand
        : operand === 0
          ? value
          : Math.trunc(value / operand)

/** Difficulty level of a problem with this many operations: 2–3 → 1, 4–5 → 2, … 10–11 → 5. */
export const difficultyOf = (operationCount: number): number => Math.max(1, Math.min(5, Math.floor(operationCount / 2)))

const startSentences = [
  (name: string, value: number, items: string) => `${name} has ${value} ${items}.`,
  (name: string, value: number, items: string) => `${name} starts with ${value} ${items}.`
]

const operationSentences: Record<Kind, ReadonlyArray<(name: string, operand: number, items: string) => string>> = {
  add: [
    (name, operand, items) => `Then ${name} gets ${operand} more ${items}.`,
    (name, operand, items) => `A friend gives ${name} ${operand} more ${items}.`
  ],
  subtract: [
    (name, operand, items) => `Then ${name} gives away ${operand} ${items}.`,
    (name, operand) => `${name} loses ${operand} of them.`
  ],
  multiply: [
    (_name, operand, items) => `Then the number of ${items} grows to ${operand} times as many.`,
    (name, operand, items) => `${name} ends up with ${operand} times as many ${items} as before.`
  ],
  divide: [(name, operand) => `Then ${name} splits them into ${operand} equal piles and keeps one pile.`]
}

const startPattern = /^([A-Z][a-z]+) (?:has|starts with) (\d+) ([a-z]+)\.$/
const operationPatterns: ReadonlyArray<readonly [Kind, RegExp]> = [
  ["subtract", /gives away (\d+) |loses (\d+) of them\./],
  ["add", /gets (\d+) more |gives [A-Z][a-z]+ (\d+) more /],
  ["multiply", /grows to (\d+) times|ends up with (\d+) times/],
  ["divide", /into (\d+) equal piles/]
]
const questionPattern = /^How many ([a-z]+) does ([A-Z][a-z]+) have at the end\?$/

const pick = <A>(values: ReadonlyArray<A>, u: number): A => values[Math.floor(u * values.length) % values.length] as A

/** The trap a problem offers, chosen from its question hash: a sign or operation confusion at one step. */
const trapOf = (key: number, values: ReadonlyArray<number>, operations: ReadonlyArray<Operation>): Trap | undefined => {
  const next = Seeded.stream(Seeded.combine(key, 0x7a9))
  // Traps sit on an inner step: never the last, so the final answer still takes work after falling in.
  if (operations.length < 2) return undefined
  const step = Math.floor(next() * (operations.length - 1))
  const operation = operations[step]
  const before = values[step]
  if (operation === undefined || before === undefined) return undefined
  const kind: Kind =
    operation.kind === "add"
      ? "subtract"
      : operation.kind === "subtract"
        ? "add"
        : operation.kind === "multiply"
          ? "add"
          : "subtract"
  const value = apply(kind, before, operation.operand)
  if (value === values[step + 1]) return undefined
  return { step, kind, value }
}

/**
 * Builds a problem from its parts: the running chain of values, the difficulty level (from the number of
 * operations), the answer and the trap all follow from the question text and the operations. Use to turn a
 * parsed question (generated or free text) into the world's problem structure.
 */
export const fromParts = (
  question: string,
  name: string,
  items: string,
  start: number,
  operations: ReadonlyArray<Operation>
): WordProblem => {
  const values: Array<number> = [start]
  for (const operation of operations) values.push(apply(operation.kind, values[values.length - 1] ?? 0, operation.operand))
  const key = Seeded.hashText(question)
  return {
    question,
    key,
    name,
    items,
    start,
    operations,
    values,
    difficulty: difficultyOf(operations.length),
    answer: values[values.length - 1] ?? start,
    trap: trapOf(key, values, operations)
  }
}

/**
 * Generates one problem of a difficulty level (1..5) from a seed: 2d or 2d+1 operations, operands growing
 * with the level, running counts kept positive and below a cap.
 *
 * @example
 * const problem = WordProblem.generate(3, 42)
 */
export const generate = (difficulty: number, seed: number): WordProblem => {
  const level = Math.max(1, Math.min(5, Math.round(difficulty)))
  const next = Seeded.stream(Seeded.key(seed, level, "word-problem"))
  const name = pick(names, next())
  const items = pick(itemNames, next())
  const count = 2 * level + (next() < 0.5 ? 0 : 1)
  const addRange = 5 * level * level + 5
  const start = 3 + Math.floor(next() * (8 + 12 * level))
  const cap = 400 * level * level
  const operations: Array<Operation> = []
  let value = start
  const sentences: Array<string> = [pick(startSentences, next())(name, start, items)]
  for (let index = 0; index < count; index++) {
    const divisors = [2, 3, 4, 5, 6, 7, 8, 9].filter((divisor) => value % divisor === 0 && value / divisor >= 2)
    const kinds: Array<Kind> = ["add"]
    if (value > 3) kinds.push("subtract")
    if (value * 2 <= cap) kinds.push("multiply")
    if (divisors.length > 0 && value > 12) kinds.push("divide")
    const kind = pick(kinds, next())
    const operand =
      kind === "add"
        ? 1 + Math.floor(next() * addRange)
        : kind === "subtract"
          ? 1 + Math.floor(next() * Math.min(addRange, value - 2))
          : kind === "multiply"
            ? 2 + Math.floor(next() * Math.max(1, Math.min(level + 1, Math.floor(cap / value) - 1)))
            : pick(divisors, next())
    operations.push({ kind, operand })
    sentences.push(pick(operationSentences[kind], next())(name, operand, items))
    value = apply(kind, value, operand)
  }
  sentences.push(`How many ${items} does ${name} have at the end?`)
  return fromParts(sentences.join(" "), name, items, start, operations)
}

/**
 * Recovers a problem from its question text, or `undefined` when the text is not one the world generates.
 * Use to recognise a problem in a prompt without shared state.
 */
export const parse = (question: string): WordProblem | undefined => {
  const sentences = question.trim().split(/(?<=[.?])\s+/)
  const first = sentences[0]
  const last = sentences[sentences.length - 1]
  if (first === undefined || last === undefined || sentences.length < 3) return undefined
  const startMatch = startPattern.exec(first)
  const questionMatch = questionPattern.exec(last)
  if (startMatch === null || questionMatch === null) return undefined
  const name = startMatch[1] ?? ""
  const start = Number(startMatch[2])
  const items = startMatch[3] ?? ""
  const operations: Array<Operation> = []
  for (const sentence of sentences.slice(1, -1)) {
    let found: Operation | undefined
    for (const [kind, pattern] of operationPatterns) {
      const match = pattern.exec(sentence)
      if (match !== null) {
        found = { kind, operand: Number(match[1] ?? match[2]) }
        break
      }
    }
    if (found === undefined) return undefined
    operations.push(found)
  }
  if (operations.length === 0) return undefined
  return fromParts(question.trim(), name, items, start, operations)
}

const parsed = new Map<string, WordProblem | null>()

/** `parse`, memoized by question text (bounded). Use on hot paths. */
export const recognize = (question: string): WordProblem | undefined => {
  const known = parsed.get(question)
  if (known !== undefined) return known ?? undefined
  const result = parse(question)
  if (parsed.size > 50_000) parsed.clear()
  parsed.set(question, result ?? null)
  return result
}
