import { Data, Result } from "effect"
import type { Kind, Operation, WordProblem } from "./WordProblem.js"
import * as WordProblem_ from "./WordProblem.js"

/**
 * Free-text word problems: reads an arithmetic word problem written in plain English — a starting amount and
 * changes to it ("buys 5 more", "gives away 3", "twice as many", "splits them equally among 4", "each costs $3"),
 * numbers as digits or small number words — into the world's problem structure, so the policy and the PRM solve
 * it like one of the world's own. The reading is deliberately conservative: every number must belong to exactly
 * one recognised change, and anything else (fractions other than a half, percentages, decimals, rates of change,
 * comparisons between several people's totals) is refused with a `NotModelled` error naming the reason.
 */

/** What the simulator can model, in one sentence. */
export const modelled =
  'The simulator solves multi-step arithmetic word problems about one running count: a start ("has 17 sheep") and ' +
  'changes to it ("buys 5 more", "gives away 3", "twice as many", "splits them equally among 4", "each costs $3"), ' +
  "whole numbers as digits or words."

/** What the simulator can model, and how to solve anything else: the tail of every `NotModelled` message. */
export const capabilities = `${modelled} For other problems point solve at a real model: --endpoint URL --model NAME, --provider NAME --model NAME, or --gguf PATH.`

/** A question the simulator cannot model: `reason` says what was not understood. The message is one line. */
export class NotModelled extends Data.TaggedError("NotModelled")<{
  readonly question: string
  readonly reason: string
}> {
  override get message(): string {
    return `the simulator cannot model this problem: ${this.reason}. ${capabilities}`
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Normalization: number words to digits, money and multiplicative words to one spelling.

const unitWords: Readonly<Record<string, number>> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11,
  twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19
}
const tens: Readonly<Record<string, number>> = {
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90
}
const unitPattern = Object.keys(unitWords).join("|")
const containerWords = "boxes|bags|packs|packets|cartons|crates|baskets|jars|trays|stacks|bundles|bottles|cans|sacks|packages|rolls|rows|tins"
const tensPattern = Object.keys(tens).join("|")

const replaceAll = (text: string, pattern: RegExp, replacement: (...groups: Array<string>) => string): string =>
  text.replace(pattern, (...match: Array<unknown>) => replacement(...match.filter((part): part is string => typeof part === "string")))

/** Normalizes number words, money, multiplicative words and punctuation; `undefined` for a refused construct. */
const normalize = (text: string): string => {
  let result = text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, " ")
    .trim()
  // A divided share the generator writes, and people too: "... into 4 equal piles and keeps one pile".
  result = result.replace(
    /,?\s*and (?:then )?keeps? (?:only )?(?:one|1|a single)(?: of (?:the|them|those))?(?: equal)?(?: (?:piles?|parts?|shares?|groups?|portions?|stacks?|bags?|boxes?))?(?=[\s.,;!?]|$)/gi,
    ""
  )
  result = result.replace(/(\d),(?=\d{3}\b)/g, "$1").replace(/(\d),(?=\d{3}\b)/g, "$1")
  result = result.replace(/\$\s?(\d+)(?!\.\d)/g, "$1 dollars")
  result = result.replace(/\b(\d+)(?:st|nd|rd|th)\b/gi, "nth")
  result = replaceAll(result, new RegExp(`\\b(${tensPattern})[- ](${unitPattern})\\b`, "gi"), (_match, ten, unit) =>
    String((tens[(ten ?? "").toLowerCase()] ?? 0) + (unitWords[(unit ?? "").toLowerCase()] ?? 0))
  )
  result = result.replace(/\bhalf a dozen\b/gi, "6").replace(/\b(?:a|one) dozen\b/gi, "12").replace(/\b(?:a|one) hundred\b/gi, "100")
  result = result.replace(/\ba (?:couple|pair) of\b/gi, "2")
  result = result.replace(/\b(?:each|every) one\b/gi, "each").replace(/\bno one\b/gi, "nobody")
  result = replaceAll(result, new RegExp(`\\b(${tensPattern}|${unitPattern})\\b`, "gi"), (word) =>
    String(tens[word.toLowerCase()] ?? unitWords[word.toLowerCase()] ?? word)
  )
  result = replaceAll(result, /\b(\d+) dozen\b/gi, (_match, count) => String(Number(count) * 12))
  result = replaceAll(result, /\b(\d+) hundred\b/gi, (_match, count) => String(Number(count) * 100))
  result = result
    .replace(/\b(?:twice|doubles|doubled|double|doubling)\b/gi, "2 times")
    .replace(/\b(?:thrice|triples|tripled|triple|tripling)\b/gi, "3 times")
    .replace(/\b(?:quadruples|quadrupled|quadruple)\b/gi, "4 times")
    .replace(new RegExp(`\\b(\\d+) (${containerWords}) of (\\d+) `, "gi"), "$1 $2 with $3 each ")
    .replace(/\banother (\d+)\b/gi, "$1 more")
    .replace(/\banother\b/gi, "1 more")
  return result
}

