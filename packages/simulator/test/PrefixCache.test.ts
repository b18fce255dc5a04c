import { chatCompletion } from "@huggingface/inference"
import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import type { LanguageModel } from "@stepwise/core"
import { PrefixCache, Presets, Server, Tokens, World } from "../src/index.js"

const runs = process.env["CI"] ? 300 : 120

/**
 * A plain reference of the documented model, written independently: blocks keyed by the whole token prefix they
 * end (as text), each with a last-use stamp (request, −depth, first-touch order); eviction takes the smallest stamp.
 */
const reference = (blockSize: number, capacityTokens: number) => {
  const capacity = Math.floor(capacityTokens / blockSize)
  const cache = new Map<string, readonly [number, number, number]>()
  let time = 0
  return (prompt: ReadonlyArray<number>, outputs: ReadonlyArray<ReadonlyArray<number>>): number => {
    time++
    let hits = 0
    for (let block = 0; block < Math.floor(Math.max(0, prompt.length - 1) / blockSize); block++) {
      if (!cache.has(prompt.slice(0, (block + 1) * blockSize).join(","))) break
      hits++
    }
    const sequences = [prompt, ...outputs.map((output) => [...prompt, ...output.slice(0, Math.max(0, output.length - 1))])]
    let order = 0
    const touchedNow = new Set<string>()
    for (const sequence of sequences) {
      for (let block = 0; block < Math.floor(sequence.length / blockSize); block++) {
        const key = sequence.slice(0, (block + 1) * blockSize).join(",")
        if (touchedNow.has(key)) continue
        touchedNow.add(key)
        cache.set(key, [time, -block, order++])
      }
    }
    while (cache.size > capacity) {
      let oldest: string | undefined
      let stamp: readonly [number, number, number] | undefined
      for (const [key, candidate] of cache) {
        if (
          stamp === undefined ||
          candidate[0] < stamp[0] ||
          (candidate[0] === stamp[0] && (candidate[1] < stamp[1] || (candidate[1] === stamp[1] && candidate[2] < stamp[2])))
        ) {
          oldest = key
          stamp = candidate
        }
      }
      if (oldest === undefined) break
      cache.delete(oldest)
    }
    return hits * blockSize
  }
}

const tokens = fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 14 })
const requestArbitrary = fc.record({
  base: fc.integer({ min: 0, max: 2 }),
  suffix: tokens,
  outputs: fc.array(tokens, { minLength: 1, maxLength: 3 })
})

describe("PrefixCache", () => {
  test.prop(
    [fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 48 }), fc.array(tokens, { minLength: 3, maxLength: 3 }), fc.array(requestArbitrary, { maxLength: 24 })],
    { numRuns: runs }
  )("reports, for any order of requests, the cached tokens of a plain reference of vLLM's prefix caching", (blockSize, capacityTokens, bases, requests) => {
    const cache = PrefixCache.make({ blockSize, capacityTokens })
    const expected = reference(blockSize, capacityTokens)
    for (const request of requests) {
      const prompt = [...(bases[request.base] ?? []), ...request.suffix]
      const cached = PrefixCache.request(cache, prompt, request.outputs)
      expect(cached).toBe(expected(prompt, request.outputs))
      expect(cached % blockSize).toBe(0)
      expect(cached).toBeLessThanOrEqual(Math.max(0, prompt.length - 1))
      expect(cache.blocks.size).toBeLessThanOrEqual(cache.capacityBlocks)
    }
  })

  it("hits a repeated prompt in whole blocks, recomputing the block of its last token", () => {
    const cache = PrefixCache.make({ blockSize: 4 })
    const prompt = Array.from({ length: 12 }, (_, index) => index)
    expect(PrefixCache.request(cache, prompt, [[]])).toBe(0)
    expect(PrefixCache.request(cache, prompt, [[]])).toBe(8)
    expect(PrefixCache.request(cache, [...prompt, 99], [[]])).toBe(12)
    expect(PrefixCache.request(cache, [1, ...prompt], [[]])).toBe(0)
  })

  it("caches what a sample generated, so a continuation that re-sends it hits", () => {
    const cache = PrefixCache.make({ blockSize: 2 })
    expect(PrefixCache.request(cache, [1, 2, 3], [[4, 5, 6, 7]])).toBe(0)
    // The sequence 1..7 was computed except its last sampled token (7): blocks [1,2], [3,4], [5,6].
    expect(PrefixCache.request(cache, [1, 2, 3, 4, 5, 6, 7, 8], [[]])).toBe(6)
  })

  it("evicts the least recently used blocks, a request's deepest first, and holds nothing at capacity 0", () => {
    const cache = PrefixCache.make({ blockSize: 1, capacityTokens: 3 })
    PrefixCache.request(cache, [1, 2, 3], [[]])
    expect(PrefixCache.request(cache, [1, 2, 3, 4], [[]])).toBe(3)
    // Four blocks computed, room for three: the deepest, [1,2,3,4], went first.
    expect(PrefixCache.request(cache, [1, 2, 3, 4, 5], [[]])).toBe(3)
    const none = PrefixCache.make({ blockSize: 1, capacityTokens: 0 })
    PrefixCache.request(none, [1, 2, 3], [[]])
    expect(PrefixCache.request(none, [1, 2, 3], [[]])).toBe(0)
  })

  it("rejects bad options naming the field", () => {
    expect(() => PrefixCache.make({ blockSize: 0 })).toThrow("blockSize")
    expect(() => PrefixCache.make({ capacityTokens: -1 })).toThrow("capacityTokens")
    expect(() => World.make(Presets.calibrated, { prefixCache: { blockSize: 1.5 } })).toThrow("prefixCache.blockSize")
  })
})

