import { InvalidOptions } from "@stepwise/core"

/**
 * A model of vLLM's automatic prefix caching (APC) for one server: the KV cache is kept in blocks of `blockSize`
 * tokens; a block is identified by its tokens and everything before them (a hash chained over the whole prefix,
 * checked token by token, so a hit is exact); only full blocks are cached; a request's cached prompt tokens are
 * its longest run of cached blocks from the start, at most `promptTokens − 1` (the last prompt token is always
 * computed, so a fully cached prompt recomputes its last block), counted in whole blocks. After a request its
 * blocks — the prompt's and those each sample computed (prompt plus output, except the last sampled token, whose
 * KV is never computed) — are the most recently used, the deepest of them first in line for eviction (vLLM frees a
 * request's blocks tail first); when the cache holds more than `capacityTokens / blockSize` blocks, the least
 * recently used are evicted. Requests are served one at a time in arrival order.
 */

/** Options of a prefix cache. */
export interface Options {
  /** Tokens the cache holds (default 1,048,576: about a 7B GQA model's KV cache on one 80 GB GPU). */
  readonly capacityTokens?: number
  /** Tokens per block (default 16, vLLM's default block size). */
  readonly blockSize?: number
}

/** The default capacity in tokens. */
export const defaultCapacityTokens = 1_048_576
/** The default block size in tokens. */
export const defaultBlockSize = 16

interface Block {
  readonly parent: number
  readonly tokens: ReadonlyArray<number>
}

/** A prefix cache: its settings and its blocks, oldest first (mutable; one per server). */
export interface PrefixCache {
  readonly blockSize: number
  readonly capacityBlocks: number
  /** Cached blocks by key, in recency order: the first is evicted first. */
  readonly blocks: Map<number, Block>
}

/** Checks the options; returns the first problem found, naming the field. */
export const validate = (options: Options): InvalidOptions | undefined => {
  const bad = (field: string, detail: string) => new InvalidOptions({ subject: "simulator prefix cache", field, detail })
  if (options.blockSize !== undefined && !(Number.isSafeInteger(options.blockSize) && options.blockSize >= 1))
    return bad("blockSize", `must be an integer ≥ 1, got ${options.blockSize}`)
  if (options.capacityTokens !== undefined && !(Number.isSafeInteger(options.capacityTokens) && options.capacityTokens >= 0))
    return bad("capacityTokens", `must be an integer ≥ 0, got ${options.capacityTokens}`)
  return undefined
}

/**
 * Makes an empty cache. Throws `InvalidOptions` naming a bad field.
 *
 * @example
 * const cache = PrefixCache.make({ capacityTokens: 65_536, blockSize: 16 })
 */
export const make = (options: Options = {}): PrefixCache => {
  const problem = validate(options)
  if (problem !== undefined) throw problem
  const blockSize = options.blockSize ?? defaultBlockSize
  return { blockSize, capacityBlocks: Math.floor((options.capacityTokens ?? defaultCapacityTokens) / blockSize), blocks: new Map() }
}

const root = 0x1f3d5b79

/** The key of a block: two 32-bit FNV-style lanes over the parent key and the tokens, folded into 53 bits. */
const keyOf = (parent: number, tokens: ReadonlyArray<number>, from: number, size: number): number => {
  let first = (parent ^ 0x811c9dc5) >>> 0
  let second = Math.floor(parent / 4294967296) ^ 0x5bd1e995
  for (let index = from; index < from + size; index++) {
    const token = tokens[index] ?? 0
    first = Math.imul(first ^ token, 0x01000193) >>> 0
    second = Math.imul(second ^ (token + 0x9e3779b9), 0x85ebca6b) >>> 0
    second ^= second >>> 13
  }
  return (first >>> 0) * 2097152 + ((second >>> 11) & 0x1fffff)
}

const sameTokens = (block: Block, tokens: ReadonlyArray<number>, from: number): boolean => {
  for (let index = 0; index < block.tokens.length; index++) if (block.tokens[index] !== tokens[from + index]) return false
  return true
}

/**
 * Serves one request: returns its cached prompt tokens (a multiple of the block size), then stores the blocks the
 * request computed and marks them most recently used, evicting the least recently used beyond capacity.
 * `outputs` holds each sample's generated tokens (the stop string's or end token included, as generated).
 *
 * @example
 * const cached = PrefixCache.request(cache, promptTokens, [outputTokens])
 */
export const request = (cache: PrefixCache, prompt: ReadonlyArray<number>, outputs: ReadonlyArray<ReadonlyArray<number>>): number => {
  const size = cache.blockSize
  const blocks = cache.blocks
  // Lookup: the longest run of cached full blocks from the start, within promptTokens − 1.
  const reachable = Math.floor(Math.max(0, prompt.length - 1) / size)
  let parent = root
  let hits = 0
  for (let index = 0; index < reachable; index++) {
    const key = keyOf(parent, prompt, index * size, size)
    const block = blocks.get(key)
    if (block === undefined || block.parent !== parent || !sameTokens(block, prompt, index * size)) break
    hits++
    parent = key
  }
  // Store: every full block each sample computed (the prompt, then its output but the last sampled token).
  const touched: Array<Array<readonly [number, Block]>> = []
  const seen = new Set<number>()
  const promptBlocks = Math.floor(prompt.length / size)
  const promptKeys: Array<number> = []
  parent = root
  for (let index = 0; index < promptBlocks; index++) {
    const key = keyOf(parent, prompt, index * size, size)
    promptKeys.push(key)
    if (!seen.has(key)) {
      seen.add(key)
      ;(touched[index] ??= []).push([key, { parent, tokens: prompt.slice(index * size, (index + 1) * size) }])
    }
    parent = key
  }
  for (const output of outputs.length === 0 ? [[]] : outputs) {
    const computed = prompt.length + Math.max(0, output.length - 1)
    const total = Math.floor(computed / size)
    if (total <= promptBlocks) continue
    const tail = prompt.slice(promptBlocks * size).concat(output.slice(0, computed - prompt.length))
    let previous = promptKeys[promptBlocks - 1] ?? root
    for (let index = promptBlocks; index < total; index++) {
      const from = (index - promptBlocks) * size
      const key = keyOf(previous, tail, from, size)
      if (!seen.has(key)) {
        seen.add(key)
        ;(touched[index] ??= []).push([key, { parent: previous, tokens: tail.slice(from, from + size) }])
      }
      previous = key
    }
  }
  // Most recently used: the request's blocks, the deepest first in line for eviction.
  for (let depth = touched.length - 1; depth >= 0; depth--) {
    for (const [key, block] of touched[depth] ?? []) {
      blocks.delete(key)
      blocks.set(key, block)
    }
  }
  while (blocks.size > cache.capacityBlocks) {
    const oldest = blocks.keys().next()
    if (oldest.done === true) break
    blocks.delete(oldest.value)
  }
  return hits * size
}