// ---------------------------------------------------------------------------------------------------------------
// Cues: which change a clause describes.

const multiplyExplicit = [/\b(\d+) times\b/i, /\bmultipl(?:y|ies|ied) (?:it |them |that |this )?by (\d+)\b/i]
const divideVerbs = /\b(?:split|splits|splitting|shares?|shared|sharing|divides?|divided|dividing|distribut(?:e|es|ed|ing)|hand(?:s|ed)? out|equally|evenly)\b/i
const divideExplicit = [
  /\bdivided by (\d+)\b/i,
  /\binto (\d+) (?:equal |even |same-sized )?(?:[a-z]+ )?(?:piles|groups|parts|pieces|portions|shares|bags|boxes|stacks|rows|teams|slices|baskets|heaps|batches|packs|bundles)\b/i,
  /\binto (?:piles|groups|parts|portions|bags|boxes|stacks|rows|teams|packs|packets|baskets|cartons|bundles|batches|heaps) of (\d+)\b/i,
  /\b(\d+) equal\b/i
]
const divideShared = /\b(?:among|between|amongst) (\d+)\b/i
const addExceptions = [
  /\b(?:is|are|was|were|gets|got|get) (?:given|paid|sent|awarded)\b/i,
  /\bg(?:ive|ives|ave|iving) (?:him|her|them|us|me)\b/i
]
const subtractVerbs =
  /\b(?:g(?:ive|ives|ave|iving)|los(?:e|es|t|ing)|sel(?:l|ls|ling)|sold|eat(?:s|ing|en)?|ate|spend(?:s|ing)?|spent|us(?:e|es|ed|ing)|break(?:s|ing)?|broke|broken|drop(?:s|ped|ping)?|donat(?:e|es|ed|ing)|throw(?:s|ing)?|threw|thrown|remov(?:e|es|ed|ing)|takes? away|took away|taken away|pa(?:y|ys|id|ying)|return(?:s|ed|ing)?|lend(?:s|ing)?|lent|fewer|less|minus|decreas(?:e|es|ed|ing)|reduc(?:e|es|ed|ing)|leaves?|left (?=the|for|to|with)|fl(?:y|ies|ew) away|r(?:u|a)ns? away|die(?:s|d)?|escap(?:e|es|ed)|pop(?:s|ped)?|burn(?:s|ed|t)?|rot(?:s|ted)?|melt(?:s|ed)?|wast(?:e|es|ed)|sends?|sent|mail(?:s|ed)?|subtract(?:s|ed)?|spill(?:s|ed)?|crack(?:s|ed)?|discard(?:s|ed)?|withdr(?:aw|aws|ew|awn)|misplac(?:e|es|ed)|giv(?:es|en) up|g(?:et|ets|ot) off|leak(?:s|ed)?|chew(?:s|ed)?|crash(?:es|ed)?|sink(?:s)?|sank|shed(?:s)?)\b/i
