import { Effect } from "effect"
import type { TopLevelSpec } from "vega-lite"
import type * as CostAxes from "./CostAxes.js"
import * as Frontier from "./Frontier.js"
import type { ResultRecord } from "./ResultRecord.js"

/**
 * The report's plots, as Vega-Lite specs rendered to SVG in Node: accuracy against actual compute on a log axis,
 * one line per strategy through its Pareto frontier (its other configurations as hollow points), a band for the
 * 95% interval, y zoomed to the data; and the same per difficulty level.
 */

/** One plotted point: a strategy configuration, its mean cost and accuracy with interval, and whether it is on its strategy's frontier. */
export interface Point {
  readonly strategy: string
  readonly configuration: string
  readonly cost: number
  readonly accuracy: number
  readonly lower: number
  readonly upper: number
  readonly problems: number
  readonly frontier: boolean
  /** The difficulty level, for per-difficulty plots. */
  readonly difficulty?: number
}

/** The plotted points of one data set's records on a cost axis (every configuration; frontier points marked). */
export const points = (records: ReadonlyArray<ResultRecord>, axis: CostAxes.Axis): ReadonlyArray<Point> => {
  const all = Frontier.points(records, axis)
  const onFrontier = new Set(
    [...new Set(all.map((point) => point.strategy))].flatMap((strategy) => Frontier.pareto(all.filter((point) => point.strategy === strategy)))
  )
  return all.map((point) => ({
    strategy: point.strategy,
    configuration: point.configuration,
    cost: point.cost,
    accuracy: point.accuracy.estimate,
    lower: point.accuracy.lower,
    upper: point.accuracy.upper,
    problems: point.records.length,
    frontier: onFrontier.has(point)
  }))
}

/** The plotted points per difficulty level (records without a difficulty are left out). */
export const difficultyPoints = (records: ReadonlyArray<ResultRecord>, axis: CostAxes.Axis): ReadonlyArray<Point> => {
  const levels = [...new Set(records.flatMap((record) => (record.difficulty === null ? [] : [record.difficulty])))].sort((a, b) => a - b)
  return levels.flatMap((difficulty) => points(records.filter((record) => record.difficulty === difficulty), axis).map((point) => ({ ...point, difficulty })))
}

const order = (values: Iterable<string>) => [...new Set(values)]

/**
 * A Vega-Lite spec (checked against vega-lite's `TopLevelSpec` where it is built). Its own type keeps the
 * published declarations free of vega-lite's, which do not compile under every consumer's settings.
 */
export type Spec = { readonly $schema: string } & Readonly<Record<string, unknown>>

// The y domain zoomed to the data: the intervals' extent with a small margin, inside [0, 1].
const yDomain = (data: ReadonlyArray<Point>): readonly [number, number] => {
  if (data.length === 0) return [0, 1]
  const low = Math.min(...data.map((point) => point.lower))
  const high = Math.max(...data.map((point) => point.upper))
  const margin = Math.max(0.02, (high - low) * 0.05)
  return [Math.max(0, Math.floor((low - margin) * 50) / 50), Math.min(1, Math.ceil((high + margin) * 50) / 50)]
}

const layers = (data: ReadonlyArray<Point>, xTitle: string) => {
  // Log scale for compute; a run that spent nothing on this axis (0) cannot sit on one, so it falls back to symlog.
  const scale = data.every((point) => point.cost > 0) ? { type: "log" as const } : { type: "symlog" as const }
  const x = { field: "cost", type: "quantitative" as const, title: xTitle, scale }
  const color = { field: "strategy", type: "nominal" as const, title: "strategy", scale: { domain: order(data.map((point) => point.strategy)) } }
  const y = { field: "accuracy", type: "quantitative" as const, title: "accuracy", scale: { domain: [...yDomain(data)], zero: false, nice: false } }
  const tooltip = [
    { field: "strategy" },
    { field: "configuration" },
    { field: "accuracy", format: ".3f" },
    { field: "lower", format: ".3f" },
    { field: "upper", format: ".3f" },
    { field: "cost", format: ",.4~g" },
    { field: "problems" }
  ]
  return [
    {
      transform: [{ filter: "datum.frontier" }],
      mark: { type: "area" as const, opacity: 0.15 },
      // No `order` here: on an area it splits the band into one zero-width area per point (the data are sorted by cost).
      encoding: { x, y: { field: "lower", type: "quantitative" as const, title: "accuracy" }, y2: { field: "upper" }, color }
    },
    {
      transform: [{ filter: "datum.frontier" }],
      mark: { type: "line" as const, point: { filled: true, size: 50 } },
      encoding: { x, y, color, order: { field: "cost", type: "quantitative" as const }, tooltip }
    },
    {
      transform: [{ filter: "!datum.frontier" }],
      mark: { type: "point" as const, filled: false, size: 40 },
      encoding: { x, y, color, tooltip }
    }
  ]
}

/** The spec of accuracy against compute on one cost axis. */
export const frontierSpec = (title: string, axis: CostAxes.Axis, data: ReadonlyArray<Point>): Spec =>
  ({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 560,
    height: 320,
    data: { values: [...data].sort((a, b) => a.cost - b.cost) as never },
    layer: layers(data, `${axis.title} (${axis.unit}, log scale)`)
  }) satisfies TopLevelSpec

/** The spec of accuracy against compute per difficulty level: one panel per level. */
export const difficultySpec = (title: string, axis: CostAxes.Axis, data: ReadonlyArray<Point>): Spec =>
  ({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    data: { values: [...data].sort((a, b) => a.cost - b.cost) as never },
    facet: { column: { field: "difficulty", type: "ordinal", title: "difficulty" } },
    spec: { width: 220, height: 200, layer: layers(data, `${axis.title} (log)`) }
  }) satisfies TopLevelSpec

/**
 * Renders a Vega-Lite spec to an SVG string in Node, without a browser or a canvas. Vega and Vega-Lite load on the
 * first render (about half a second to import on the 2-core machine), not when a command that draws nothing starts.
 */
export const toSvg = (spec: Spec): Effect.Effect<string> =>
  Effect.promise(async () => {
    const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")])
    const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), { renderer: "none" })
    const svg = await view.toSVG()
    view.finalize()
    return svg
  })
