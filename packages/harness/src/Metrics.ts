import { Effect } from "effect"
import { CostModel } from "@stepwise/accountant"
import * as CostAxes from "./CostAxes.js"
import * as ResultRecord from "./ResultRecord.js"
import * as Statistics from "./Statistics.js"

/** Mean and median of a count over the problems of a group. */
export interface Spread {
  readonly mean: number
  readonly median: number
}

/** The metrics of one group of records (usually one cell: dataset × strategy × budget, over seeds). */
export interface Summary {
  readonly problems: number
  readonly correct: number
  /**
   * Accuracy with its 95% Wilson interval; with several seeds, at the effective number of runs, the runs of a
   * problem counted as one cluster (`Statistics.clusteredWilson`).
   */
  readonly accuracy: Statistics.Interval
  readonly inputTokens: Spread
  readonly outputTokens: Spread
  /** Policy input + output tokens. */
  readonly policyTokens: Spread
  readonly verifierCalls: Spread
  readonly verifierTokens: Spread
  /** Every token spent (policy and verifier), the tokens of E³. */
  readonly allTokens: Spread
  /** E³ = accuracy² / mean tokens (Plan-and-Budget), over `allTokens`. */
  readonly e3: number
  /** Mean Kinetics eFLOPs per problem, when every record has them. */
  readonly eflops: number | undefined
  /** Mean dollars per problem, when every record has them (a recipe with prices). */
  readonly dollars: number | undefined
  /** The share of policy input tokens a server's prefix cache served. */
  readonly cachedShare: number
  readonly wallMillis: Spread & { readonly total: number }
  /** How many problems hit their budget, and how many failed with an error. */
  readonly budgetExhausted: number
  readonly errors: number
  /** How the runs ended: right, wrong, no answer, error. */
  readonly outcomes: Readonly<Record<ResultRecord.Outcome, number>>
  /** Accuracy of each seed alone, in seed order (the spread across seeds). */
  readonly seedAccuracies: ReadonlyArray<{ readonly seed: number; readonly accuracy: number }>
}

const spreadOf = (values: ReadonlyArray<number>): Spread => ({ mean: Statistics.mean(values), median: Statistics.median(values) })

// The runs of one problem (its seeds) are one cluster: they share the problem, so they are not independent.
const problemOf = (record: ResultRecord.ResultRecord) => JSON.stringify([record.dataset, record.problemId])

/** Each problem's accuracy over its runs (seeds), in first-seen order. */
const problemMeans = (records: ReadonlyArray<ResultRecord.ResultRecord>): ReadonlyArray<number> => {
  const byProblem = new Map<string, { right: number; runs: number }>()
  for (const record of records) {
    const key = problemOf(record)
    const entry = byProblem.get(key) ?? { right: 0, runs: 0 }
    entry.right += record.correct ? 1 : 0
    entry.runs++
    byProblem.set(key, entry)
  }
  return [...byProblem.values()].map((entry) => entry.right / entry.runs)
}

/**
 * E³ = accuracy² / mean tokens (Plan-and-Budget, arXiv 2505.16122): rewards accuracy more than accuracy per token.
 *
 * @example
 * Metrics.e3(0.5, 1000) // 0.00025
 */
export const e3 = (accuracy: number, meanTokens: number): number => (meanTokens > 0 ? (accuracy * accuracy) / meanTokens : Number.NaN)

/**
 * Summarizes a group of records: accuracy with its Wilson interval, token and verifier spreads, E³, eFLOPs and
 * wall time.
 */
export const summarize = (records: ReadonlyArray<ResultRecord.ResultRecord>): Summary => {
  const correct = records.filter((record) => record.correct).length
  const accuracy = Statistics.clusteredWilson(problemMeans(records), records.length)
  const allTokens = spreadOf(records.map(ResultRecord.allTokens))
  const eflops = records.map((record) => CostAxes.byName("eflops")?.valueOf(record))
  const dollars = records.map((record) => CostAxes.byName("dollars")?.valueOf(record))
  const wall = records.map((record) => record.wallMillis)
  const meanOfAll = (values: ReadonlyArray<number | undefined>) =>
    values.length > 0 && values.every((value) => value !== undefined) ? Statistics.mean(values as ReadonlyArray<number>) : undefined
  const outcomes = { correct: 0, wrong: 0, "no-answer": 0, error: 0 }
  for (const record of records) outcomes[ResultRecord.outcomeOf(record)]++
  const seeds = [...new Set(records.map((record) => record.seed))].sort((a, b) => a - b)
  const input = records.reduce((total, record) => total + record.inputTokens, 0)
  return {
    problems: records.length,
    correct,
    accuracy,
    inputTokens: spreadOf(records.map((record) => record.inputTokens)),
    outputTokens: spreadOf(records.map((record) => record.outputTokens)),
    policyTokens: spreadOf(records.map(ResultRecord.policyTokens)),
    verifierCalls: spreadOf(records.map((record) => record.verifierCalls)),
    verifierTokens: spreadOf(records.map((record) => record.verifierTokens)),
    allTokens,
    e3: e3(accuracy.estimate, allTokens.mean),
    eflops: meanOfAll(eflops),
    dollars: meanOfAll(dollars),
    cachedShare: input > 0 ? records.reduce((total, record) => total + record.cachedInputTokens, 0) / input : 0,
    wallMillis: { ...spreadOf(wall), total: wall.reduce((total, value) => total + value, 0) },
    budgetExhausted: records.filter((record) => record.budgetExhausted).length,
    errors: outcomes.error,
    outcomes,
    seedAccuracies: seeds.map((seed) => {
      const ofSeed = records.filter((record) => record.seed === seed)
      return { seed, accuracy: ofSeed.filter((record) => record.correct).length / ofSeed.length }
    })
  }
}

