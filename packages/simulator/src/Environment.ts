import * as Latent from "./Latent.js"
import type { PrefixCache } from "./PrefixCache.js"
import type { Preset } from "./Preset.js"
import type { WordProblem } from "./WordProblem.js"

/**
 * What every part of one world shares: its preset, its seed, a cache of the problems' latent facts, and the
 * world's prefix-cache model when it has one.
 * Built once by `World.make`; the policy, the PRM and the server read it.
 */
export interface Environment {
  readonly preset: Preset
  readonly seed: number
  readonly latents: Map<number, Latent.Latent>
  /** The simulated server's prefix cache (`World.Options.prefixCache`); absent when off. */
  readonly prefixCache?: PrefixCache
}

/** Makes an environment. */
export const make = (preset: Preset, seed: number, prefixCache?: PrefixCache): Environment => ({
  preset,
  seed,
  latents: new Map(),
  ...(prefixCache === undefined ? {} : { prefixCache })
})

/** The latent facts of a problem in this world (cached). */
export const latentOf = (environment: Environment, problem: WordProblem): Latent.Latent => {
  const known = environment.latents.get(problem.key)
  if (known !== undefined) return known
  const latent = Latent.of(environment.preset, environment.seed, problem)
  if (environment.latents.size > 100_000) environment.latents.clear()
  environment.latents.set(problem.key, latent)
  return latent
}
