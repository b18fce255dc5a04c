import { Effect } from "effect"
import type { InvalidOptions, Problem } from "@stepwise/core"
import * as Common from "./Common.js"
import * as ParticleFiltering from "./ParticleFiltering.js"
import * as Resampling from "./Resampling.js"
import * as Run from "./Run.js"
import * as Seed from "./Seed.js"
import type { Strategy } from "./Strategy.js"
import { describe } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"
import * as Validate from "./Validate.js"

/** Options of Particle Gibbs: those of particle filtering, plus the number of sweeps. */
export interface Options extends ParticleFiltering.Options {
  /** Number of sweeps (default 2); each sweep after the first carries a reference particle. */
  readonly sweeps?: number
}

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
 * while the other N − 1 particles are drawn fresh. The answer is picked among the finished particles of every
 * sweep's final pool.
 *
 * @example
 * const strategy = yield* ParticleGibbs.make({ particles: 8, sweeps: 3 })
 */
export const make = (options: Options = {}): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Validate.all("ParticleGibbs", [
      Validate.integerAtLeast("sweeps", options.sweeps, 1),
      ...ParticleFiltering.checks(options)
    ])
    const settings = ParticleFiltering.resolve(options)
    const sweeps = options.sweeps ?? 2
    const name = `particle-gibbs-${settings.particles}x${sweeps}`
    return {
      name,
      options: describe({ ...settings, sweeps }),
      run: (problem: Problem.Problem) => {
        const finalIds: Array<number> = []
        let uniform = 0
        return Run.search(
          name,
          problem,
          (recorder) =>
            Effect.gen(function* () {
              let reference: ReadonlyArray<number> | undefined
              for (let sweepIndex = 0; sweepIndex < sweeps; sweepIndex++) {
                const pool = yield* ParticleFiltering.sweep(problem, recorder, settings, sweepIndex, reference)
                finalIds.push(...pool.particles, ...pool.left)
                if (TreeRecorder.isExhausted(recorder)) break
                const everyone = [...pool.particles, ...pool.left]
                const normalized = Resampling.weights(
                  everyone.map((id) => TreeRecorder.node(recorder, id).aggregate),
                  settings.weightTemperature
                )
                const draw = yield* Seed.uniforms(Seed.derive(settings.seed, "reference", sweepIndex), 1)
                const chosen = everyone[Resampling.multinomial(normalized, draw)[0] ?? 0]
                reference = chosen === undefined ? undefined : pathTo(recorder, chosen)
              }
              uniform = (yield* Seed.uniforms(Seed.derive(settings.seed, "pick"), 1))[0] ?? 0
            }),
          (candidates) => ParticleFiltering.pickFrom(candidates, finalIds, settings, uniform),
          Common.rescueOf(settings)
        )
      }
    }
  })
