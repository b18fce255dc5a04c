import * as Latent from "./Latent.js"
import type { Preset } from "./Preset.js"
import type { WordProblem } from "./WordProblem.js"

/**
 * What every part of one world shares: its preset, its seed and a cache of the problems' latent facts.
 * Built once by `World.make`; the policy, the PRM and the server read it.
 */
export interface Environment {
  readonly preset: Preset
  readonly seed: number
  readonly latents: Map<number, Latent.Latent>
}

/** Makes an environment. */
export const make = (preset: Preset, seed: number): Environment => ({ preset, seed, latents: new Map() })

/** The latent facts of a problem in this world (cached). */
export const latentOf = (environment: Environment, problem: WordProblem): Latent.Latent => {
  const known = environment.latents.get(problem.key)
  if (known !== undefined) return known
  const latent = Latent.of(environment.preset, environment.seed, problem)
  if (environment.latents.size > 100_000) environment.latents.clear()
  environment.latents.set(problem.key, latent)
  return latent
}