describe("prefix caching in the world", () => {
  const problems = World.problems(World.make(Presets.calibrated), { count: 4, seed: 3 })
  const requests: ReadonlyArray<LanguageModel.GenerateRequest> = problems.flatMap((problem) => [
    { messages: problem.messages, n: 2, maxTokens: 256, temperature: 0.8, seed: 1, stop: ["\n\n"] },
    { messages: problem.messages, n: 3, maxTokens: 2048, temperature: 0.8, seed: 2 }
  ])
  const run = (world: World.World) =>
    requests.map((request) => Effect.runSync(world.languageModel.generate(request)))

  it("only adds the cached split: texts, finish reasons, input and output tokens are those of a world without it", () => {
    const plain = run(World.make(Presets.calibrated, { seed: 2 }))
    const cached = run(World.make(Presets.calibrated, { seed: 2, prefixCache: {} }))
    const strip = (batches: typeof plain) =>
      batches.map((batch) => batch.map((completion) => [completion.text, completion.finishReason, completion.usage.inputTokens, completion.usage.outputTokens]))
    expect(strip(cached)).toEqual(strip(plain))
    expect(plain.flat().every((completion) => completion.usage.cachedInputTokens === 0)).toBe(true)
    for (const batch of cached)
      for (const completion of batch) expect(completion.usage.cachedInputTokens!).toBeLessThanOrEqual(completion.usage.inputTokens!)
    // The second request of each problem re-reads the first one's prompt.
    expect(cached.filter((_batch, index) => index % 2 === 1).every((batch) => (batch[0]!.usage.cachedInputTokens ?? 0) > 0)).toBe(true)
  })

  it("counts what the reference counts for the world's prompts and samples", () => {
    const world = World.make(Presets.calibrated, { seed: 2, prefixCache: { blockSize: 16, capacityTokens: 4096 } })
    const expected = reference(16, 4096)
    for (const request of requests) {
      const completions = Effect.runSync(world.languageModel.generate(request))
      const outputs = completions.map((completion) =>
        completion.finishReason === "eos"
          ? [...Tokens.ids(completion.text), Tokens.endOfSequence]
          : Tokens.ids(completion.text + (completion.finishReason === "stop" ? "\n\n" : ""))
      )
      expect(completions[0]!.usage.cachedInputTokens).toBe(expected(Tokens.promptIds(request.messages, request.prefix), outputs))
    }
  })
})

describe("prefix caching through the loopback server", () => {
  it("reports usage.prompt_tokens_details.cached_tokens in chat and completions responses", async () => {
    const world = World.make(Presets.calibrated, { seed: 2 })
    const server = await Server.listen(world, { port: 0, prefixCache: { blockSize: 16 } })
    try {
      const messages = problems()[0]!.messages.map((message) => ({ role: message.role, content: message.content }))
      const ask = () => chatCompletion({ endpointUrl: server.url, model: "stepwise-sim", messages, max_tokens: 64, seed: 1 }, { retry_on_error: false })
      const first = await ask()
      const second = await ask()
      const details = (usage: unknown) => (usage as { prompt_tokens_details: { cached_tokens: number } }).prompt_tokens_details
      expect(details(first.usage).cached_tokens).toBe(0)
      expect(details(second.usage).cached_tokens).toBe(Math.floor((second.usage.prompt_tokens - 1) / 16) * 16)
      const prompt = Server.chatTemplate(problems()[0]!.messages)
      const completions = async () => {
        const response = await fetch(`${server.url}/v1/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "stepwise-sim", prompt, max_tokens: 32 })
        })
        return (await response.json()) as { usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } } }
      }
      const streamed = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "stepwise-sim", messages, max_tokens: 64, seed: 1, stream: true, stream_options: { include_usage: true } })
      })
      const chunks = (await streamed.text()).split("\n\n").filter((line) => line.startsWith("data: {")).map((line) => JSON.parse(line.slice(6)))
      const usage = chunks[chunks.length - 1].usage as { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } }
      expect(usage.prompt_tokens_details.cached_tokens).toBe(Math.floor((usage.prompt_tokens - 1) / 16) * 16)
      const once = await completions()
      const twice = await completions()
      expect(once.usage.prompt_tokens_details.cached_tokens).toBe(0)
      expect(twice.usage.prompt_tokens_details.cached_tokens).toBe(Math.floor((twice.usage.prompt_tokens - 1) / 16) * 16)
    } finally {
      await server.close()
    }
  })

  it("reports no prompt_tokens_details without the option, as vLLM without --enable-prompt-tokens-details", async () => {
    const server = await Server.listen(World.make(Presets.calibrated), { port: 0 })
    try {
      const output = await chatCompletion(
        { endpointUrl: server.url, model: "stepwise-sim", messages: [{ role: "user", content: problems()[0]!.question }], max_tokens: 8 },
        { retry_on_error: false }
      )
      expect((output.usage as unknown as { prompt_tokens_details: unknown }).prompt_tokens_details).toBeNull()
    } finally {
      await server.close()
    }
  })
})

function problems() {
  return World.problems(World.make(Presets.calibrated), { count: 1, seed: 5 })
}
