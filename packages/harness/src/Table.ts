import * as Metrics from "./Metrics.js"
import type { ResultRecord } from "./ResultRecord.js"

/**
 * The results as tables: one row per cell (data set × strategy configuration × budget, seeds pooled). Two tables
 * keep each readable on a terminal and at 1,400 px: outcomes (accuracy, its interval, the spread over seeds, and
 * how every run ended: correct / wrong / no answer / error) and compute (the cost axes, per problem).
 */

/** One row: a cell and its metrics. */
export interface Row {
  readonly dataset: string
  readonly strategy: string
  /** The configuration of a swept or scaled strategy (`n=8`); empty otherwise. */
  readonly configuration: string
  readonly budget: string
  readonly summary: Metrics.Summary
}

/** The rows of a run's records, in the recipe's order (first seen). */
export const rows = (records: ReadonlyArray<ResultRecord>): ReadonlyArray<Row> =>
  Metrics.groupByCell(records).map((group) => ({
    dataset: group.dataset,
    strategy: group.strategy,
    configuration: group.configuration,
    budget: group.budget,
    summary: Metrics.summarize(group.records)
  }))

/** A table: headers, how many leading columns are text (the rest are right-aligned numbers), and its cells. */
export interface Table {
  readonly headers: ReadonlyArray<string>
  readonly textColumns: number
  readonly cells: ReadonlyArray<ReadonlyArray<string>>
}

const integer = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "—")
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "—")
const scientific = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "—" : value.toExponential(2))
const dollars = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "—" : `$${value < 0.01 ? value.toExponential(2) : value.toFixed(4)}`)

const identity = (row: Row): ReadonlyArray<string> => [row.dataset, row.strategy, row.configuration === "" ? "—" : row.configuration, row.budget]

// The range of per-seed accuracies, when there is more than one seed.
const seedSpread = (summary: Metrics.Summary): string => {
  if (summary.seedAccuracies.length < 2) return "—"
  const values = summary.seedAccuracies.map((each) => each.accuracy)
  return `${fixed(Math.min(...values), 3)}–${fixed(Math.max(...values), 3)}`
}

/** Outcomes: accuracy with its 95% Wilson interval, the spread over seeds, and how the runs ended. */
export const outcomes = (table: ReadonlyArray<Row>): Table => ({
  headers: ["dataset", "strategy", "configuration", "budget", "runs", "accuracy", "95% CI", "seeds", "correct", "wrong", "no answer", "error"],
  textColumns: 4,
  cells: table.map((row) => {
    const summary = row.summary
    return [
      ...identity(row),
      String(summary.problems),
      fixed(summary.accuracy.estimate, 3),
      `[${fixed(summary.accuracy.lower, 3)}, ${fixed(summary.accuracy.upper, 3)}]`,
      seedSpread(summary),
      String(summary.outcomes.correct),
      String(summary.outcomes.wrong),
      String(summary.outcomes["no-answer"]),
      String(summary.outcomes.error)
    ]
  })
})

/** Compute per problem (means): policy output, policy tokens and the cached share, verifier calls and tokens, eFLOPs, dollars, wall time, E³. */
export const compute = (table: ReadonlyArray<Row>): Table => ({
  headers: ["dataset", "strategy", "configuration", "budget", "output tok", "policy tok", "cached", "verifier calls", "verifier tok", "eFLOPs", "dollars", "wall ms", "E³"],
  textColumns: 4,
  cells: table.map((row) => {
    const summary = row.summary
    return [
      ...identity(row),
      integer(summary.outputTokens.mean),
      integer(summary.policyTokens.mean),
      `${fixed(100 * summary.cachedShare, 0)}%`,
      fixed(summary.verifierCalls.mean, 1),
      integer(summary.verifierTokens.mean),
      scientific(summary.eflops),
      dollars(summary.dollars),
      integer(summary.wallMillis.mean),
      scientific(summary.e3)
    ]
  })
})

/** A table as aligned plain text for a terminal. */
export const terminal = (table: Table): string => {
  const lines = [table.headers, ...table.cells]
  const widths = table.headers.map((_, column) => Math.max(...lines.map((line) => line[column]?.length ?? 0)))
  const format = (line: ReadonlyArray<string>) =>
    line.map((cell, column) => (column < table.textColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd()
  return [format(table.headers), widths.map((width) => "─".repeat(width)).join("  "), ...table.cells.map(format)].join("\n") + "\n"
}

const escapeMarkdown = (cell: string) => cell.replace(/\|/g, "\\|")

/** A table as GitHub Markdown. */
export const markdown = (table: Table): string =>
  [
    `| ${table.headers.join(" | ")} |`,
    `| ${table.headers.map((_, column) => (column < table.textColumns ? "---" : "---:")).join(" | ")} |`,
    ...table.cells.map((line) => `| ${line.map(escapeMarkdown).join(" | ")} |`)
  ].join("\n") + "\n"

/**
 * Accuracy per difficulty level: one row per cell, one column per level (each level's accuracy and count,
 * "0.750 (8)"; "—" where a cell has no problem of that level). Records without a difficulty are left out; no
 * levels gives no rows.
 */
export const byDifficulty = (records: ReadonlyArray<ResultRecord>): Table => {
  const levels = [...new Set(records.flatMap((record) => (record.difficulty === null ? [] : [record.difficulty])))].sort((a, b) => a - b)
  const cells =
    levels.length === 0
      ? []
      : Metrics.groupByCell(records).map((group) => [
          group.dataset,
          group.strategy,
          group.configuration === "" ? "—" : group.configuration,
          group.budget,
          ...levels.map((level) => {
            const atLevel = group.records.filter((record) => record.difficulty === level)
            if (atLevel.length === 0) return "—"
            const correct = atLevel.filter((record) => record.correct).length
            return `${(correct / atLevel.length).toFixed(3)} (${atLevel.length})`
          })
        ])
  return { headers: ["dataset", "strategy", "configuration", "budget", ...levels.map((level) => `level ${level}`)], textColumns: 4, cells }
}