/**
 * An estimate of a record's Kinetics eFLOPs from its totals alone (one sample of its output tokens after its
 * input tokens), for results that were run without a model shape. The runner's per-call figure is finer.
 */
export const estimateEflops = (shape: CostModel.ModelShape, record: ResultRecord.ResultRecord): number =>
  CostModel.kineticsCost(shape, { samples: 1, inputTokens: record.inputTokens, outputTokens: record.outputTokens }).total

/** A group of records with the fields that identify it. */
export interface Group {
  readonly dataset: string
  readonly strategy: string
  /** The configuration of a swept or scaled strategy (`n=8`); empty otherwise. */
  readonly configuration: string
  readonly budget: string
  readonly records: ReadonlyArray<ResultRecord.ResultRecord>
}

/**
 * Groups records by dataset × strategy × configuration × budget (seeds pooled), in first-seen order, so budgets
 * and sweeps keep the recipe's order.
 */
export const groupByCell = (records: ReadonlyArray<ResultRecord.ResultRecord>): ReadonlyArray<Group> => {
  const groups = new Map<string, { dataset: string; strategy: string; configuration: string; budget: string; records: Array<ResultRecord.ResultRecord> }>()
  for (const record of records) {
    const key = JSON.stringify([record.dataset, record.strategy, record.configuration, record.budget])
    let group = groups.get(key)
    if (group === undefined) {
      group = { dataset: record.dataset, strategy: record.strategy, configuration: record.configuration, budget: record.budget, records: [] }
      groups.set(key, group)
    }
    group.records.push(record)
  }
  return [...groups.values()]
}

/** A paired comparison of two strategies on the same problems (and seeds). */
export interface Comparison {
  /** Problems both ran. */
  readonly pairs: number
  readonly bothCorrect: number
  readonly onlyFirst: number
  readonly onlySecond: number
  readonly neither: number
  readonly firstAccuracy: number
  readonly secondAccuracy: number
  /** First minus second accuracy, with a seeded bootstrap 95% interval over the problems (each problem's seeds together). */
  readonly difference: Statistics.Interval
  readonly mcnemar: Statistics.McNemar
  /** The problems the pairs cover (the pairs, with one seed). */
  readonly problems: number
  /**
   * The two-sided p-value of no difference: McNemar's exact test when each problem is one pair; with several seeds,
   * a sign-flip test of the per-problem mean differences (the seeds of a problem are not independent pairs).
   */
  readonly p: number
  readonly test: "mcnemar" | "sign-flip"
}

/**
 * Compares two groups of records on the problems both hold (matched by dataset, seed and problem id): the 2×2
 * table, McNemar's exact and χ² tests, a seeded bootstrap interval of the accuracy difference over problems, and
 * the p-value of no difference (`p`: McNemar's exact, or with several seeds a sign-flip test over problems).
 *
 * @example
 * const comparison = yield* Metrics.compare(beamRecords, bestOfNRecords, { seed: 1 })
 */
export const compare = (
  first: ReadonlyArray<ResultRecord.ResultRecord>,
  second: ReadonlyArray<ResultRecord.ResultRecord>,
  options: { readonly seed: number; readonly resamples?: number }
): Effect.Effect<Comparison> => {
  const pairKey = (record: ResultRecord.ResultRecord) => JSON.stringify([record.dataset, record.seed, record.problemId])
  const seconds = new Map(second.map((record) => [pairKey(record), record]))
  const pairs: Array<readonly [boolean, boolean]> = []
  const pairedProblems: Array<string> = []
  for (const record of first) {
    const other = seconds.get(pairKey(record))
    if (other === undefined) continue
    pairs.push([record.correct, other.correct])
    pairedProblems.push(problemOf(record))
  }
  const count = (predicate: (pair: readonly [boolean, boolean]) => boolean) => pairs.filter(predicate).length
  const onlyFirst = count(([a, b]) => a && !b)
  const onlySecond = count(([a, b]) => !a && b)
  // One difference per problem: the mean over its seeds (with one seed, the pair's own).
  const byProblem = new Map<string, { total: number; pairs: number }>()
  pairedProblems.forEach((problem, index) => {
    const [a, b] = pairs[index]!
    const entry = byProblem.get(problem) ?? { total: 0, pairs: 0 }
    entry.total += Number(a) - Number(b)
    entry.pairs++
    byProblem.set(problem, entry)
  })
  // In the problems' order, not the records': the same records give the same interval in any order (a report
  // re-rendered from a results file, whose lines follow the order runs finished in).
  const differences = [...byProblem.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, entry]) => entry.total / entry.pairs)
  const clustered = differences.length < pairs.length
  const mcnemar = Statistics.mcnemar(onlyFirst, onlySecond)
  return Effect.all([
    Statistics.bootstrapMeanInterval(differences, { seed: options.seed, ...(options.resamples === undefined ? {} : { resamples: options.resamples }) }),
    clustered ? Statistics.signFlip(differences, { seed: options.seed }) : Effect.succeed(mcnemar.exactP)
  ]).pipe(
    Effect.map(([difference, p]) => ({
      pairs: pairs.length,
      bothCorrect: count(([a, b]) => a && b),
      onlyFirst,
      onlySecond,
      neither: count(([a, b]) => !a && !b),
      firstAccuracy: Statistics.mean(pairs.map(([a]) => Number(a))),
      secondAccuracy: Statistics.mean(pairs.map(([, b]) => Number(b))),
      difference,
      mcnemar,
      problems: differences.length,
      p,
      test: clustered ? ("sign-flip" as const) : ("mcnemar" as const)
    }))
  )
}