const addVerbs =
  /\b(?:buy(?:s|ing)?|bought|gets?|got|getting|receiv(?:e|es|ed|ing)|find(?:s|ing)?|found|earn(?:s|ed|ing)?|gain(?:s|ed)?|pick(?:s|ed)?|collect(?:s|ed)?|add(?:s|ed)?|more|extra|plus|w(?:in|ins|on)|mak(?:e|es|ing)|made|bak(?:e|es|ed)|grow(?:s|n)?|grew|catch(?:es)?|caught|borrow(?:s|ed)?|join(?:s|ed)?|arriv(?:e|es|ed)|com(?:e|es)|came|increas(?:e|es|ed)|ris(?:e|es)|rose|new|hatch(?:es|ed)?|born|plant(?:s|ed)?|sav(?:e|es|ed)|bring(?:s)?|brought|deposit(?:s|ed)?|adopt(?:s|ed)?|harvest(?:s|ed)?|knit(?:s|ted)?|build(?:s)?|built|sew(?:s|ed)?|produc(?:e|es|ed)|order(?:s|ed)?|purchas(?:e|es|ed)|fill(?:s|ed)?|scor(?:e|es|ed)|inherit(?:s|ed)?|steal(?:s)?|stole|writ(?:e|es)|wrote|draw(?:s)?|drew)\b/i
const perItem = /\b(?:each|every|per|apiece|a piece|a (?:day|week|month|year|hour|minute|night))\b/i
const perItemSubject = /^(?:each|every)\b/i
const perItemStart = /^(?:with|containing|holding|carrying) \d+\b/i
const duration = /^for (\d+) (?:hours?|days?|weeks?|months?|years?|minutes?|seconds?|nights?|mornings?|evenings?|times|rounds?|games?|trips?|lessons?|sessions?)\b/i
const rateStart = /\b(?:each|every|per|apiece|a piece|a (?:day|week|month|year|hour|minute|night)|costs?|priced at)\b/i
const buying = /\b(?:buy(?:s|ing)?|bought|purchas(?:e|es|ed)|order(?:s|ed)?)\b/i
const refusedTopics =
  /\b(?:area|perimeter|length|width|height|radius|diameter|volume|angle|triangle|rectangle|circle|speed|ratio|average|probability|interest|years? old|older|younger|age|ages)\b/i
const vague = /\b(?:some|several|a few|many|the rest|all of|remaining|a lot|most|a number of|part of)\b/i
const comparison = /\b(?:more|fewer|less)(?: [a-z]+)? than\b|\btimes as (?:many|much)\b|\bas many\b/i
const totalQuestion = /\b(?:together|in total|altogether|combined|in all|both|total)\b/i
const refusedQuestion =
  /\bhow (?:many|much) (?:more|fewer|less)\b|\bhow many times\b|\bwhat (?:fraction|percent|percentage|ratio)\b|\bratio\b|\bdifference\b|\baverage\b|\bmean\b|\bhow long\b|\bhow fast\b|\bprobability\b/i

// "N times as many" multiplies only where the clause says what the count becomes: "grows to 3 times as many",
// "ends up with", "has 3 times as many … now", "now there are 3 times as many", "becomes". Anything else ("buys 3
// times as many as she has left": 7 + 21, a multiple handed over or taken away) is none of the operations; refused.
const multipleOfCount = /\b\d+ times as (?:many|much)\b/i
const becomesMultiple =
  /\b(?:grows? to|grew to|grown to|becomes?|became|ends? up with|(?:now )?(?:has|have|had)|there (?:are|were|is|was)(?: now)?|(?:is|are|was|were) now)\s+\d+ times as (?:many|much)\b/i

/** What a clause with one number says: the change, whether it is a per-item or per-time multiplier, and whether a change verb stands beside that. */
interface Cue {
  readonly cue: Kind | "none"
  readonly perItem: boolean
  readonly changes: boolean
}

