import { Effect } from "effect"
import { z } from "zod"
import type { Problem } from "@stepwise/core"
import * as Seed from "./internal/Seed.js"
import * as ParticleFiltering from "./ParticleFiltering.js"
import * as Resampling from "./Resampling.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** The options of Particle Gibbs: those of particle filtering, plus the number of sweeps (strict). */
export const options = z
  .object({
    ...ParticleFiltering.fields,
    sweeps: z.number().int().min(1).default(2).describe("Number of sweeps; each sweep after the first carries a reference particle.")
  })
  .strict()

/** Options of Particle Gibbs as a user writes them. */
export type Options = z.input<typeof options>

/** The node ids from depth 1 to a node (its path without the root). */
export const pathTo = (recorder: TreeRecorder.Recorder, id: number): ReadonlyArray<number> => {
  const path: Array<number> = []
  for (let current = TreeRecorder.node(recorder, id); current.parentId !== undefined; current = TreeRecorder.node(recorder, current.parentId))
    path.push(current.id)
  return path.reverse()
}

/**
 * Particle Gibbs (Puri et al. 2025): several particle-filtering sweeps; after each, a reference particle drawn
 * ∝ its final weight is carried into the next sweep, where it is replayed (no calls) and never resampled away,
 * while the other N − 1 particles are drawn fresh (the reference particle itself drawn with the annealed temperature
 * at the sweep's number, as the reference code). The answer is picked among the finished particles of the last
 * sweep's pool (its_hub).
 */
export const entry = Strategy.define({
  kind: "particle-gibbs",
  description: "Particle-filtering sweeps, each carrying a reference particle drawn from the last (Puri et al. 2025).",
  options,
  size: {
    option: "particles",
    fromBudget: (budget, perSolution, settings) =>
      Math.max(1, Math.floor(Strategy.solutionsIn(budget, perSolution) / (typeof settings["sweeps"] === "number" ? settings["sweeps"] : 2)))
  },
  build: (settings) => {
    const { sweeps } = settings
    const name = `particle-gibbs-${settings.particles}x${sweeps}`
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              let finalIds: ReadonlyArray<number> = []
              let reference: ReadonlyArray<number> | undefined
              for (let sweepIndex = 0; sweepIndex < sweeps; sweepIndex++) {
                const pool = yield* ParticleFiltering.sweep(problem, recorder, settings, sweepIndex, reference)
                // The answer comes from the last sweep's pool (its_hub); a sweep cut short by the budget keeps it.
                finalIds = [...pool.particles, ...pool.left]
                if (TreeRecorder.isExhausted(recorder)) break
                const everyone = finalIds
                // The reference particle is drawn with the annealed temperature at the sweep's number (the reference code).
                const normalized = Resampling.weights(
                  everyone.map((id) => TreeRecorder.node(recorder, id).aggregate),
                  ParticleFiltering.temperatureAt(settings, sweepIndex + 1)
                )
                const draw = yield* Seed.uniforms(Seed.derive(settings.seed, "reference", sweepIndex), 1)
                const chosen = everyone[Resampling.multinomial(normalized, draw)[0] ?? 0]
                reference = chosen === undefined ? undefined : pathTo(recorder, chosen)
              }
              const uniform = (yield* Seed.uniforms(Seed.derive(settings.seed, "pick"), 1))[0] ?? 0
              return { finalIds, uniform }
            }),
          select: ({ candidates, state }) => ParticleFiltering.pickFrom(candidates, state?.finalIds ?? [], settings, state?.uniform ?? 0),
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

/**
 * Makes Particle Gibbs from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* ParticleGibbs.make({ particles: 8, sweeps: 3 })
 */
export const make = Strategy.maker(entry)
