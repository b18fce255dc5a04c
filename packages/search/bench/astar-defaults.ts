/**
 * How A*'s path cost and its weight trade accuracy against tokens on the simulator's calibrated world: the
 * measurement behind `AStar.defaultPathWeights`. Run: `npx tsx packages/search/bench/astar-defaults.ts [problems]`.
 */
import { Effect } from "effect"
import { AStar, BestOfN, SelfConsistency } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"
import { evaluate, sampling } from "./strategies.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: Number(process.argv[2] ?? 40), seed: 1 })
const settings: ReadonlyArray<AStar.Options> = [
  { pathCost: "none" },
  { pathCost: "depth", pathWeight: 0.01 },
  { pathCost: "depth", pathWeight: 0.02 },
  { pathCost: "depth", pathWeight: 0.05 },
  { pathCost: "depth", pathWeight: 0.1 },
  { pathCost: "logScore", pathWeight: 0.1 },
  { pathCost: "logScore", pathWeight: 0.3 },
  { pathCost: "tokens", pathWeight: 0.0005 },
  { pathCost: "depth", pathWeight: 0.01, aggregation: "min" },
  { pathCost: "depth", pathWeight: 0.01, expansions: 2 },
  { pathCost: "depth", pathWeight: 0.01, expansions: 3 }
]

const line = (label: string, row: { accuracy: number; answered: number; outputTokens: number; totalTokens: number; verifierCalls: number }) =>
  console.log(
    `${label.padEnd(60)} accuracy ${row.accuracy.toFixed(3)}  answered ${row.answered.toFixed(2)}  out ${row.outputTokens.toFixed(0).padStart(6)}  all ${row.totalTokens.toFixed(0).padStart(6)}  verifier ${row.verifierCalls.toFixed(1)}`
  )

Effect.runPromise(
  Effect.gen(function* () {
    for (const strategy of [
      yield* SelfConsistency.make({ n: 1, temperature: 0, ...sampling }),
      yield* BestOfN.make({ n: 16, ...sampling }),
      yield* BestOfN.make({ n: 64, ...sampling })
    ])
      line(strategy.name, yield* evaluate(world, problems, strategy, {}, undefined))
    // A cap of 30 000 output tokens per problem shows breadth-first blow-ups as unanswered problems.
    for (const options of settings)
      line(JSON.stringify(options), yield* evaluate(world, problems, yield* AStar.make({ ...options, ...sampling }), { outputTokens: 30_000 }, undefined))
  })
).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
