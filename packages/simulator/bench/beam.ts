/**
 * A sanity check of the world's realism: a plain step-level beam search (search-and-learn semantics, last-step
 * PRM score) against PRM-weighted best-of-N and majority vote at the same N, on the calibrated preset.
 * Step-level search should help, not win trivially. Run: npx tsx packages/simulator/bench/beam.ts [N] [problems]
 */
import { Effect } from "effect"
import { Answer, Step, Trajectory } from "@stepwise/core"
import { Presets, World } from "../src/index.js"

const n = Number(process.argv[2] ?? 16)
const count = Number(process.argv[3] ?? 200)
const width = 4
const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count, seed: 1 })
const run = <A>(effect: Effect.Effect<A, unknown>) => Effect.runSync(effect)
const lastScore = (problem: (typeof problems)[number], texts: ReadonlyArray<string>) => {
  const scores = run(world.processRewardModel.score(problem, Trajectory.fromSteps(texts.map((text) => Step.make({ text }))))).stepScores
  return scores[scores.length - 1] ?? 0
}

let beamRight = 0
let weightedRight = 0
let majorityRight = 0
let beamTokens = 0
let bestOfTokens = 0
for (const problem of problems) {
  // Beam search.
  let beams: Array<{ texts: ReadonlyArray<string>; done: boolean; score: number }> = Array.from({ length: n }, () => ({ texts: [], done: false, score: 0 }))
  const finished: Array<{ texts: ReadonlyArray<string>; score: number }> = []
  for (let iteration = 0; iteration < 40 && beams.length > 0; iteration++) {
    const expanded = beams.map((beam, index) => {
      const [completion] = run(
        world.languageModel.generate({
          messages: problem.messages,
          ...(beam.texts.length > 0 ? { prefix: `${beam.texts.join("\n\n")}\n\n` } : {}),
          stop: ["\n\n"], n: 1, maxTokens: 512, temperature: 0.8, seed: iteration * 1000 + index
        })
      )
      beamTokens += (completion!.usage.outputTokens ?? 0)
      const texts = [...beam.texts, completion!.text]
      return { texts, done: completion!.finishReason !== "stop", score: lastScore(problem, texts) }
    })
    for (const beam of expanded) if (beam.done) finished.push(beam)
    const active = expanded.filter((beam) => !beam.done).sort((a, b) => b.score - a.score).slice(0, Math.max(1, n / width))
    beams = finished.length >= n ? [] : active.flatMap((beam) => Array.from({ length: width }, () => beam))
  }
  const bestBeam = finished.sort((a, b) => b.score - a.score)[0]
  if (bestBeam !== undefined && World.isCorrect(world, problem, Answer.extractBoxed(bestBeam.texts[bestBeam.texts.length - 1] ?? ""))) beamRight++
  // Best-of-N, weighted and majority.
  const samples = run(world.languageModel.generate({ messages: problem.messages, n, maxTokens: 4096, temperature: 0.8, seed: 1 }))
  const votes = new Map<string, { count: number; weight: number }>()
  for (const sample of samples) {
    bestOfTokens += sample.usage.outputTokens ?? 0
    const answer = Answer.extractBoxed(sample.text)
    if (answer === undefined) continue
    const entry = votes.get(answer) ?? { count: 0, weight: 0 }
    entry.count++
    entry.weight += lastScore(problem, sample.text.split("\n\n"))
    votes.set(answer, entry)
  }
  const entries = [...votes.entries()]
  const byWeight = entries.sort((a, b) => b[1].weight - a[1].weight)[0]?.[0]
  const byCount = entries.sort((a, b) => b[1].count - a[1].count)[0]?.[0]
  if (World.isCorrect(world, problem, byWeight)) weightedRight++
  if (World.isCorrect(world, problem, byCount)) majorityRight++
}
console.log(`N = ${n}, ${count} problems (calibrated, seed 7)`)
console.log(`beam search (width ${width}): ${(beamRight / count).toFixed(3)}, ${(beamTokens / count).toFixed(0)} output tokens per problem`)
console.log(`weighted best-of-N:        ${(weightedRight / count).toFixed(3)}, ${(bestOfTokens / count).toFixed(0)} output tokens per problem`)
console.log(`majority vote:             ${(majorityRight / count).toFixed(3)}`)
