/**
 * Cheap, seeded hashing and pseudo-random draws: the only source of randomness in the simulated world.
 * Every draw is a pure function of its key, which is what makes common random numbers possible.
 */

/** Mixes a 32-bit value (murmur3's finalizer): small input changes flip about half the output bits. */
export const mix = (value: number): number => {
  let hash = value >>> 0
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

/** Combines a hash with another 32-bit value, order-sensitively. */
export const combine = (hash: number, value: number): number =>
  mix((Math.imul(hash ^ 0x9e3779b9, 0x01000193) + (value | 0)) >>> 0)

/** FNV-1a over a string, continuing from `seed`, then mixed. Use to key draws on text. */
export const hashText = (text: string, seed = 0x811c9dc5): number => {
  let hash = seed >>> 0
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return mix(hash)
}

/** Hashes a list of 32-bit values and strings into one key. */
export const key = (...parts: ReadonlyArray<number | string>): number => {
  let hash = 0x2545f491
  for (const part of parts) hash = typeof part === "string" ? combine(hash, hashText(part)) : combine(hash, part)
  return hash
}

/** A uniform number in [0, 1) determined by the key. */
export const uniform = (hashKey: number): number => mix(hashKey ^ 0x68e31da4) / 4294967296

/** The bits of a float, folded to 32 bits, so a sampling parameter can be part of a key. */
export const floatBits = (value: number): number => {
  const scaled = Math.round(value * 1_000_000)
  return (scaled ^ Math.floor(scaled / 4294967296)) | 0
}

/**
 * A small stream of uniforms from one key (mulberry32). Use when one decision needs several draws.
 *
 * @example
 * const next = Seeded.stream(Seeded.key(seed, "step"))
 * const u = next()
 */
export const stream = (hashKey: number): (() => number) => {
  let state = hashKey >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A standard normal draw from two uniforms (Box–Muller). */
export const normal = (first: number, second: number): number =>
  Math.sqrt(-2 * Math.log(Math.max(first, 1e-12))) * Math.cos(2 * Math.PI * second)

/** The logistic function. */
export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))

/** The inverse of the logistic function, clamped away from infinities. */
export const logit = (p: number): number => {
  const clamped = Math.min(1 - 1e-9, Math.max(1e-9, p))
  return Math.log(clamped / (1 - clamped))
}

/** The inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export const inverseNormal = (p: number): number => {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const at = (values: ReadonlyArray<number>, index: number): number => values[index] ?? 0
  const low = 0.02425
  if (p <= 0) return -Infinity
  if (p >= 1) return Infinity
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((at(c, 0) * q + at(c, 1)) * q + at(c, 2)) * q + at(c, 3)) * q + at(c, 4)) * q + at(c, 5)) /
      ((((at(d, 0) * q + at(d, 1)) * q + at(d, 2)) * q + at(d, 3)) * q + 1)
    )
  }
  if (p > 1 - low) return -inverseNormal(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((at(a, 0) * r + at(a, 1)) * r + at(a, 2)) * r + at(a, 3)) * r + at(a, 4)) * r + at(a, 5)) * q) /
    (((((at(b, 0) * r + at(b, 1)) * r + at(b, 2)) * r + at(b, 3)) * r + at(b, 4)) * r + 1)
  )
}
