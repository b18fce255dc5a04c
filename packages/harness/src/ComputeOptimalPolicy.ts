import { Data, Effect } from "effect"
import type { ComputeOptimal } from "@stepwise/search"
import * as CostAxes from "./CostAxes.js"
import * as Frontier from "./Frontier.js"
import * as ResultRecord from "./ResultRecord.js"

/**
 * Learns the plain-data policy of `ComputeOptimal` (search) from a previous benchmark's results, as Snell et al.
 * 2024 choose the compute-optimal strategy per difficulty bin. For every difficulty level the records carry (a
 * simulator world's or MATH's level) and every budget: among the configurations the benchmark ran on that level's
 * problems, the most accurate one whose mean cost per problem on the axis is within the budget (ties: the cheaper;
 * none within: the cheapest). The bins sit on the difficulty the strategy's probe estimates, 1 − P(a sample is
 * right): each level is placed at 1 − the accuracy of a reference configuration on it (by default the cheapest
 * configuration of the file, e.g. one sample), and the bin edges are the midpoints between neighbouring levels.
 */

/** The learning failed: no records, several data sets with none chosen, an unknown axis or reference. */
export class LearnError extends Data.TaggedError("PolicyLearnError")<{ readonly detail: string }> {
  override get message(): string {
    return `compute-optimal policy: ${this.detail}`
  }
}

/** Options of `learn`. */
export interface LearnOptions {
  /** The cost axis budgets are measured on (an axis or its name, e.g. `all-tokens`). */
  readonly axis: CostAxes.Axis | string
  /** The budgets to learn a row for (mean cost per problem on the axis). */
  readonly budgets: ReadonlyArray<number>
  /** The configuration whose accuracy per level places the levels on the probe's scale (default: the cheapest). */
  readonly reference?: { readonly strategy: string; readonly configuration?: string | undefined } | undefined
  /** The data set to learn from, when the records hold several. */
  readonly dataset?: string | undefined
}

/** The kinds never learned from: compute-optimal itself. */
export const excludedKinds: ReadonlyArray<string> = ["compute-optimal"]

// The most accurate point within the budget (ties: the cheaper, then the first); none within: the cheapest.
const bestWithin = (points: ReadonlyArray<Frontier.Point>, budget: number): Frontier.Point | undefined => {
  let best: Frontier.Point | undefined
  for (const point of points) {
    if (point.cost > budget) continue
    if (best === undefined || point.accuracy.estimate > best.accuracy.estimate || (point.accuracy.estimate === best.accuracy.estimate && point.cost < best.cost))
      best = point
  }
  if (best !== undefined) return best
  for (const point of points) if (best === undefined || point.cost < best.cost) best = point
  return best
}

// What a policy runs for a point: its kind and options as recorded, without the seed (the strategy sets its own).
const choiceOf = (point: Frontier.Point): ComputeOptimal.ChoiceSettings => {
  const first = point.records[0]
  const { seed: _seed, ...options } = first?.options ?? {}
  return { kind: first?.strategyName ?? point.strategy, options }
}

const accuracyOf = (records: ReadonlyArray<ResultRecord.ResultRecord>): number =>
  records.length === 0 ? 0 : records.filter((record) => record.correct).length / records.length

/**
 * Learns a compute-optimal policy from result records (see the module doc).
 *
 * @example
 * const policy = yield* ComputeOptimalPolicy.learn(records, { axis: "all-tokens", budgets: [2000, 8000] })
 * const strategy = yield* ComputeOptimal.make({ policy, budget: 8000 })
 */
export const learn = (
  records: ReadonlyArray<ResultRecord.ResultRecord>,
  options: LearnOptions
): Effect.Effect<ComputeOptimal.PolicySettings, LearnError> =>
  Effect.gen(function* () {
    const fail = (detail: string) => Effect.fail(new LearnError({ detail }))
    const axis = typeof options.axis === "string" ? CostAxes.byName(options.axis) : options.axis
    if (axis === undefined)
      return yield* fail(`unknown cost axis ${JSON.stringify(options.axis)} (one of ${CostAxes.axes.map((each) => each.name).join(", ")})`)
    if (options.budgets.length === 0 || options.budgets.some((budget) => !(budget > 0)))
      return yield* fail("budgets must be one or more positive numbers")
    let usable = ResultRecord.latest(records).filter((record) => !excludedKinds.includes(record.strategyName))
    const datasets = [...new Set(usable.map((record) => record.dataset))]
    if (options.dataset !== undefined) usable = usable.filter((record) => record.dataset === options.dataset)
    else if (datasets.length > 1) return yield* fail(`the records hold several data sets (${datasets.join(", ")}): choose one with \`dataset\``)
    if (usable.length === 0) return yield* fail("no records to learn from")
    const all = Frontier.points(usable, axis)
    if (all.length === 0) return yield* fail(`no records measured on the axis ${axis.name}`)
    let reference: Frontier.Point | undefined
    if (options.reference !== undefined) {
      const wanted = options.reference
      reference = all.find((point) => point.strategy === wanted.strategy && (wanted.configuration === undefined || point.configuration === wanted.configuration))
      if (reference === undefined)
        return yield* fail(`no configuration ${wanted.strategy}${wanted.configuration === undefined ? "" : ` [${wanted.configuration}]`} in the records`)
    } else for (const point of all) if (reference === undefined || point.cost < reference.cost) reference = point
    const referenceKey = JSON.stringify([reference?.strategy, reference?.configuration])
    // The levels: every difficulty the records carry (records without one are left out), or one level for all.
    const known = [...new Set(usable.flatMap((record) => (record.difficulty === null ? [] : [record.difficulty])))].sort((a, b) => a - b)
    const levels: ReadonlyArray<number | undefined> = known.length === 0 ? [undefined] : known
    const placed = levels
      .map((level) => {
        const ofLevel = level === undefined ? usable : usable.filter((record) => record.difficulty === level)
        const fromReference = ofLevel.filter((record) => JSON.stringify([record.strategy, record.configuration === "" ? record.budget : record.configuration]) === referenceKey)
        return { level, records: ofLevel, difficulty: 1 - accuracyOf(fromReference.length > 0 ? fromReference : ofLevel) }
      })
      .sort((a, b) => a.difficulty - b.difficulty || (a.level ?? 0) - (b.level ?? 0))
    const edges = placed.map((each, index) => {
      const next = placed[index + 1]
      return next === undefined ? 1 : (each.difficulty + next.difficulty) / 2
    })
    const table = [...options.budgets]
      .sort((a, b) => a - b)
      .map((budget) => ({
        budget,
        bins: placed.flatMap((each, index) => {
          const best = bestWithin(Frontier.points(each.records, axis), budget)
          if (best === undefined) return []
          return [
            {
              upTo: edges[index] ?? 1,
              choice: choiceOf(best),
              ...(each.level === undefined ? {} : { level: each.level }),
              accuracy: best.accuracy.estimate,
              cost: best.cost
            }
          ]
        })
      }))
    return { axis: axis.name, table }
  })
