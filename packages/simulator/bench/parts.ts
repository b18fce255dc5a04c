import { Presets, World, Policy, Tokens, Sampling, WordProblem, Solution, Seeded } from "../src/index.js"
const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 200, seed: 1 })
const time = (name: string, runs: number, f: (i: number) => unknown) => {
  for (let i = 0; i < runs; i++) f(i)
  const t = performance.now()
  for (let i = 0; i < runs; i++) f(i)
  console.log(name.padEnd(28), ((performance.now() - t) * 1000 / runs).toFixed(2), "µs")
}
const p = problems[0]!
const wp = WordProblem.recognize(p.question)!
time("Tokens.prompt", 20000, () => Tokens.prompt(p.messages, undefined))
time("promptHash", 20000, () => Sampling.promptHash(7, p.messages))
time("recognize", 20000, () => WordProblem.recognize(p.question))
time("nextStep", 20000, (i) => Policy.nextStep(world.environment, wp, Solution.initial(wp), Seeded.stream(i), 0.8))
time("count new text", 2000, (i) => Tokens.count(`## Step 3: Mia gets ${i} more marbles, so ${i * 7} + ${i} = ${i * 8}.`))
time("complete 1 step", 20000, (i) => Policy.complete(world.environment, { messages: p.messages, stop: ["\n\n"], n: 1, maxTokens: 4096, temperature: 0.8, seed: i % 50 }))
import { Effect } from "effect"
time("LM.generate 1 step", 5000, (i) => Effect.runSync(world.languageModel.generate({ messages: p.messages, stop: ["\n\n"], n: 1, maxTokens: 4096, temperature: 0.8, seed: i % 50 })))
time("LM.generate n=32 full", 300, (i) => Effect.runSync(world.languageModel.generate({ messages: p.messages, n: 32, maxTokens: 4096, temperature: 0.8, seed: i % 5 })))
time("complete n=32 full", 300, (i) => Policy.complete(world.environment, { messages: p.messages, n: 32, maxTokens: 4096, temperature: 0.8, seed: i % 5 }))