/** The operation a clause with one number states: explicit multiply/divide first, then the verbs; a string explains a refusal. */
const cueOf = (clause: string): Cue | string => {
  const plain = (cue: Kind | "none"): Cue => ({ cue, perItem: false, changes: false })
  if (multipleOfCount.test(clause) && !becomesMultiple.test(clause))
    return `"${clause}" adds or takes away a multiple of the count (not modelled: say "grows to N times as many", or the amount itself)`
  for (const pattern of multiplyExplicit) if (pattern.test(clause)) return plain("multiply")
  for (const pattern of divideExplicit) if (pattern.test(clause)) return plain("divide")
  if (divideVerbs.test(clause)) {
    if (divideShared.test(clause)) return plain("divide")
    return `"${clause}" shares something out without saying into how many equal parts`
  }
  if (duration.test(clause) || perItemStart.test(clause)) return { cue: "multiply", perItem: true, changes: false }
  const given = addExceptions.some((pattern) => pattern.test(clause))
  if (perItem.test(clause))
    return { cue: "multiply", perItem: true, changes: !perItemSubject.test(clause) && (given || subtractVerbs.test(clause) || addVerbs.test(clause)) }
  if (given) return plain("add")
  // "gives Omar 20 more" adds (a named recipient before the number); "gives 3 to" and "gives away" subtract.
  if (/\bg(?:ive|ives|ave) (?!away\b)[A-Z][a-z]+ \d/.test(clause)) return plain("add")
  if (subtractVerbs.test(clause)) return plain("subtract")
  if (addVerbs.test(clause)) return plain("add")
  return plain("none")
}

const containers =
  "boxes|bags|rows|packs|packets|cartons|crates|baskets|shelves|jars|trays|plates|tables|teams|groups|classes|buses|cars|cases|" +
  "stacks|bundles|books|bottles|cans|trees|piles|pots|buckets|bowls|barrels|envelopes|albums|rooms|floors|pages|sheets|tins|" +
  "sacks|racks|drawers|packages|vans|trucks|houses|tanks|shelves|containers|cups|glasses|vases|nests|cages|pens|rolls"
const timeUnits = "hours?|days?|weeks?|months?|years?|minutes?|seconds?|nights?|mornings?|evenings?|times|rounds?|games?|trips?|lessons?|sessions?"
const clauseSplit = new RegExp(
  [
    "\\s*[,;:]\\s*(?:and\\s+)?(?:then\\s+)?",
    "\\s+and\\s+(?:then\\s+)?",
    "\\s+(?:then|but|so|while|after which)\\s+",
    `(?<=\\b(?:${containers})(?: of [a-z]+)?)\\s+(?=with \\d)`,
    `\\s+(?=for \\d+ (?:${timeUnits})\\b)`,
    "\\s+(?=(?:for|at) \\d+ (?:dollars? |cents? )?(?:each|apiece|a piece|per)\\b)",
    "\\s+(?=(?:containing|holding) \\d)"
  ].join("|"),
  "i"
)
const leadingFiller = /^(?:then|and|after that|afterwards|afterward|later|next|finally|now|so|also|later on|in the end|at last|after|meanwhile)\b,?\s*/i

const clausesOf = (sentence: string): ReadonlyArray<string> =>
  sentence
    .replace(/[.!?]+$/, "")
    .split(clauseSplit)
    .map((clause) => {
      let trimmed = clause.trim()
      for (let strip = leadingFiller.exec(trimmed); strip !== null && strip[0].length > 0; strip = leadingFiller.exec(trimmed))
        trimmed = trimmed.slice(strip[0].length).trim()
      return trimmed
    })
    .filter((clause) => clause.length > 0)

const subjectVerbs =
  /^(.{1,40}?)\s+(?:has|have|had|starts|started|begins|began|owns|owned|holds|held|keeps|kept|buys|bought|gets|got|collects|collected|picks|picked|is|was|are|were|saves|saved|earns|earned|bakes|baked|makes|made|finds|found|receives|received|sells|sold|eats|ate|reads|read|plants|planted|costs?|pays|paid|writes|wrote|catches|caught|grows|grew|needs|wants|brings|brought|carries|carried)\b/i
