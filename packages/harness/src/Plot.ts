import { Effect } from "effect"
import * as vega from "vega"
import { compile } from "vega-lite"
import type { TopLevelSpec } from "vega-lite"
import * as Metrics from "./Metrics.js"
import type { ResultRecord } from "./ResultRecord.js"
import * as Statistics from "./Statistics.js"

/** One point of a cost–accuracy curve: a strategy at one budget. */
export interface Point {
  readonly strategy: string
  readonly budget: string
  readonly cost: number
  readonly accuracy: number
  readonly lower: number
  readonly upper: number
  readonly problems: number
}

/** The cost of a cell on a plot's x axis. */
export type Axis = "tokens" | "verifierCalls"

/** The points of one data set's records: mean policy tokens or verifier calls per problem against accuracy. */
export const points = (records: ReadonlyArray<ResultRecord>, axis: Axis): ReadonlyArray<Point> =>
  Metrics.groupByCell(records).map((group) => {
    const summary = Metrics.summarize(group.records)
    return {
      strategy: group.strategy,
      budget: group.budget,
      cost: axis === "tokens" ? summary.policyTokens.mean : summary.verifierCalls.mean,
      accuracy: summary.accuracy.estimate,
      lower: summary.accuracy.lower,
      upper: summary.accuracy.upper,
      problems: summary.problems
    }
  })

/** Accuracy per difficulty level of every strategy × budget (records without a difficulty are left out). */
export const difficultyPoints = (records: ReadonlyArray<ResultRecord>) => {
  const groups = new Map<string, { strategy: string; budget: string; difficulty: number; correct: number; total: number }>()
  for (const record of records) {
    if (record.difficulty === null) continue
    const key = JSON.stringify([record.strategy, record.budget, record.difficulty])
    const group = groups.get(key) ?? { strategy: record.strategy, budget: record.budget, difficulty: record.difficulty, correct: 0, total: 0 }
    group.total++
    if (record.correct) group.correct++
    groups.set(key, group)
  }
  return [...groups.values()].map((group) => {
    const interval = Statistics.wilson(group.correct, group.total)
    return { ...group, accuracy: interval.estimate, lower: interval.lower, upper: interval.upper }
  })
}

/**
 * A Vega-Lite spec as `costSpec` and `difficultySpec` build it (checked there against vega-lite's `TopLevelSpec`)
 * and `toSvg` renders it; typed as plain JSON so that vega-lite's own types stay out of the public declarations.
 */
export type Spec = { readonly $schema: string } & Readonly<Record<string, unknown>>

const order = (values: Iterable<string>) => [...new Set(values)]

/**
 * The Vega-Lite spec of accuracy against cost: one line per strategy across its budgets, with 95% Wilson
 * interval bars; a log x axis when costs span more than a factor of 20.
 */
export const costSpec = (title: string, xTitle: string, data: ReadonlyArray<Point>): Spec => {
  const positive = data.map((point) => point.cost).filter((cost) => cost > 0)
  const logarithmic = positive.length === data.length && positive.length > 1 && Math.max(...positive) / Math.min(...positive) > 20
  const x = { field: "cost", type: "quantitative" as const, title: xTitle, scale: logarithmic ? { type: "log" as const } : { zero: false } }
  const color = { field: "strategy", type: "nominal" as const, title: "strategy", scale: { domain: order(data.map((point) => point.strategy)) } }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 520,
    height: 300,
    data: { values: [...data].sort((a, b) => a.cost - b.cost) as Array<Point> as never },
    layer: [
      {
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "accuracy", type: "quantitative", title: "accuracy", scale: { domain: [0, 1] } },
          color,
          order: { field: "cost", type: "quantitative" },
          tooltip: [{ field: "strategy" }, { field: "budget" }, { field: "accuracy", format: ".3f" }, { field: "cost", format: ",.0f" }]
        }
      },
      {
        mark: { type: "errorbar", ticks: true },
        encoding: { x, y: { field: "lower", type: "quantitative", title: "accuracy" }, y2: { field: "upper" }, color }
      }
    ]
  } satisfies TopLevelSpec
}

/** The Vega-Lite spec of accuracy per difficulty level: grouped bars per strategy, one panel per budget. */
export const difficultySpec = (title: string, data: ReturnType<typeof difficultyPoints>): Spec => {
  const strategies = order(data.map((point) => point.strategy))
  const x = { field: "difficulty", type: "ordinal" as const, title: "difficulty", axis: { labelAngle: 0 } }
  const color = { field: "strategy", type: "nominal" as const, scale: { domain: strategies } }
  const xOffset = { field: "strategy", type: "nominal" as const, scale: { domain: strategies } }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: data as never },
    facet: { column: { field: "budget", type: "nominal", title: "budget", sort: order(data.map((point) => point.budget)) } },
    spec: {
      width: Math.max(160, 40 * new Set(data.map((point) => point.difficulty)).size * Math.min(strategies.length, 4) / 2),
      height: 220,
      layer: [
        { mark: "bar", encoding: { x, xOffset, color, y: { field: "accuracy", type: "quantitative", title: "accuracy", scale: { domain: [0, 1] } } } },
        { mark: { type: "errorbar", ticks: true }, encoding: { x, xOffset, color, y: { field: "lower", type: "quantitative", title: "accuracy" }, y2: { field: "upper" } } }
      ]
    }
  } satisfies TopLevelSpec
}

/** Renders a Vega-Lite spec to an SVG string in Node, without a browser or a canvas. */
export const toSvg = (spec: Spec): Effect.Effect<string> =>
  Effect.promise(async () => {
    const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), { renderer: "none" })
    const svg = await view.toSVG()
    view.finalize()
    return svg
  })
