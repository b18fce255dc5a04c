import { Answer } from "@stepwise/core"

/** Where a final answer was found in a response. */
export type Source = "boxed" | "hashes" | "phrase"

/** A final answer found in a response, and where it came from. */
export interface Extracted {
  readonly answer: string
  readonly source: Source
  /** The boxes of the final paragraph when it has several (`Answer.finalBoxes`), in order; `answer` is the last. */
  readonly boxes?: ReadonlyArray<string>
}

// "answer is", "answer =", "answer:" (or Markdown's "**Answer**:") — the optional words before ("the final") do not
// change the answer. Each
// `\s*` is followed by a character it cannot match, so a failed match backtracks over one run only.
const marker = /answer\s*(?:\*{1,2}\s*)?(?:is\b|=|:)/gi

const isSpace = (character: string | undefined): boolean => character !== undefined && /\s/.test(character)

/** Trims spaces, dollar signs, `\(`/`\)` and one trailing period, by loops (linear, no backtracking pattern). */
const clean = (answer: string): string => {
  let start = 0
  let end = answer.length
  const trim = () => {
    while (start < end && isSpace(answer[start])) start++
    while (end > start && isSpace(answer[end - 1])) end--
  }
  trim()
  while (start < end && answer[start] === "$") start++
  while (end > start && answer[end - 1] === "$") end--
  if (answer.startsWith("\\(", start)) start += 2
  if (end - start >= 2 && answer.startsWith("\\)", end - 2)) end -= 2
  if (end > start && answer[end - 1] === ".") end--
  trim()
  return answer.slice(start, end)
}

/** Math delimiters an answer may be written in right after the phrase: `$…$`, `$$…$$`, `\(…\)`, `\[…\]`. */
const delimiters: ReadonlyArray<readonly [string, string]> = [
  ["$$", "$$"],
  ["$", "$"],
  ["\\(", "\\)"],
  ["\\[", "\\]"]
]

/**
 * The answer after a phrase, on its line: a math span when one opens right there (Minerva's "The final answer is
 * $X$. I hope it is correct."), else the text up to the first period that ends the line or is followed by spaces
 * and a capital letter. One scan of the line.
 */
const answerAfter = (text: string, from: number): string => {
  const newline = text.indexOf("\n", from)
  const lineEnd = newline < 0 ? text.length : newline
  let start = from
  while (start < lineEnd && (text[start] === " " || text[start] === "\t")) start++
  const skipSpaces = () => {
    while (start < lineEnd && (text[start] === " " || text[start] === "\t")) start++
  }
  // Markdown's emphasis closing the phrase ("**Answer:** 5": stars then a space) is no part of the answer; stars
  // before the answer itself ("is **42**") open the answer's own emphasis, which `clean` takes off in pairs.
  const skipClosingStars = () => {
    let after = start
    while (after < lineEnd && text[after] === "*") after++
    if (after > start && (after === lineEnd || text[after] === " " || text[after] === "\t")) start = after
  }
  skipSpaces()
  skipClosingStars()
  skipSpaces()
  if (text[start] === ":") start++
  skipSpaces()
  skipClosingStars()
  skipSpaces()
  for (const [open, closing] of delimiters) {
    if (!text.startsWith(open, start)) continue
    const end = text.indexOf(closing, start + open.length)
    if (end > start + open.length && end < lineEnd) return text.slice(start + open.length, end)
    break
  }
  // The answer ends at the first period (after its first character) followed by only spaces to the line's
  // end, or by spaces and a capital letter.
  for (let dot = text.indexOf(".", start + 1); dot >= 0 && dot < lineEnd; dot = text.indexOf(".", dot + 1)) {
    let after = dot + 1
    while (after < lineEnd && isSpace(text[after])) after++
    if (after === lineEnd || (after > dot + 1 && /[A-Z]/.test(text[after]!))) return unemphasized(text.slice(start, dot))
    dot = after - 1
  }
  return unemphasized(text.slice(start, lineEnd))
}

/** Text without Markdown's emphasis around it (`**42**`): as many stars off each end as both ends have. */
const unemphasized = (text: string): string => {
  let start = 0
  let end = text.length
  while (end > start && isSpace(text[end - 1])) end--
  while (start < end - 1 && text[start] === "*" && text[end - 1] === "*") {
    start++
    end--
  }
  return text.slice(start, end)
}

/**
 * Finds the final answer of a response: the last `\boxed{…}` or `\fbox{…}` (nested braces honoured; with
 * several boxes in the final paragraph, all of them in `boxes`), else the text after GSM8K's last `####`, else
 * the answer after the last "answer is" / "answer:" / "answer =" phrase (Minerva's "Final Answer: The final
 * answer is $X$. I hope it is correct." gives `X`). Use on a model's full response or on a trajectory's last
 * step; `undefined` when nothing is found. Linear in the response.
 *
 * @example
 * FinalAnswer.extract("so the area is \\boxed{\\frac{1}{2}}.") // { answer: "\\frac{1}{2}", source: "boxed" }
 */
export const extract = (response: string): Extracted | undefined => {
  const boxes = Answer.finalBoxes(response)
  const lastBox = boxes[boxes.length - 1]
  if (lastBox !== undefined)
    return boxes.length > 1 ? { answer: lastBox.trim(), source: "boxed", boxes: boxes.map((box) => box.trim()) } : { answer: lastBox.trim(), source: "boxed" }
  const unbraced = /\\boxed\s+([^\s$]+)/g
  let lastUnbraced: string | undefined
  for (let match = unbraced.exec(response); match !== null; match = unbraced.exec(response)) lastUnbraced = match[1]
  if (lastUnbraced !== undefined) return { answer: clean(lastUnbraced), source: "boxed" }
  const hashes = response.lastIndexOf("####")
  if (hashes >= 0) {
    const newline = response.indexOf("\n", hashes)
    const answer = clean(response.slice(hashes + 4, newline < 0 ? response.length : newline))
    if (answer !== "") return { answer, source: "hashes" }
  }
  let lastMarkerEnd: number | undefined
  marker.lastIndex = 0
  for (let match = marker.exec(response); match !== null; match = marker.exec(response)) lastMarkerEnd = match.index + match[0].length
  if (lastMarkerEnd !== undefined) {
    const answer = clean(answerAfter(response, lastMarkerEnd))
    if (answer !== "") return { answer, source: "phrase" }
  }
  return undefined
}

/** The answer text alone (see `extract`). */
export const extractAnswer = (response: string): string | undefined => extract(response)?.answer