const pronouns = new Set(["he", "she", "they", "it", "i", "we", "you"])
const nonItems = new Set([
  "does", "do", "did", "is", "are", "was", "were", "will", "would", "can", "could", "has", "have", "had", "of", "in", "on",
  "at", "more", "and", "to", "for", "from", "the", "a", "an", "times", "each", "per", "equal", "left", "now", "total"
])

const nameOf = (clause: string): string => {
  const match = subjectVerbs.exec(clause)
  const subject = match?.[1]?.trim()
  if (subject === undefined || /\d/.test(subject) || /^there$/i.test(subject)) return "the count"
  if (pronouns.has(subject.toLowerCase())) return subject.toLowerCase()
  const article = /^(?:a|an|the)\s+(.+)$/i.exec(subject)
  if (article !== null) return `the ${(article[1] ?? "").toLowerCase()}`
  return subject
}

const itemsOf = (question: string, startClause: string): string => {
  const asked = /\bhow (?:many|much) ([a-z]+)/i.exec(question)?.[1]?.toLowerCase()
  if (asked === "money" || (/\bhow much\b/i.test(question) && /\b(?:spend|spent|cost|costs|pay|paid|earn|earned|save|saved|dollars?)\b/i.test(question)))
    return "dollars"
  if (asked !== undefined && !nonItems.has(asked)) return asked
  const after = /\d+ ([a-z]+)/i.exec(startClause)?.[1]?.toLowerCase()
  return after !== undefined && !nonItems.has(after) ? after : "items"
}

const refuse = (question: string, reason: string): Result.Result<WordProblem, NotModelled> => Result.fail(new NotModelled({ question, reason }))

/** Largest text the reader looks at (longer texts are prompts, not word problems). */
export const maxLength = 1500

/**
 * Reads a free-text word problem into the world's problem structure, or explains why it cannot.
 * The question text is kept as given (trimmed), so its identity — and every seeded draw — is a function of it.
 *
 * @example
 * FreeText.parse("A farmer has 17 sheep and buys 5 more. How many sheep?") // Success: 17 + 5, answer 22
 */
