/**
 * The prefix-cache model and token logprobs on a step-level workload (8 chains per problem grown one step per
 * request, each request re-sending its chain so far, as step-level searches do), measured side by side in one run:
 * microseconds per request with the cache off and on, and with logprobs asked; and the share of input tokens the
 * cache reports as cached, for a few capacities.
 * Run: npx tsx packages/simulator/bench/prefixCache.ts [problems]
 */
import { Effect } from "effect"
import type { LanguageModel } from "@stepwise/core"
import { Presets, World } from "../src/index.js"

const count = Number(process.argv[2] ?? 100)
const chains = 8
const problems = World.problems(World.make(Presets.calibrated), { count, seed: 1 })

const workload = (world: World.World, logprobs: boolean) => {
  let requests = 0
  let input = 0
  let cached = 0
  const started = performance.now()
  for (const problem of problems) {
    const open = Array.from({ length: chains }, (_, index) => ({ index, steps: [] as Array<string>, done: false }))
    for (let depth = 0; depth < 40 && open.some((chain) => !chain.done); depth++) {
      for (const chain of open) {
        if (chain.done) continue
        const request: LanguageModel.GenerateRequest = {
          messages: problem.messages,
          ...(chain.steps.length > 0 ? { prefix: `${chain.steps.join("\n\n")}\n\n` } : {}),
          stop: ["\n\n"],
          n: 1,
          maxTokens: 512,
          temperature: 0.8,
          seed: chain.index,
          ...(logprobs ? { topLogprobs: 5 } : {})
        }
        const [completion] = Effect.runSync(world.languageModel.generate(request))
        requests++
        input += completion!.usage.inputTokens ?? 0
        cached += completion!.usage.cachedInputTokens ?? 0
        chain.steps.push(completion!.text)
        if (completion!.finishReason !== "stop") chain.done = true
      }
    }
  }
  return { microseconds: ((performance.now() - started) * 1000) / requests, requests, share: cached / input }
}

// Warm the tokenizer caches once so every configuration below sees the same state.
workload(World.make(Presets.calibrated), false)
const off = workload(World.make(Presets.calibrated), false)
const on = workload(World.make(Presets.calibrated, { prefixCache: {} }), false)
const withLogprobs = workload(World.make(Presets.calibrated), true)
console.log(`${count} problems × ${chains} chains, ${off.requests} step requests`)
console.log(`µs per request: cache off ${off.microseconds.toFixed(1)}, cache on ${on.microseconds.toFixed(1)} (×${(on.microseconds / off.microseconds).toFixed(2)}), logprobs (top 5) ${withLogprobs.microseconds.toFixed(1)} (×${(withLogprobs.microseconds / off.microseconds).toFixed(2)})`)
for (const capacityTokens of [1_048_576, 65_536, 8_192, 2_048]) {
  const measured = workload(World.make(Presets.calibrated, { prefixCache: { capacityTokens } }), false)
  console.log(`capacity ${capacityTokens} tokens: ${(100 * measured.share).toFixed(1)}% of input tokens cached`)
}
