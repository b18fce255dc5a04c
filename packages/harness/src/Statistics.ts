import { Effect, Random } from "effect"

/** An estimate with a confidence interval. */
export interface Interval {
  readonly estimate: number
  readonly lower: number
  readonly upper: number
}

/** The 97.5% quantile of the standard normal, for 95% intervals. */
export const z95 = 1.959963984540054

/**
 * The Wilson score interval of a proportion (successes out of n), 95% by default. For n = 0 the estimate is
 * NaN and the interval [0, 1].
 *
 * @example
 * Statistics.wilson(8, 10) // { estimate: 0.8, lower: 0.490…, upper: 0.943… }
 */
export const wilson = (successes: number, n: number, z = z95): Interval => {
  if (n === 0) return { estimate: Number.NaN, lower: 0, upper: 1 }
  const p = successes / n
  const z2 = z * z
  const center = (p + z2 / (2 * n)) / (1 + z2 / n)
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  return { estimate: p, lower: Math.max(0, center - half), upper: Math.min(1, center + half) }
}

/**
 * A 95% interval of the accuracy of runs grouped in clusters (a problem run under several seeds: runs of one problem
 * are not independent), from each cluster's mean: the Wilson interval at the effective number of runs, the number of
 * independent runs whose proportion would vary as much as the clusters' mean does (p(1 − p) / SE², SE from the
 * clusters' means), kept between the number of clusters and of runs; one cluster counts as one run. The estimate is
 * the mean of the clusters' means (the proportion of runs when every cluster has as many). One run per cluster gives
 * `wilson(successes, n)`.
 *
 * @example
 * // 8 problems, 40 seeds each: about as sure as 8 runs, not 320.
 * Statistics.clusteredWilson(problems.map((runs) => runs.filter(Boolean).length / runs.length), 320)
 */
export const clusteredWilson = (clusterMeans: ReadonlyArray<number>, runs: number, z = z95): Interval => {
  const clusters = clusterMeans.length
  if (clusters === 0 || runs === 0) return { estimate: Number.NaN, lower: 0, upper: 1 }
  const estimate = mean(clusterMeans)
  if (clusters === runs) return wilson(Math.round(estimate * runs), runs, z)
  // One cluster has no spread between clusters to measure: as sure as one run, whatever its repeats.
  if (clusters === 1) return { ...wilson(estimate, 1, z), estimate }
  const variance = clusters > 1 ? clusterMeans.reduce((total, value) => total + (value - estimate) ** 2, 0) / (clusters - 1) : 0
  const spread = estimate * (1 - estimate)
  const squaredError = variance / clusters
  const effective = squaredError === 0 ? (spread > 0 ? runs : clusters) : Math.min(runs, Math.max(clusters, spread / squaredError))
  const interval = wilson(estimate * effective, effective, z)
  return { ...interval, estimate }
}

/**
 * A two-sided paired permutation test of mean difference 0 (a sign-flip test): each difference's sign is flipped
 * at random; p is the share of flips whose mean is at least as far from 0 as the observed one. Exact (every flip)
 * up to 16 non-zero differences, else over `resamples` seeded random flips (counting the observed one). On
 * differences in {−1, 0, 1} (one run per pair) it is McNemar's exact test.
 */
