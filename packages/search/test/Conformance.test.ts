import { describe, it } from "vitest"
import { Effect } from "effect"
import { Strategy as StrategySuite, Vitest } from "@stepwise/conformance"
import type { Strategy } from "@stepwise/search"
import { AStar, BeamSearch, BestOfN, Combinators, Dvts, ParticleFiltering, ParticleGibbs, SelfConsistency } from "@stepwise/search"
import { ComputeOptimal, Mcts, Rebase } from "@stepwise/search"

// Every built-in strategy runs the exported strategy conformance suite (@stepwise/conformance's Strategy.cases).
const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 25 : 12))
/** The token limits an entry is made with: a step's, and a whole solution's. */
interface Limits {
  readonly stepTokens: number
  readonly maxTokens: number
}

const defaultLimits: Limits = { stepTokens: 64, maxTokens: 256 }

/** The strategies under the conformance suite: adding one is one line. */
const entries: ReadonlyArray<{
  readonly label: string
  readonly make: (seed: number, limits?: Limits) => Effect.Effect<Strategy.Strategy, unknown>
  readonly usesVerifier: boolean
}> = [
  { label: "BestOfN", usesVerifier: true, make: (seed, { maxTokens } = defaultLimits) => BestOfN.make({ n: 6, batch: 4, seed, maxTokens }) },
  { label: "SelfConsistency", usesVerifier: false, make: (seed, { maxTokens } = defaultLimits) => SelfConsistency.make({ n: 6, batch: 4, seed, maxTokens }) },
  { label: "BeamSearch", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => BeamSearch.make({ beams: 4, width: 2, seed, stepTokens, maxTokens }) },
  { label: "BeamSearch+lookahead", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => BeamSearch.make({ beams: 4, width: 2, lookahead: 1, seed, stepTokens, maxTokens }) },
  { label: "Dvts", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Dvts.make({ beams: 4, width: 2, seed, stepTokens, maxTokens }) },
  { label: "ParticleFiltering", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => ParticleFiltering.make({ particles: 4, seed, stepTokens, maxTokens }) },
  {
    label: "ParticleFiltering systematic",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) => ParticleFiltering.make({ particles: 4, resampling: "systematic", keepFinished: false, annealing: { final: 0.5, steps: 3 }, seed, stepTokens, maxTokens })
  },
  { label: "ParticleGibbs", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => ParticleGibbs.make({ particles: 3, sweeps: 2, seed, stepTokens, maxTokens }) },
  { label: "AStar", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => AStar.make({ expansions: 3, seed, stepTokens, maxTokens }) },
  { label: "Mcts", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Mcts.make({ simulations: 12, expansions: 3, seed, stepTokens, maxTokens }) },
  { label: "Mcts puct rollout", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Mcts.make({ simulations: 8, expansions: 2, rule: "puct", rolloutDepth: "end", selection: "weighted", seed, stepTokens, maxTokens }) },
  { label: "Mcts rollout 2 steps", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Mcts.make({ simulations: 6, expansions: 2, rolloutDepth: 2, seed, stepTokens, maxTokens }) },
  { label: "Rebase", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Rebase.make({ width: 6, seed, stepTokens, maxTokens }) },
  {
    label: "ComputeOptimal",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) =>
      ComputeOptimal.make({
        probeSamples: 2,
        seed,
        maxTokens,
        policy: {
          table: [
            {
              budget: 1000,
              bins: [
                { upTo: 0.5, choice: { kind: "best-of-n", options: { n: 2, maxTokens } } },
                { upTo: 1, choice: { kind: "rebase", options: { width: 3, stepTokens, maxTokens } } }
              ]
            }
          ]
        }
      })
  },
  { label: "AStar m=2 logScore", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => AStar.make({ expansions: 3, goals: 2, pathCost: "logScore", selection: "weighted", seed, stepTokens, maxTokens }) },
  {
    label: "withBudget",
    usesVerifier: true,
    make: (seed, { maxTokens } = defaultLimits) => Effect.flatMap(BestOfN.make({ n: 4, seed, maxTokens }), (inner) => Combinators.withBudget(inner, { totalTokens: 3000 }))
  },
  {
    label: "fallback",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) =>
      Effect.flatMap(
        Effect.all([AStar.make({ expansions: 2, seed, maxSteps: 2, stepTokens, maxTokens }), BestOfN.make({ n: 3, seed, maxTokens })]),
        (inner) => Combinators.fallback(inner)
      )
  },
  {
    label: "portfolio",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) =>
      Effect.flatMap(
        Effect.all([BestOfN.make({ n: 3, seed, maxTokens }), ParticleFiltering.make({ particles: 3, seed, stepTokens, maxTokens })]),
        (inner) => Combinators.portfolio(inner, { shares: [1, 2] })
      )
  }
]

for (const entry of entries)
  Vitest.register(
    { describe, it },
    `conformance: ${entry.label}`,
    StrategySuite.cases({ name: entry.label, usesVerifier: entry.usesVerifier, propertyRuns: runs, make: (seed, limits) => entry.make(seed, limits) }),
    60_000
  )
