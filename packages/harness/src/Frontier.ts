import { Effect } from "effect"
import type * as CostAxes from "./CostAxes.js"
import * as Metrics from "./Metrics.js"
import * as ResultRecord from "./ResultRecord.js"
import * as Statistics from "./Statistics.js"

/**
 * Compute-matched comparison of strategies. Each configuration a strategy ran (a swept size, a budget-scaled
 * size, or the strategy as given at each budget) is one point: its accuracy against the compute it actually spent
 * on a chosen cost axis (the mean per problem, never the cap). A strategy's frontier is its Pareto-optimal points;
 * "the best strategy at a budget" compares, at each compute level, every strategy's most accurate point that spent
 * no more than that level, on the same problems, with paired intervals and Holm-corrected tests against the best.
 */

/** One configuration of a strategy in one data set, seeds pooled: its records, accuracy, and mean cost. */
export interface Point {
  readonly dataset: string
  readonly strategy: string
  /** The configuration (`n=8`), or the budget label for a fixed configuration run at several budgets. */
  readonly configuration: string
  readonly budget: string
  /** Mean cost per problem on the axis. */
  readonly cost: number
  /** Accuracy with its 95% Wilson interval (with several seeds, each problem's runs counted as one cluster). */
  readonly accuracy: Statistics.Interval
  /** Accuracy of each seed alone (the spread across seeds). */
  readonly seedAccuracies: ReadonlyArray<number>
  readonly records: ReadonlyArray<ResultRecord.ResultRecord>
}

/** The points of a set of records on a cost axis: one per data set × strategy × configuration × budget. */
export const points = (records: ReadonlyArray<ResultRecord.ResultRecord>, axis: CostAxes.Axis): ReadonlyArray<Point> => {
  const groups = new Map<string, Array<ResultRecord.ResultRecord>>()
  for (const record of records) {
    const key = JSON.stringify([record.dataset, record.strategy, record.configuration, record.budget])
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [record])
    else group.push(record)
  }
  return [...groups.values()].flatMap((group) => {
    const first = group[0]
    if (first === undefined) return []
    const costs = group.map(axis.valueOf)
    if (costs.some((cost) => cost === undefined)) return []
    const bySeed = new Map<number, Array<ResultRecord.ResultRecord>>()
    for (const record of group) bySeed.set(record.seed, [...(bySeed.get(record.seed) ?? []), record])
    return [
      {
        dataset: first.dataset,
        strategy: first.strategy,
        configuration: first.configuration === "" ? first.budget : first.configuration,
        budget: first.budget,
        cost: Statistics.mean(costs as ReadonlyArray<number>),
        accuracy: Metrics.summarize(group).accuracy,
        seedAccuracies: [...bySeed.values()].map((seedRecords) => seedRecords.filter((record) => record.correct).length / seedRecords.length),
        records: group
      }
    ]
  })
}

/** True when `a` dominates `b`: no more cost, no less accuracy, and strictly better in one. */
export const dominates = (a: Pick<Point, "cost" | "accuracy">, b: Pick<Point, "cost" | "accuracy">): boolean =>
  a.cost <= b.cost && a.accuracy.estimate >= b.accuracy.estimate && (a.cost < b.cost || a.accuracy.estimate > b.accuracy.estimate)

/**
 * The Pareto frontier of points: those no other point dominates, cheapest first (of equal points, the first kept).
 *
 * @example
 * Frontier.pareto(points.filter((point) => point.strategy === "a-star"))
 */
export const pareto = <P extends Pick<Point, "cost" | "accuracy">>(candidates: ReadonlyArray<P>): ReadonlyArray<P> => {
  const sorted = [...candidates].sort((a, b) => a.cost - b.cost || b.accuracy.estimate - a.accuracy.estimate)
  const frontier: Array<P> = []
  let best = Number.NEGATIVE_INFINITY
  for (const point of sorted)
    if (point.accuracy.estimate > best) {
      frontier.push(point)
      best = point.accuracy.estimate
    }
  return frontier
}

/**
 * Compute levels at which strategies are compared: `count` levels spaced geometrically from the cheapest to the
 * dearest frontier point, each rounded up to two significant figures.
 */
export const levels = (frontierPoints: ReadonlyArray<Pick<Point, "cost">>, count = 6): ReadonlyArray<number> => {
  const costs = frontierPoints.map((point) => point.cost).filter((cost) => cost > 0)
  if (costs.length === 0) return []
  const low = Math.min(...costs)
  const high = Math.max(...costs)
  if (high <= low * 1.0001) return [roundSignificant(high)]
  const steps = Math.max(1, count - 1)
  return [...new Set(Array.from({ length: steps + 1 }, (_, index) => roundSignificant(low * (high / low) ** (index / steps))))]
}

// Rounds up to two significant figures (up, so a level never excludes the point it was made from).
const roundSignificant = (value: number): number => {
  if (value === 0) return 0
  const digits = Math.floor(Math.log10(Math.abs(value))) - 1
  const unit = 10 ** digits
  return Math.ceil(value / unit) * unit
}

