/**
 * Write your own PRM: counts of things are whole and never negative, so a step that computes a negative count,
 * or splits a pile unevenly, is wrong. Combined (by minimum) with the world's PRM, it guides best-of-8 (ranked by
 * the weakest step) on the simulator, next to best-of-8 guided by the world's PRM alone.
 *
 *   npx tsx examples/custom-prm.ts
 */
import { Effect, Layer } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import { BestOfN } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"
import { Ensemble } from "@stepwise/verifiers"

// The whole PRM: one score in [0, 1] per step. `make` meters its calls and checks its scores.
const plausible = (text: string): boolean =>
  !/=\s*-\d/.test(text) && [...text.matchAll(/(\d+) \/ (\d+) =/g)].every(([, a, b]) => Number(a) % Number(b) === 0)
const wholeCounts = ProcessRewardModel.make({
  info: { name: "whole-counts" },
  score: (_problem, trajectory) =>
    Effect.succeed({ stepScores: Trajectory.stepTexts(trajectory).map((text) => (plausible(text) ? 1 : 0)), usage: Usage.zero })
})

export const program = Effect.gen(function* () {
  const world = World.make(Presets.weakVerifier, { seed: 7 })
  const both = yield* Ensemble.make({ members: [{ verifier: world.processRewardModel }, { verifier: wholeCounts }], combine: "min" })
  const bestOfEight = yield* BestOfN.make({ n: 8, selection: "best", aggregation: "min", seed: 1 })
  const report: Record<string, { solved: number; verifierCalls: number }> = {}
  for (const [name, verifier] of [["world PRM", world.processRewardModel], ["world PRM + whole-counts", both]] as const)
    for (const problem of World.problems(world, { count: 20, seed: 3 })) {
      const models = Layer.succeed(LanguageModel.LanguageModel, world.languageModel)
      const layer = Layer.mergeAll(models, Layer.succeed(ProcessRewardModel.ProcessRewardModel, verifier), Accountant.layer({}))
      const result = yield* bestOfEight.run(problem).pipe(Effect.provide(layer))
      const entry = (report[name] ??= { solved: 0, verifierCalls: 0 })
      entry.solved += World.isCorrect(world, problem, result.answer) ? 1 : 0
      entry.verifierCalls += result.spend.verifierCalls
    }
  console.log("best-of-8 on 20 problems:", report)
  return report
})

if (import.meta.url === `file://${process.argv[1]}`) Effect.runPromise(program).catch((error) => {
  console.error(String(error))
  process.exit(1)
})
