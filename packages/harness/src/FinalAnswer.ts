import { Answer } from "@stepwise/core"

/** Where a final answer was found in a response. */
export type Source = "boxed" | "hashes" | "phrase"

/** A final answer found in a response, and where it came from. */
export interface Extracted {
  readonly answer: string
  readonly source: Source
}

const phrase =
  /(?:the\s+)?(?:final\s+)?answer\s*(?:is\b|=|:)\s*:?\s*(.+?)\s*(?:\.\s*$|\.\s+(?=[A-Z])|$)/gim

const clean = (answer: string): string =>
  answer
    .trim()
    .replace(/^\$+|\$+$/g, "")
    .replace(/^\\\(|\\\)$/g, "")
    .replace(/\.$/, "")
    .trim()

/**
 * Finds the final answer of a response: the last `\boxed{…}` or `\fbox{…}` (nested braces honoured), else the
 * text after GSM8K's last `####`, else the last "The answer is …" / "final answer is …" phrase.
 * Use on a model's full response or on a trajectory's last step; `undefined` when nothing is found.
 *
 * @example
 * FinalAnswer.extract("so the area is \\boxed{\\frac{1}{2}}.") // { answer: "\\frac{1}{2}", source: "boxed" }
 */
export const extract = (response: string): Extracted | undefined => {
  const boxed = Answer.extractBoxed(response)
  if (boxed !== undefined) return { answer: boxed.trim(), source: "boxed" }
  const unbraced = /\\boxed\s+([^\s$]+)/g
  let lastUnbraced: string | undefined
  for (let match = unbraced.exec(response); match !== null; match = unbraced.exec(response)) lastUnbraced = match[1]
  if (lastUnbraced !== undefined) return { answer: clean(lastUnbraced), source: "boxed" }
  const hashes = response.lastIndexOf("####")
  if (hashes >= 0) {
    const after = response.slice(hashes + 4).split("\n")[0] ?? ""
    const answer = clean(after)
    if (answer !== "") return { answer, source: "hashes" }
  }
  let last: string | undefined
  for (let match = phrase.exec(response); match !== null; match = phrase.exec(response)) last = match[1]
  phrase.lastIndex = 0
  if (last !== undefined) {
    const answer = clean(last)
    if (answer !== "") return { answer, source: "phrase" }
  }
  return undefined
}

/** The answer text alone (see `extract`). */
export const extractAnswer = (response: string): string | undefined => extract(response)?.answer