/** One strategy at one compute level: its most accurate point within the level, and how it compares with the best. */
export interface Entry {
  readonly strategy: string
  readonly point: Point
  /** Paired comparison against the best strategy at the level (undefined for the best itself). */
  readonly comparison: Metrics.Comparison | undefined
  /** The Holm-corrected p-value of that comparison (its `p`: McNemar exact, or with several seeds a sign-flip test). */
  readonly holmP: number | undefined
}

/** The strategies at one compute level, best first. */
export interface Level {
  readonly dataset: string
  readonly level: number
  readonly entries: ReadonlyArray<Entry>
}

/** A configuration left out of the comparison: it ran fewer of its data set's problem runs than the others. */
export interface Incomplete {
  readonly point: Point
  /** The problem runs (problem × seed) it has, of the data set's. */
  readonly runs: number
  readonly of: number
}

const runKey = (record: ResultRecord.ResultRecord) => JSON.stringify([record.seed, record.problemId])

/**
 * Splits a data set's points into those that ran every problem run (problem × seed) any of them ran, which are
 * compared, and the others (an interrupted run, a cell added later), which are not: accuracies over different
 * problems do not compare.
 */
export const completeness = (ofDataset: ReadonlyArray<Point>): { readonly complete: ReadonlyArray<Point>; readonly incomplete: ReadonlyArray<Incomplete> } => {
  const all = new Set(ofDataset.flatMap((point) => point.records.map(runKey)))
  const complete: Array<Point> = []
  const incomplete: Array<Incomplete> = []
  for (const point of ofDataset) {
    const runs = new Set(point.records.map(runKey)).size
    if (runs === all.size) complete.push(point)
    else incomplete.push({ point, runs, of: all.size })
  }
  return { complete, incomplete }
}

/** The configurations each data set leaves out of `matched` (see `completeness`), by data set. */
export const incomplete = (records: ReadonlyArray<ResultRecord.ResultRecord>, axis: CostAxes.Axis): ReadonlyArray<Incomplete> => {
  const all = points(records, axis)
  return [...new Set(all.map((point) => point.dataset))].flatMap((dataset) => completeness(all.filter((point) => point.dataset === dataset)).incomplete)
}

/**
 * Holm's step-down correction of p-values (family-wise error), in the input order.
 *
 * @example
 * Frontier.holm([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export const holm = (pValues: ReadonlyArray<number>): ReadonlyArray<number> => {
  const order = pValues.map((p, index) => ({ p, index })).sort((a, b) => a.p - b.p)
  const adjusted: Array<number> = new Array(pValues.length)
  let running = 0
  order.forEach(({ p, index }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p))
    adjusted[index] = running
  })
  return adjusted
}

/**
 * The best strategy at each compute level of each data set: per strategy, its most accurate point whose mean cost
 * is within the level (ties: the cheaper); strategies sorted by accuracy; every other strategy compared with the
 * best on the same problems and seeds (bootstrap interval of the difference, McNemar exact p, Holm-corrected
 * within the level). Only configurations that ran all of the data set's problem runs take part (`completeness`); a
 * data set where no run answered right has no levels.
 */
export const matched = (
  records: ReadonlyArray<ResultRecord.ResultRecord>,
  axis: CostAxes.Axis,
  options: { readonly seed: number; readonly resamples?: number; readonly levels?: number }
): Effect.Effect<ReadonlyArray<Level>> =>
  Effect.gen(function* () {
    const all = points(records, axis)
    const result: Array<Level> = []
    for (const dataset of [...new Set(all.map((point) => point.dataset))]) {
      const ofDataset = completeness(all.filter((point) => point.dataset === dataset)).complete
      // Nothing answered right: every accuracy is 0, and a "best" among them would be named by cost alone.
      if (!ofDataset.some((point) => point.accuracy.estimate > 0)) continue
      const strategies = [...new Set(ofDataset.map((point) => point.strategy))]
      const frontiers = new Map(strategies.map((strategy) => [strategy, pareto(ofDataset.filter((point) => point.strategy === strategy))]))
      for (const level of levels([...frontiers.values()].flat(), options.levels)) {
        const chosen: Array<Point> = []
        for (const frontier of frontiers.values()) {
          const within = frontier.filter((point) => point.cost <= level)
          const best = within.at(-1)
          if (best !== undefined) chosen.push(best)
        }
        chosen.sort((a, b) => b.accuracy.estimate - a.accuracy.estimate || a.cost - b.cost)
        const [leader, ...others] = chosen
        if (leader === undefined) continue
        const comparisons: Array<Metrics.Comparison> = []
        for (const other of others)
          comparisons.push(
            yield* Metrics.compare(other.records, leader.records, {
              seed: options.seed,
              ...(options.resamples === undefined ? {} : { resamples: options.resamples })
            })
          )
        const adjusted = holm(comparisons.map((comparison) => comparison.p))
        result.push({
          dataset,
          level,
          entries: [
            { strategy: leader.strategy, point: leader, comparison: undefined, holmP: undefined },
            ...others.map((point, index) => ({ strategy: point.strategy, point, comparison: comparisons[index], holmP: adjusted[index] }))
          ]
        })
      }
    }
    return result
  })
