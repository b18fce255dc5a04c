import type { LanguageModel, Message } from "@stepwise/core"
import { Usage } from "@stepwise/core"
import * as Confidence_ from "./Confidence.js"
import type * as Preset from "./Preset.js"
import * as Seeded from "./Seeded.js"
import * as Tokens from "./Tokens.js"

/**
 * The request-level mechanics every simulated generation shares: sample keys (common random numbers), stop
 * sequences, the token limit, usage and token logprobs. The content comes from a chunk source (steps, or
 * verification lines); this module cuts it the way a server would.
 */

/** The temperature a request samples at (servers default to 1). */
export const temperatureOf = (request: LanguageModel.GenerateRequest): number => request.temperature ?? 1

const contentHashes = new Map<string, number>()

const contentHash = (content: string): number => {
  const known = contentHashes.get(content)
  if (known !== undefined) return known
  const hash = Seeded.hashText(content)
  if (contentHashes.size > 100_000) contentHashes.clear()
  contentHashes.set(content, hash)
  return hash
}

/** The hash of a chat prompt, from the world seed and every message's role and content (content hashes cached). */
export const promptHash = (worldSeed: number, messages: ReadonlyArray<Message.Message>): number => {
  let hash = Seeded.combine(0x51ed27, worldSeed)
  for (const message of messages)
    hash = Seeded.combine(Seeded.combine(hash, message.role === "system" ? 1 : message.role === "user" ? 2 : 3), contentHash(message.content))
  return hash
}

/**
 * The key of one sample: a function of the request seed, the sample index and the temperature. At temperature 0
 * (greedy) every sample is the same, whatever the seed and index.
 */
export const sampleKey = (request: LanguageModel.GenerateRequest, index: number): number => {
  const temperature = temperatureOf(request)
  if (temperature === 0) return 0x6a09e667
  return Seeded.key(request.seed ?? 0, index, Seeded.floatBits(temperature))
}

/** The text of the last user message (the question, or a verification prompt). */
export const lastUserText = (messages: ReadonlyArray<Message.Message>): string => {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]
    if (message !== undefined && message.role === "user") return message.content
  }
  return ""
}

/** A source of continuation text, one chunk at a time; `undefined` means the model ended (end of sequence). */
export type Source = () => string | undefined

/** A source that gives one chunk, then ends. */
export const single = (text: string): Source => {
  let done = false
  return () => {
    if (done) return undefined
    done = true
    return text
  }
}

const earliestStop = (text: string, stops: ReadonlyArray<string>, from: number): readonly [number, string] => {
  let best = -1
  let which = ""
  for (const stop of stops) {
    if (stop.length === 0) continue
    const at = text.indexOf(stop, from)
    if (at >= 0 && (best < 0 || at < best)) {
      best = at
      which = stop
    }
  }
  return [best, which]
}

/** A continuation cut like a server cuts it. */
export interface Cut {
  readonly text: string
  readonly finishReason: "stop" | "length" | "eos"
  readonly outputTokens: number
  /** The stop sequence that ended the text, when `finishReason` is `stop`. */
  readonly stopSequence?: string
}

/**
 * Draws chunks until a stop sequence appears (cut before it: `stop`), the token limit passes (truncated:
 * `length`), or the source ends (`eos`). `maxChunks` guards against sources that never end.
 */
export const cut = (source: Source, request: LanguageModel.GenerateRequest, maxChunks = 64): Cut => {
  const stops = request.stop ?? []
  const longestStop = stops.reduce((longest, stop) => Math.max(longest, stop.length), 0)
  let text = ""
  let tokens = 0
  for (let chunks = 0; chunks < maxChunks; chunks++) {
    const chunk = source()
    if (chunk === undefined) return ended(text, "eos", undefined, request.maxTokens)
    const before = text.length
    text += chunk
    if (stops.length > 0) {
      const [at, stopSequence] = earliestStop(text, stops, Math.max(0, before - longestStop))
      if (at >= 0) {
        return ended(text.slice(0, at), "stop", stopSequence, request.maxTokens)
      }
    }
    tokens += Tokens.count(chunk)
    if (tokens > request.maxTokens) return truncated(text, request.maxTokens)
  }
  return truncated(text, Math.min(request.maxTokens, Tokens.count(text)))
}

/**
 * A natural end (end of sequence, or a stop sequence) costs one more token than the text: when that token does not
 * fit in the limit, the generation ends by length instead, as on a real server.
 */
const ended = (text: string, reason: "eos" | "stop", stopSequence: string | undefined, limit: number): Cut => {
  const count = Tokens.count(text)
  if (count > limit) return truncated(text, limit)
  if (count + 1 > limit) return { text, finishReason: "length", outputTokens: count }
  return { text, finishReason: reason, outputTokens: count + 1, ...(stopSequence === undefined ? {} : { stopSequence }) }
}

const truncated = (text: string, limit: number): Cut => {
  const kept = Tokens.truncate(text, limit)
  return { text: kept, finishReason: "length", outputTokens: Math.min(limit, Tokens.count(kept)) }
}

const stopSequences = new WeakMap<LanguageModel.Completion, string>()

/**
 * The token ids a sample generated, as a server's KV cache holds them: the text, then the stop string that ended
 * it, or the end-of-sequence token. Use for the prefix-cache model.
 */
export const generatedIds = (completion: LanguageModel.Completion): ReadonlyArray<number> => {
  if (completion.finishReason === "eos") return [...Tokens.ids(completion.text), Tokens.endOfSequence]
  if (completion.finishReason === "stop") return Tokens.ids(completion.text + (stopSequences.get(completion) ?? ""))
  return Tokens.ids(completion.text)
}

/** A completion with another usage, keeping what the world knows about it (the stop sequence that ended it). */
export const withUsage = (completion: LanguageModel.Completion, usage: Usage.Usage): LanguageModel.Completion => {
  const changed = { ...completion, usage }
  const stop = stopSequences.get(completion)
  if (stop !== undefined) stopSequences.set(changed, stop)
  return changed
}

/** The stop sequence that ended a completion the world produced (a server reports it as `stop_reason`). */
export const stopSequenceOf = (completion: LanguageModel.Completion): string | undefined => stopSequences.get(completion)

/** What the token logprobs of a completion follow: the world's confidence settings and each step's error weight. */
export interface Confidence {
  readonly settings: Preset.Confidence
  /** Each step's error weight for a text (`Confidence.stepWeights`); every step sound when absent. */
  readonly weights?: (text: string) => ReadonlyArray<number>
}

/**
 * Builds one completion from a cut: usage (the prompt counted on completion 0 only) and, when the request asks,
 * token logprobs drawn by `Confidence.logprobs` from their own stream.
 */
export const completion = (
  request: LanguageModel.GenerateRequest,
  index: number,
  result: Cut,
  promptTokens: number,
  key: number,
  confidence: Confidence
): LanguageModel.Completion => {
  const wantsLogprobs = request.logprobs === true || request.topLogprobs !== undefined
  const built: LanguageModel.Completion = {
    index,
    text: result.text,
    finishReason: result.finishReason,
    usage: Usage.make({ inputTokens: index === 0 ? promptTokens : 0, outputTokens: result.outputTokens, cachedInputTokens: 0 }),
    ...(wantsLogprobs
      ? {
          logprobs: Confidence_.logprobs(
            confidence.settings,
            result.text,
            key,
            Math.max(1, request.topLogprobs ?? 1),
            confidence.weights?.(result.text) ?? []
          )
        }
      : {})
  }
  if (result.stopSequence !== undefined) stopSequences.set(built, result.stopSequence)
  return built
}