export const parse = (text: string): Result.Result<WordProblem, NotModelled> => {
  const question = text.trim()
  if (question.length === 0) return refuse(question, "the text is empty")
  if (question.length > maxLength) return refuse(question, `the text is longer than ${maxLength} characters`)
  if (/=|\\boxed|##|<\||\[Solution\]|\bStep \d+:/.test(question))
    return refuse(question, "the text holds equations or a worked solution, not a word problem")
  if (/\d\.\d/.test(question)) return refuse(question, "it uses decimal numbers (only whole numbers are modelled)")
  if (/%|\bpercent/i.test(question)) return refuse(question, "it uses percentages")
  const topic = refusedTopics.exec(question)?.[0]
  if (topic !== undefined) return refuse(question, `it is about ${topic.toLowerCase()}, not a count of things`)
  if (/\d\s*\/\s*\d|\b(?:thirds?|quarters?|fourths?|fifths?|sixths?|eighths?|tenths?)\b/i.test(question))
    return refuse(question, "it uses fractions (only a half is modelled)")
  const normalized = normalize(question)
  const sentences = normalized.split(/(?<=[.!?;])\s+/).filter((sentence) => sentence.trim().length > 0)
  const asks = sentences.filter((sentence) => /\?\s*$/.test(sentence))
  if (asks.length > 1) return refuse(question, "it asks more than one question")
  const last = sentences[sentences.length - 1] ?? ""
  const isQuestion = /\?\s*$/.test(last) || /^(?:how|what|find|calculate|compute|determine|work out)\b/i.test(last)
  if (!isQuestion || sentences.length < 1) return refuse(question, 'it asks no question (end with one, such as "How many sheep are there?")')
  const statements = sentences.slice(0, -1)
  // "How many sheep does he have if he buys 5 more?": the conditions after if/after/when are statements too.
  let asked = last
  const leading = /^(?:if|after|when|once)\s+(.*),\s*((?:how|what)\b.*)$/i.exec(last)
  const trailing = /^(.*?)\s*,?\s*\b(?:if|after|when|once)\b\s+(.*)$/i.exec(last)
  if (leading !== null) {
    asked = leading[2] ?? last
    statements.push(leading[1] ?? "")
  } else if (trailing !== null && /\d/.test(trailing[2] ?? "")) {
    asked = trailing[1] ?? last
    statements.push(trailing[2] ?? "")
  }
  if (/\d/.test(asked)) return refuse(question, `the question "${asked.trim()}" itself holds a number`)
  if (refusedQuestion.test(asked)) return refuse(question, `the question "${asked.trim()}" asks for a comparison, rate or average, not a running count`)

  let start: number | undefined
  let startClause = ""
  let nameClause: string | undefined
  let rate = false
  let previous: Kind | "start" | undefined
  let comparative = false
  let money = false
  let previousSentence = -1
  const operations: Array<Operation> = []
  for (const [sentenceIndex, sentence] of statements.entries()) {
    for (const clause of clausesOf(sentence)) {
      const numbers = clause.match(/\d+/g) ?? []
      if (comparison.test(clause)) comparative = true
      if (numbers.length === 0) {
        if (/\bhal(?:f|ves|ved)\b/i.test(clause)) {
          if (start === undefined) return refuse(question, `"${clause}" halves an amount that was never given`)
          operations.push({ kind: "divide", operand: 2 })
          previous = "divide"
          continue
        }
        if (vague.test(clause) && (subtractVerbs.test(clause) || addVerbs.test(clause) || divideVerbs.test(clause)))
          return refuse(question, `"${clause}" changes the count by an amount it does not give`)
        continue
      }
      if (numbers.length > 1) return refuse(question, `"${clause}" holds more than one number (write one change per clause)`)
      const operand = Number(numbers[0])
      const read = cueOf(clause)
      if (typeof read === "string") return refuse(question, read)
      if (start === undefined) {
        if (read.cue === "divide" || (read.cue === "multiply" && !read.perItem))
          return refuse(question, `"${clause}" changes an amount that was never given (state the starting amount first)`)
        start = operand
        startClause = clause
        rate = rateStart.test(clause)
        money = !rate && /\bdollars?\b/i.test(clause)
        if (!rate) nameClause = clause
        previous = "start"
        continue
      }
      let kind: Kind
      if (read.cue === "none") {
        if (previous === "add" || previous === "subtract") kind = previous
        else if (previous === "start") kind = "add"
        else return refuse(question, `no change to the count is recognised in "${clause}"`)
      } else if (read.perItem && read.changes)
        return refuse(question, `"${clause}" combines a change with a rate per item or per time (not modelled)`)
      else if (read.perItem && (previous === "add" || previous === "subtract") && previousSentence === sentenceIndex)
        return refuse(question, `"${clause}" prices or repeats a change rather than the count (not modelled)`)
      else kind = read.cue
      // After a unit price or rate ("pens cost $3 each"), "buys 4" multiplies.
      if (rate && operations.length === 0 && kind === "add") kind = "multiply"
      // Buying with money one has spends it: "has $14 ... buys a toy for $9".
      if (money && kind === "add" && buying.test(clause)) kind = "subtract"
      rate = false
      nameClause ??= clause
      operations.push({ kind, operand })
      previous = kind
      previousSentence = sentenceIndex
    }
  }
  if (start === undefined) return refuse(question, "it gives no starting amount")
  if (operations.length === 0) return refuse(question, "it asks for no change to the starting amount (nothing to compute)")
  if (comparative && totalQuestion.test(asked)) return refuse(question, "it compares several people's counts and asks for their total")
  let value = start
  for (const operation of operations) {
    if (operation.kind === "divide") {
      if (operation.operand === 0) return refuse(question, "it divides by zero")
      if (value % operation.operand !== 0) return refuse(question, `${value} / ${operation.operand} is not a whole number`)
    }
    value = WordProblem_.apply(operation.kind, value, operation.operand)
    if (!Number.isSafeInteger(value)) return refuse(question, "the numbers grow too large")
  }
  return Result.succeed(WordProblem_.fromParts(question, nameOf(nameClause ?? startClause), itemsOf(asked, startClause), start, operations))
}
