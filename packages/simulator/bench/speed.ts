import { Effect } from "effect"
import { Presets, World, Policy, Tokens } from "../src/index.js"
const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 200, seed: 1 })
let t = performance.now()
let samples = 0
for (const p of problems) { Policy.complete(world.environment, { messages: p.messages, n: 32, maxTokens: 4096, temperature: 0.8, seed: 1 }); samples += 32 }
console.log("pure complete µs/sample", ((performance.now() - t) * 1000 / samples).toFixed(1))
t = performance.now()
for (const p of problems) { Policy.complete(world.environment, { messages: p.messages, n: 32, maxTokens: 4096, temperature: 0.8, seed: 1 }) }
console.log("again (cached tokens) µs/sample", ((performance.now() - t) * 1000 / samples).toFixed(1))
t = performance.now()
for (const p of problems) { Effect.runSync(world.languageModel.generate({ messages: p.messages, n: 32, maxTokens: 4096, temperature: 0.8, seed: 1 })) }
console.log("via LanguageModel (cached) µs/sample", ((performance.now() - t) * 1000 / samples).toFixed(1))
t = performance.now()
let steps = 0
for (const p of problems) { for (let i = 0; i < 32; i++) { Policy.complete(world.environment, { messages: p.messages, prefix: "## Step 1: Mia has 3 more, so 5 + 3 = 8.\n\n", stop: ["\n\n"], n: 1, maxTokens: 4096, temperature: 0.8, seed: i+100 }); steps++ } }
console.log("single step call µs", ((performance.now() - t) * 1000 / steps).toFixed(1))
