/**
 * Parses a ThinkPRM-style verification chain into one judgement per step, as a typed result that never throws.
 * Use on the text a generative verifier wrote after "Let's verify step by step:".
 *
 * Rules, for any input:
 * - The chain ends at "Is the solution correct?" (any case); a "yes"/"no" written right after it is the chain's
 *   own textual decision (present only when a server ignored the stop sequence).
 * - A section starts at a line whose first words are "Step N" (markdown marks `#`, `*`, `>`, `-` allowed before
 *   it) and runs to the next such line. Its judgement is its last `\boxed{correct}` or `\boxed{incorrect}`
 *   (`\boxed{\text{correct}}` and any case accepted).
 * - Steps judged twice keep the later judgement (a "double check" may revise); both are reported in `repeated`.
 *   Steps judged out of order are assigned by their number (`outOfOrder` says so). Numbers beyond the
 *   solution's length are ignored and reported in `beyond`.
 * - A chain with judgements but no "Step N" lines has its judgements assigned in order (`numbered: false`).
 * - A chain with no judgement at all is `Unparsable`; a truncated chain gives `Parsed` with `missing` steps.
 * - Parsing is linear in the chain's length: headers are found by a line scan, and no pattern has two adjacent
 *   quantifiers over the same characters (a whitespace run after a header once took 33 s at 4,000 spaces).
 *
 * @example
 * ChainParser.parse("Step 1: 2 + 2 = 4 \\boxed{correct}\nStep 2: 4 * 3 = 13 \\boxed{incorrect}", 2)
 */
export type Judgement = "correct" | "incorrect"

/** A textual yes/no decision found after "Is the solution correct?". */
export type Decision = "yes" | "no"

/** A chain with at least one judgement. Step numbers in the lists are 1-based. */
export interface Parsed {
  readonly _tag: "Parsed"
  /** One entry per step of the solution, `undefined` where the chain did not judge it. */
  readonly judgements: ReadonlyArray<Judgement | undefined>
  /** Steps without a judgement (a truncated chain, or skipped steps). */
  readonly missing: ReadonlyArray<number>
  /** Steps judged more than once (the last judgement wins). */
  readonly repeated: ReadonlyArray<number>
  /** Step numbers judged that the solution does not have. */
  readonly beyond: ReadonlyArray<number>
  /** True when steps were judged in a different order than 1, 2, 3, … */
  readonly outOfOrder: boolean
  /** False when judgements had no "Step N" headers and were assigned in order. */
  readonly numbered: boolean
  readonly decision: Decision | undefined
}

/** A chain from which no judgement could be read. */
export interface Unparsable {
  readonly _tag: "Unparsable"
  readonly reason: "empty" | "no-judgement"
  readonly decision: Decision | undefined
}

/** The result of parsing a chain. */
export type Result = Parsed | Unparsable

/** The phrase the chain stops at, after which the decision is asked. */
export const decisionQuestion = "Is the solution correct?"

// No two adjacent quantifiers range over the same characters (each `[ \t]*` is followed by a character it cannot
// match), so a failed match backtracks at most over one run: linear in the text.
const judgementPattern = /\\boxed[ \t]*\{[ \t]*(?:\\text(?:bf|rm)?[ \t]*\{[ \t]*)?([a-z]+)[ \t]*(?:\}[ \t]*)?\}/gi

/** A "Step N" header: where its line starts, where the header ends, and N (its first nine digits). */
export interface Header {
  readonly index: number
  readonly end: number
  readonly number: number
}

const markCharacters = " \t#*>_-"
const isDigit = (character: string | undefined): boolean => character !== undefined && character >= "0" && character <= "9"

/**
 * The "Step N" headers of a chain, by one scan over each line's start: a line whose first characters after
 * spaces, tabs and markdown marks (`#`, `*`, `>`, `_`, `-`) are "step" (any case), spaces or tabs, and a number.
 * Every character is looked at a bounded number of times, so this is linear in the chain.
 */
