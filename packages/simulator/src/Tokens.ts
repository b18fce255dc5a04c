import { ALL_SPECIAL_TOKENS, countTokens, decode, encode } from "gpt-tokenizer/encoding/cl100k_base"
import type { Message } from "@stepwise/core"

/**
 * Token counts of the simulated world, from a real BPE tokenizer (cl100k_base, shipped offline by
 * gpt-tokenizer). Texts are counted in pieces with a cache, so counting a long prefix costs one lookup per step,
 * and the counts are exact: pieces end after a newline run that a non-space character follows, where cl100k's
 * pre-tokenizer always starts a new pre-token, so no token spans two pieces. A chat prompt adds the usual
 * template tokens per message.
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

/** Tokens of one piece, cached. */
const countSegment = cachedBySegment((segment) => countTokens(segment, encodeOptions))

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
export const truncate = (text: string, limit: number): string => decode(encode(text, encodeOptions).slice(0, Math.max(0, limit)))

/** The text's tokens as strings (for logprobs). */
export const pieces = (text: string): ReadonlyArray<string> => encode(text, encodeOptions).map((token) => decode([token]))

/** Token ids of one piece, cached. */
const idsOfSegment = cachedBySegment((segment): ReadonlyArray<number> => encode(segment, encodeOptions))

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
