import { ALL_SPECIAL_TOKENS, countTokens, decode, encode } from "gpt-tokenizer/encoding/cl100k_base"
import type { Message } from "@stepwise/core"

/**
 * Token counts of the simulated world, from a real BPE tokenizer (cl100k_base, shipped offline by
 * gpt-tokenizer). Texts are counted in pieces with a cache, so counting a long prefix costs one lookup per step,
 * and the counts are exact: pieces end after a newline run that a non-space character follows, where cl100k's
 * pre-tokenizer always starts a new pre-token, so no token spans two pieces (a run of over 100 characters without
 * a space is counted in chunks: see `longestRun`). A chat prompt adds the usual template tokens per message.
 */

// Chat-template markers such as <|im_start|> count as the single special tokens they are.
const encodeOptions = { allowedSpecial: ALL_SPECIAL_TOKENS } as const

const cacheLimit = 200_000

/** A function of a piece of text, cached (bounded: the cache is emptied when full). */
const cachedBySegment = <A>(compute: (segment: string) => A): ((segment: string) => A) => {
  const cache = new Map<string, A>()
  return (segment) => {
    const known = cache.get(segment)
    if (known !== undefined) return known
    const value = compute(segment)
    if (cache.size >= cacheLimit) cache.clear()
    cache.set(segment, value)
    return value
  }
}

// BPE merges within one pre-token in time quadratic in its length, and cl100k makes a run of letters (or of
// symbols) one pre-token however long: a 120,000-character word took 7 s to count and held the server's thread.
// Such a run is counted in chunks of `longestRun` characters: linear, and a few tokens off the exact count only for
// text with a run that long (no real word is).
const longestRun = 100
const longRuns = new RegExp(String.raw`(\S{${longestRun + 1},})`)

/** Applies `tokenize` to a segment, to each long run's chunks apart (see `longestRun`); results concatenated. */
const byBoundedRuns = <A>(segment: string, tokenize: (text: string) => ReadonlyArray<A>): ReadonlyArray<A> => {
  if (!longRuns.test(segment)) return tokenize(segment)
  const result: Array<A> = []
  for (const part of segment.split(longRuns)) {
    if (part.length === 0) continue
    if (part.length <= longestRun || /\s/.test(part)) for (const item of tokenize(part)) result.push(item)
    else for (let start = 0; start < part.length; start += longestRun) for (const item of tokenize(part.slice(start, start + longestRun))) result.push(item)
  }
  return result
}

/** A text's token ids (long runs in chunks, see `longestRun`). */
const encodeBounded = (text: string): ReadonlyArray<number> => byBoundedRuns(text, (part) => encode(part, encodeOptions))

/** Tokens of one piece, cached. */
const countSegment = cachedBySegment((segment) =>
  longRuns.test(segment) ? encodeBounded(segment).length : countTokens(segment, encodeOptions)
)

// A blank line followed by a non-space character: a pre-token boundary of cl100k, so a safe place to cut.
const pieceBoundary = /(?<=\n\n)(?=\S)/

/** Tokens of a text, exactly as the tokenizer counts them, from cached pieces (one per step of a prefix). */
export const count = (text: string): number => {
  if (text.length === 0) return 0
  if (!text.includes("\n\n")) return countSegment(text)
  let total = 0
  for (const piece of text.split(pieceBoundary)) total += countSegment(piece)
  return total
}

/** Template tokens around each chat message (role markers), and for the assistant turn's opening. */
export const perMessage = 4
/** Tokens that open the assistant's turn. */
export const assistantOpening = 3

/** Prompt tokens of a chat request: every message with its template tokens, the assistant opening, the prefix. */
export const prompt = (messages: ReadonlyArray<Message.Message>, prefix: string | undefined): number => {
  let total = assistantOpening
  for (const message of messages) total += perMessage + count(message.content)
  if (prefix !== undefined) total += count(prefix)
  return total
}

/** The first `limit` tokens of a text, decoded back to text. */
export const truncate = (text: string, limit: number): string => decode(encodeBounded(text).slice(0, Math.max(0, limit)))

/** The text's tokens as strings (for logprobs). */
export const pieces = (text: string): ReadonlyArray<string> => encodeBounded(text).map((token) => decode([token]))

/** Token ids of one piece, cached. */
const idsOfSegment = cachedBySegment((segment): ReadonlyArray<number> => encodeBounded(segment))

/** The token ids of a text, from cached pieces; as many as `count` says. */
export const ids = (text: string): ReadonlyArray<number> => {
  if (text.length === 0) return []
  if (!text.includes("\n\n")) return idsOfSegment(text)
  const result: Array<number> = []
  for (const piece of text.split(pieceBoundary)) for (const id of idsOfSegment(piece)) result.push(id)
  return result
}

// Template tokens of the world's chat prompts: outside the vocabulary, so they never equal a text token.
const templateStart = -1
const templateEnd = -2
const templateNewline = -3
const roleIds: Readonly<Record<Message.Message["role"], number>> = { system: -4, user: -5, assistant: -6 }

/**
 * The token ids of a chat prompt as the world counts it (`prompt`): each message as start, role, newline, content,
 * end; then start, assistant, newline and the prefix. Use for the prefix-cache model.
 */
export const promptIds = (messages: ReadonlyArray<Message.Message>, prefix: string | undefined): ReadonlyArray<number> => {
  const result: Array<number> = []
  for (const message of messages) {
    result.push(templateStart, roleIds[message.role], templateNewline)
    for (const id of ids(message.content)) result.push(id)
    result.push(templateEnd)
  }
  result.push(templateStart, roleIds.assistant, templateNewline)
  if (prefix !== undefined) for (const id of ids(prefix)) result.push(id)
  return result
}

/** The end-of-sequence token (outside the vocabulary). */
export const endOfSequence = -7