export const headers = (chain: string): ReadonlyArray<Header> => {
  const found: Array<Header> = []
  let lineStart = 0
  while (lineStart <= chain.length) {
    const newline = chain.indexOf("\n", lineStart)
    const lineEnd = newline < 0 ? chain.length : newline
    let index = lineStart
    while (index < lineEnd && markCharacters.includes(chain[index]!)) index++
    if (chain.slice(index, index + 4).toLowerCase() === "step") {
      index += 4
      while (index < lineEnd && (chain[index] === " " || chain[index] === "\t")) index++
      const digitsStart = index
      while (index < lineEnd && index - digitsStart < 9 && isDigit(chain[index])) index++
      if (index > digitsStart)
        // The header's line starts at its newline (as the section before it ends there).
        found.push({ index: lineStart === 0 ? 0 : lineStart - 1, end: index, number: Number(chain.slice(digitsStart, index)) })
    }
    if (newline < 0) break
    lineStart = newline + 1
  }
  return found
}

const lastJudgement = (section: string): Judgement | undefined => {
  let found: Judgement | undefined
  for (const match of section.matchAll(judgementPattern)) {
    const word = (match[1] ?? "").toLowerCase()
    if (word === "correct" || word === "incorrect") found = word
  }
  return found
}

const allJudgements = (section: string): Array<Judgement> => {
  const found: Array<Judgement> = []
  for (const match of section.matchAll(judgementPattern)) {
    const word = (match[1] ?? "").toLowerCase()
    if (word === "correct" || word === "incorrect") found.push(word)
  }
  return found
}

/** Splits a text at the decision question: the chain before it, and a yes/no written right after it. */
export const splitDecision = (text: string): { readonly chain: string; readonly decision: Decision | undefined } => {
  // A literal pattern, case-insensitive (lower-casing the text could change its length and shift the index).
  const at = text.search(/is the solution correct\?/i)
  if (at < 0) return { chain: text, decision: undefined }
  // The decision stands right after the question: 200 characters are plenty and bound the work.
  const after = text.slice(at + decisionQuestion.length, at + decisionQuestion.length + 200).trimStart().toLowerCase()
  const word = /^[*_\\{(\s]*(?:(?:\\text\{|\\boxed\{)\s*)?(yes|no)\b/.exec(after)?.[1]
  return { chain: text.slice(0, at), decision: word === "yes" || word === "no" ? word : undefined }
}

/** Parses a chain judging a solution of `steps` steps. Total: never throws, for any string. */
export const parse = (text: string, steps: number): Result => {
  const { chain, decision } = splitDecision(text)
  const count = Math.max(0, Math.floor(steps))
  if (chain.trim().length === 0) return { _tag: "Unparsable", reason: "empty", decision }
  const judgements: Array<Judgement | undefined> = new Array(count).fill(undefined)
  const timesJudged: Array<number> = new Array(count).fill(0)
  const beyond: Array<number> = []
  const order: Array<number> = []
  const found = headers(chain)
  let numbered = found.length > 0
  let any = false
  found.forEach((header, index) => {
    const start = header.end
    const end = found[index + 1]?.index ?? chain.length
    const judgement = lastJudgement(chain.slice(start, end))
    if (judgement === undefined) return
    const number = header.number
    if (!(number >= 1 && number <= count)) {
      if (!beyond.includes(number)) beyond.push(number)
      return
    }
    any = true
    judgements[number - 1] = judgement
    timesJudged[number - 1] = (timesJudged[number - 1] ?? 0) + 1
    order.push(number)
  })
  if (!any && beyond.length === 0) {
    // No "Step N" sections with judgements: take the judgements in order.
    const inOrder = allJudgements(chain)
    if (inOrder.length === 0) return { _tag: "Unparsable", reason: "no-judgement", decision }
    numbered = false
    inOrder.forEach((judgement, index) => {
      if (index < count) {
        judgements[index] = judgement
        timesJudged[index] = 1
        order.push(index + 1)
        any = true
      } else if (!beyond.includes(index + 1)) beyond.push(index + 1)
    })
  }
  if (!any) return { _tag: "Unparsable", reason: "no-judgement", decision }
  const missing: Array<number> = []
  const repeated: Array<number> = []
  judgements.forEach((judgement, index) => {
    if (judgement === undefined) missing.push(index + 1)
    if ((timesJudged[index] ?? 0) > 1) repeated.push(index + 1)
  })
  // Out of order: a first judgement of a step comes after a judgement of a later step.
  let outOfOrder = false
  const firstSeen = new Set<number>()
  let highest = 0
  for (const number of order) {
    if (!firstSeen.has(number)) {
      if (number < highest) outOfOrder = true
      firstSeen.add(number)
    }
    highest = Math.max(highest, number)
  }
  return { _tag: "Parsed", judgements, missing, repeated, beyond, outOfOrder, numbered, decision }
}
