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

const headerPattern = /(?:^|\n)[ \t]*[#*>_\-]*[ \t]*\**[ \t]*step[ \t]*(\d{1,9})/gi
const judgementPattern = /\\boxed[ \t]*\{[ \t]*(?:\\text(?:bf|rm)?[ \t]*\{[ \t]*)?([a-z]+)[ \t]*\}?[ \t]*\}/gi

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
  const at = text.toLowerCase().indexOf(decisionQuestion.toLowerCase())
  if (at < 0) return { chain: text, decision: undefined }
  const after = text.slice(at + decisionQuestion.length).trimStart().toLowerCase()
  const word = /^[*_\\{(\s]*(?:\\text\{|\\boxed\{)?\s*(yes|no)\b/.exec(after)?.[1]
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
  const headers = [...chain.matchAll(headerPattern)]
  let numbered = headers.length > 0
  let any = false
  headers.forEach((header, index) => {
    const start = header.index + header[0].length
    const end = headers[index + 1]?.index ?? chain.length
    const judgement = lastJudgement(chain.slice(start, end))
    if (judgement === undefined) return
    const number = Number(header[1])
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
