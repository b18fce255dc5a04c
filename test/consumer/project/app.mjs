// A plain ESM JavaScript program, as a new user writes one: the Promise API of the installed umbrella package.
// It prints one JSON line, which the consumer test compares with the same call run from the sources.
import { Presets, World, solve } from "stepwise-decoding"

const [problem] = World.problems(World.make(Presets.calibrated), { count: 1, seed: 3 })
const result = await solve({ problem, strategy: { kind: "best-of-n", options: { n: 8, seed: 1 } }, budget: { totalTokens: 6000 } })
console.log(JSON.stringify({ outcome: result.outcome._tag, answer: result.answer ?? null, spend: result.spend }))
