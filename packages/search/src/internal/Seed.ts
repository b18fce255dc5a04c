import { Effect, Random } from "effect"

/**
 * Derives a request seed from a strategy's seed and the parts that name a call (node id, purpose, round), so a
 * seeded search is deterministic and two calls from different nodes never share samples.
 *
 * @example
 * Seed.derive(options.seed, "expand", nodeId) // a non-negative 31-bit integer
 */
export const derive = (...parts: ReadonlyArray<number | string>): number => {
  let hash = 0x811c9dc5
  for (const part of parts) {
    const text = typeof part === "number" ? `#${part}` : `$${part}`
    for (let index = 0; index < text.length; index++) {
      hash ^= text.charCodeAt(index)
      hash = Math.imul(hash, 0x01000193) >>> 0
    }
    hash ^= 0x2f
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  // Final avalanche (murmur3 fmix32) so nearby inputs give unrelated seeds.
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b) >>> 0
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0
  hash ^= hash >>> 16
  return hash & 0x7fffffff
}

/**
 * `count` uniform numbers in [0, 1) drawn from Effect's `Random` seeded with `seed`.
 * Use for resampling and stochastic picks that must repeat for a seed.
 */
export const uniforms = (seed: number, count: number): Effect.Effect<ReadonlyArray<number>> =>
  Effect.gen(function* () {
    const draws: Array<number> = []
    for (let index = 0; index < count; index++) draws.push(yield* Random.next)
    return draws
  }).pipe(Random.withSeed(seed))
