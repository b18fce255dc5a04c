/**
 * Measures the calibrated preset's scaling curves: single-sample accuracy, majority vote, PRM-weighted vote and
 * PRM best-of-N (last-step score), and oracle pass@N, for N = 1..64, at temperature 0.8.
 * Run: npx tsx packages/simulator/bench/curve.ts [preset] [problems] [worldSeed] [temperature]
 */
import { Effect } from "effect"
import { Answer, Trajectory, Step } from "@stepwise/core"
import { Preset, Presets, World } from "../src/index.js"

const presetName = process.argv[2] ?? "calibrated"
const count = Number(process.argv[3] ?? 500)
const worldSeed = Number(process.argv[4] ?? 7)
const temperature = Number(process.argv[5] ?? 0.8)
const named = Presets.all[presetName]
if (named === undefined) throw new Error(`unknown preset ${presetName}`)
// STEPWISE_OVERRIDES may hold a JSON `Preset.Overrides` to explore settings without editing the presets.
const preset = process.env["STEPWISE_OVERRIDES"] === undefined ? named : Preset.override(named, JSON.parse(process.env["STEPWISE_OVERRIDES"]))
const world = World.make(preset, { seed: worldSeed })
const problems = World.problems(world, { count, seed: 1 })
const sizes = [1, 2, 4, 8, 16, 32, 64]
const samples = 64
const totals = { majority: sizes.map(() => 0), weighted: sizes.map(() => 0), best: sizes.map(() => 0), pass: sizes.map(() => 0) }
let single = 0
let tokens = 0
const started = performance.now()
for (const problem of problems) {
  const completions = Effect.runSync(
    world.languageModel.generate({ messages: problem.messages, n: samples, maxTokens: 2048, temperature, seed: 3 })
  )
  const candidates = completions.map((completion) => {
    tokens += completion.usage.outputTokens ?? 0
    const steps = completion.text.split("\n\n").map((text) => Step.make({ text }))
    const trajectory = Trajectory.fromSteps(steps)
    const answer = Answer.extractBoxed(completion.text)
    const scores = Effect.runSync(world.processRewardModel.score(problem, trajectory)).stepScores
    return { answer: answer === undefined ? undefined : Answer.normalize(answer), score: scores[scores.length - 1] ?? 0, correct: World.isCorrect(world, problem, answer) }
  })
  single += candidates.filter((candidate) => candidate.correct).length / samples
  sizes.forEach((size, sizeIndex) => {
    const subset = candidates.slice(0, size)
    const votes = new Map<string, { count: number; weight: number; correct: boolean }>()
    for (const candidate of subset) {
      if (candidate.answer === undefined) continue
      const entry = votes.get(candidate.answer) ?? { count: 0, weight: 0, correct: candidate.correct }
      entry.count++
      entry.weight += candidate.score
      votes.set(candidate.answer, entry)
    }
    const entries = [...votes.values()]
    const majority = entries.reduce<typeof entries[number] | undefined>((best, entry) => (best === undefined || entry.count > best.count ? entry : best), undefined)
    const weighted = entries.reduce<typeof entries[number] | undefined>((best, entry) => (best === undefined || entry.weight > best.weight ? entry : best), undefined)
    const best = subset.reduce((top, candidate) => (candidate.score > top.score ? candidate : top))
    totals.majority[sizeIndex] += majority?.correct === true ? 1 : 0
    totals.weighted[sizeIndex] += weighted?.correct === true ? 1 : 0
    totals.best[sizeIndex] += best.correct ? 1 : 0
    totals.pass[sizeIndex] += subset.some((candidate) => candidate.correct) ? 1 : 0
  })
}
const format = (values: ReadonlyArray<number>) => values.map((value) => (value / problems.length).toFixed(3).padStart(6)).join(" ")
console.log(`preset ${presetName}, ${problems.length} problems, world seed ${worldSeed}, T = ${temperature}`)
console.log(`pass@1 (mean over 64 samples): ${(single / problems.length).toFixed(3)}; mean output tokens per sample ${(tokens / problems.length / samples).toFixed(1)}`)
console.log(`N          ${sizes.map((size) => String(size).padStart(6)).join(" ")}`)
console.log(`majority   ${format(totals.majority)}`)
console.log(`weighted   ${format(totals.weighted)}`)
console.log(`PRM best   ${format(totals.best)}`)
console.log(`pass@N     ${format(totals.pass)}`)
console.log(`${((performance.now() - started) / (problems.length * samples) * 1000).toFixed(1)} µs per sample (generation + scoring)`)
