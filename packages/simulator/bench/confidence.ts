/**
 * Measures how informative the policy's token confidence is: the AUROC of trace confidence for right against wrong
 * final answers — mean token confidence, and DeepConf's lowest group confidence over sliding windows — on a world
 * preset, for several separations (the default first).
 * Run: npx tsx packages/simulator/bench/confidence.ts [preset] [problems] [samples] [worldSeed]
 */
import { Effect } from "effect"
import { Answer } from "@stepwise/core"
import { Auroc, Confidence, Preset, Presets, World } from "../src/index.js"

const presetName = process.argv[2] ?? "calibrated"
const count = Number(process.argv[3] ?? 300)
const samples = Number(process.argv[4] ?? 8)
const worldSeed = Number(process.argv[5] ?? 7)
const base = Presets.all[presetName] ?? Presets.calibrated
const windows = [16, 32, 64]

const measure = (separation: number) => {
  const world = World.make(Preset.override(base, { confidence: { separation } }), { seed: worldSeed })
  const problems = World.problems(world, { count, seed: 1 })
  const traces: Array<{ readonly right: boolean; readonly mean: number; readonly lowest: ReadonlyArray<number> }> = []
  for (const problem of problems) {
    const completions = Effect.runSync(
      world.languageModel.generate({ messages: problem.messages, n: samples, maxTokens: 4096, temperature: 0.8, seed: 1, topLogprobs: 5 })
    )
    for (const completion of completions) {
      const positions = completion.logprobs ?? []
      const boxed = Answer.hasBoxed(completion.text) ? Answer.extractBoxed(completion.text) : undefined
      traces.push({
        right: World.isCorrect(world, problem, boxed),
        mean: Confidence.meanConfidence(positions),
        lowest: windows.map((window) => Confidence.lowestGroupConfidence(positions, window))
      })
    }
  }
  const right = traces.filter((trace) => trace.right)
  const wrong = traces.filter((trace) => !trace.right)
  const auroc = (score: (trace: (typeof traces)[number]) => number) => Auroc.of(right.map(score), wrong.map(score)).toFixed(3)
  const cells = [auroc((trace) => trace.mean), ...windows.map((_, index) => auroc((trace) => trace.lowest[index] ?? 0))]
  console.log(`| ${separation}${separation === base.confidence.separation ? " (default)" : ""} | ${right.length} / ${wrong.length} | ${cells.join(" | ")} |`)
}

console.log(`${presetName}, world seed ${worldSeed}: ${count} problems × ${samples} samples at temperature 0.8, top-5 logprobs`)
console.log(`| separation | right / wrong traces | mean confidence | ${windows.map((window) => `lowest group (${window} tokens)`).join(" | ")} |`)
console.log(`| --- | --- | --- | ${windows.map(() => "---").join(" | ")} |`)
for (const separation of [base.confidence.separation, 0, 0.75, 3]) measure(separation)
