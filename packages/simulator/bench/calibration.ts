/**
 * Prints the calibration figures the tests check: per-step error rates (configured vs measured), PRM AUROC
 * (configured vs measured, biases off and on), generative verification accuracy.
 * Run: npx tsx packages/simulator/bench/calibration.ts
 */
import { Effect } from "effect"
import { Step, Trajectory } from "@stepwise/core"
import type { Problem } from "@stepwise/core"
import { Auroc, Environment, Latent, Preset, Presets, Solution, Verification, World } from "../src/index.js"

const run = <A>(effect: Effect.Effect<A, unknown>) => Effect.runSync(effect)
const auroc = Auroc.of

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 300, seed: 5 })
console.log("per-step error rate, configured vs measured (4,000 samples each, temperature 0.8)")
let shown = 0
for (const problem of problems) {
  if (shown >= 8) break
  const truth = World.groundTruth(problem)!
  const latent = Environment.latentOf(world.environment, truth)
  const depth = shown % truth.operations.length
  if (latent.trapActive && truth.trap?.step === depth) continue
  const expected = Latent.errorProbability(world.preset, truth, latent, depth, 0.8)
  if (shown > 0 && (expected < 0.02 || expected > 0.9)) continue
  const prefixSteps = Solution.reference(truth).slice(0, depth)
  const completions = run(
    world.languageModel.generate({
      messages: problem.messages,
      ...(prefixSteps.length > 0 ? { prefix: `${prefixSteps.join("\n\n")}\n\n` } : {}),
      stop: ["\n\n"], n: 4000, maxTokens: 256, temperature: 0.8, seed: 1
    })
  )
  let errors = 0
  let computed = 0
  for (const completion of completions) {
    const states = Solution.readAll(truth, [...prefixSteps, completion.text])
    const after = states[states.length - 1]!
    if (after.progress === depth) continue
    computed++
    if (after.derailed) errors++
  }
  console.log(`  difficulty ${truth.difficulty}, depth ${depth}: configured ${expected.toFixed(3)}, measured ${(errors / computed).toFixed(3)}`)
  shown++
}

const sampleSteps = (target: World.World, list: ReadonlyArray<Problem.Problem>, perProblem: number) =>
  list.flatMap((problem) =>
    run(target.languageModel.generate({ messages: problem.messages, n: perProblem, maxTokens: 4096, temperature: 0.8, seed: 3 })).map((completion) => ({
      problem,
      texts: completion.text.split("\n\n")
    }))
  )

console.log("PRM AUROC, configured vs measured (correct-so-far steps against wrong ones)")
for (const target of [0.75, 0.8, 0.85, 0.95]) {
  for (const biases of [false, true]) {
    const preset = Preset.override(Presets.calibrated, {
      verifier: biases ? { auroc: target } : { auroc: target, lengthBias: 0, digressionBias: 0, trapFooledRate: 0, errorVisibility: 1 }
    })
    const local = World.make(preset, { seed: 11 })
    const positives: Array<number> = []
    const negatives: Array<number> = []
    for (const { problem, texts } of sampleSteps(local, World.problems(local, { count: 200, seed: 6 }), 4)) {
      const states = Solution.readAll(World.groundTruth(problem)!, texts)
      const scores = run(local.processRewardModel.score(problem, Trajectory.fromSteps(texts.map((text) => Step.make({ text }))))).stepScores
      scores.forEach((score, index) => (states[index]!.derailed ? negatives : positives).push(score))
    }
    console.log(`  ${target} ${biases ? "with calibrated biases" : "biases off           "}: measured ${auroc(positives, negatives).toFixed(3)} over ${positives.length + negatives.length} steps`)
  }
}

console.log("generative verification: per-step verdict accuracy (temperature 0.4)")
for (const accuracy of [0.7, 0.85, 0.95]) {
  const local = World.make(Preset.override(Presets.calibrated, { generativeVerifier: { accuracy, trapFooledRate: 0 } }), { seed: 13 })
  let right = 0
  let total = 0
  for (const { problem, texts } of sampleSteps(local, World.problems(local, { count: 100, seed: 8 }), 4)) {
    const states = Solution.readAll(World.groundTruth(problem)!, texts)
    const [chain] = run(
      local.languageModel.generate({
        messages: [{ role: "user", content: Verification.prompt(problem.question, texts) }],
        prefix: Verification.chainOpening, stop: [Verification.decisionQuestion], n: 1, maxTokens: 4096, temperature: 0.4, seed: 1
      })
    )
    ;[...chain!.text.matchAll(/\\boxed\{(correct|incorrect)\}/g)].forEach((match, index) => {
      total++
      if ((match[1] === "correct") === !states[index]!.derailed) right++
    })
  }
  console.log(`  configured ${accuracy}: measured ${(right / total).toFixed(3)} over ${total} steps`)
}
