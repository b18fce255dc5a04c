/**
 * How well each model-based verifier separates right steps from wrong ones over a simulated world's language model:
 * AUROC of right against wrong steps (and how many standard errors above chance), per verifier and setting, on the
 * same samples as `test/Simulator.test.ts` and a larger set.
 *
 *   npx tsx packages/verifiers/bench/separation.ts [--problems 12] [--samples 4]
 */
import { Effect } from "effect"
import type { ProcessRewardModel } from "@stepwise/core"
import { Presets, World } from "@stepwise/simulator"
import { Judge, ThinkPrm, TokenLogitPrm } from "@stepwise/verifiers"
import * as Samples from "../test/support/Samples.js"
import * as Separation from "../test/support/Separation.js"

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at < 0 ? fallback : Number(process.argv[at + 1])
}

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: argument("problems", 12), seed: 3 })
const samples = Effect.runSync(Effect.orDie(Samples.solutions(world.languageModel, problems, argument("samples", 4))))
const steps = Separation.label(samples)
const model = world.languageModel

const rows: ReadonlyArray<readonly [string, Effect.Effect<ProcessRewardModel.Service, unknown>, "causal" | "prefix"]> = [
  ["token-logit-prm rlhflow", TokenLogitPrm.make({ languageModel: model }), "causal"],
  ["token-logit-prm math-shepherd", TokenLogitPrm.make({ languageModel: model, style: "math-shepherd" }), "causal"],
  ["judge yes-no, per step", Judge.make({ languageModel: model }), "causal"],
  ["think-prm 1 chain, prefix scoring", ThinkPrm.make({ languageModel: model, seed: 1 }), "prefix"],
  ["think-prm 1 chain, 2 rounds, prefix scoring", ThinkPrm.make({ languageModel: model, rounds: 2, seed: 1 }), "prefix"],
  ["think-prm 4 chains, prefix scoring", ThinkPrm.make({ languageModel: model, chains: 4, seed: 1 }), "prefix"],
  ["think-prm 1 chain, per-step scoring (whole trajectory)", ThinkPrm.make({ languageModel: model, scoring: "per-step", seed: 1 }), "causal"],
  ["think-prm 4 chains, per-step scoring (whole trajectory)", ThinkPrm.make({ languageModel: model, chains: 4, scoring: "per-step", seed: 1 }), "causal"]
]

const program = Effect.gen(function* () {
  const right = steps.reduce((total, sample) => total + sample.rightSoFar.filter(Boolean).length, 0)
  const all = steps.reduce((total, sample) => total + sample.rightSoFar.length, 0)
  console.log(`${problems.length} problems × ${argument("samples", 4)} samples: ${all} steps, ${right} right, ${all - right} wrong`)
  console.log("| verifier | AUROC | z above chance |\n| --- | --- | --- |")
  for (const [name, make, mode] of rows) {
    const verifier = yield* make
    const result = Separation.separation(yield* Separation.split(verifier, steps, mode))
    console.log(`| ${name} | ${result.auroc.toFixed(3)} | ${result.z.toFixed(1)} |`)
  }
})

Effect.runPromise(program).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