export const signFlip = (differences: ReadonlyArray<number>, options: { readonly seed: number; readonly resamples?: number }): Effect.Effect<number> =>
  Effect.gen(function* () {
    const nonZero = differences.filter((value) => value !== 0)
    if (nonZero.length === 0) return 1
    const observed = Math.abs(nonZero.reduce((total, value) => total + value, 0))
    const tolerance = 1e-9 * nonZero.reduce((total, value) => total + Math.abs(value), 0)
    if (nonZero.length <= 16) {
      let extreme = 0
      const flips = 2 ** nonZero.length
      for (let mask = 0; mask < flips; mask++) {
        let total = 0
        for (let index = 0; index < nonZero.length; index++) total += (mask >> index) & 1 ? -nonZero[index]! : nonZero[index]!
        if (Math.abs(total) >= observed - tolerance) extreme++
      }
      return extreme / flips
    }
    const random = yield* Random.Random
    const resamples = options.resamples ?? 20_000
    let extreme = 1
    for (let round = 0; round < resamples; round++) {
      let total = 0
      for (const value of nonZero) total += random.nextDoubleUnsafe() < 0.5 ? -value : value
      if (Math.abs(total) >= observed - tolerance) extreme++
    }
    return extreme / (resamples + 1)
  }).pipe(Random.withSeed(options.seed))

/** The mean (NaN for none). */
export const mean = (values: ReadonlyArray<number>): number =>
  values.length === 0 ? Number.NaN : values.reduce((total, value) => total + value, 0) / values.length

/** The median (NaN for none; the mean of the two middle values for an even count). */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between order statistics. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const above = Math.ceil(position)
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below)
}

/** The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7). */
export const erfc = (x: number): number => {
  const z = Math.abs(x)
  const t = 1 / (1 + z / 2)
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    )
  return x >= 0 ? r : 2 - r
}

/** McNemar's test on the discordant pairs of a paired comparison. */
export interface McNemar {
  /** Pairs where only the first is right, and only the second. */
  readonly onlyFirst: number
  readonly onlySecond: number
  /** Two-sided exact binomial p-value. */
  readonly exactP: number
  /** χ² statistic with continuity correction, and its p-value (1 degree of freedom). */
  readonly chiSquare: number
  readonly chiSquareP: number
}

/**
 * McNemar's test: exact (two-sided binomial on the discordant pairs, p = 0.5) and χ² with continuity correction.
 * With no discordant pairs both p-values are 1.
 */
export const mcnemar = (onlyFirst: number, onlySecond: number): McNemar => {
  const n = onlyFirst + onlySecond
  if (n === 0) return { onlyFirst, onlySecond, exactP: 1, chiSquare: 0, chiSquareP: 1 }
  const smaller = Math.min(onlyFirst, onlySecond)
  // Sum of C(n, k) / 2^n for k ≤ smaller, in log space to stay exact enough for large n.
  let logChoose = 0
  let tail = 0
  for (let k = 0; k <= smaller; k++) {
    if (k > 0) logChoose += Math.log(n - k + 1) - Math.log(k)
    tail += Math.exp(logChoose - n * Math.LN2)
  }
  const exactP = Math.min(1, 2 * tail)
  const chiSquare = (Math.max(0, Math.abs(onlyFirst - onlySecond) - 1) ** 2) / n
  return { onlyFirst, onlySecond, exactP, chiSquare, chiSquareP: erfc(Math.sqrt(chiSquare / 2)) }
}

/**
 * A percentile bootstrap 95% interval of the mean of paired differences (resampling pairs with replacement),
 * seeded: the same seed gives the same interval.
 */
export const bootstrapMeanInterval = (
  differences: ReadonlyArray<number>,
  options: { readonly seed: number; readonly resamples?: number; readonly level?: number }
): Effect.Effect<Interval> =>
  Effect.gen(function* () {
    const estimate = mean(differences)
    if (differences.length === 0) return { estimate, lower: Number.NaN, upper: Number.NaN }
    const random = yield* Random.Random
    const resamples = options.resamples ?? 2000
    const level = options.level ?? 0.95
    const means: Array<number> = []
    for (let round = 0; round < resamples; round++) {
      let total = 0
      for (let index = 0; index < differences.length; index++)
        total += differences[Math.floor(random.nextDoubleUnsafe() * differences.length)]!
      means.push(total / differences.length)
    }
    return { estimate, lower: quantile(means, (1 - level) / 2), upper: quantile(means, 1 - (1 - level) / 2) }
  }).pipe(Random.withSeed(options.seed))
