import * as Metrics from "./Metrics.js"
import type { ResultRecord } from "./ResultRecord.js"

/** One row of the results table: a cell (dataset × strategy × budget, seeds pooled) and its metrics. */
export interface Row {
  readonly dataset: string
  readonly strategy: string
  readonly budget: string
  readonly summary: Metrics.Summary
}

/** The rows of a run's records, in the recipe's order (first seen). */
export const rows = (records: ReadonlyArray<ResultRecord>): ReadonlyArray<Row> =>
  Metrics.groupByCell(records).map((group) => ({
    dataset: group.dataset,
    strategy: group.strategy,
    budget: group.budget,
    summary: Metrics.summarize(group.records)
  }))

/** The column headers of the table. */
export const headers: ReadonlyArray<string> = [
  "dataset",
  "strategy",
  "budget",
  "problems",
  "accuracy",
  "95% CI",
  "input tokens (mean / median)",
  "output tokens (mean / median)",
  "verifier calls",
  "verifier tokens",
  "E³",
  "eFLOPs",
  "wall ms"
]

const integer = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "—")
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "—")
const scientific = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "—" : value.toExponential(2))

/** A row as formatted cells, in `headers` order. */
export const cells = (row: Row): ReadonlyArray<string> => {
  const summary = row.summary
  return [
    row.dataset,
    row.strategy,
    row.budget,
    String(summary.problems),
    fixed(summary.accuracy.estimate, 3),
    `[${fixed(summary.accuracy.lower, 3)}, ${fixed(summary.accuracy.upper, 3)}]`,
    `${integer(summary.inputTokens.mean)} / ${integer(summary.inputTokens.median)}`,
    `${integer(summary.outputTokens.mean)} / ${integer(summary.outputTokens.median)}`,
    fixed(summary.verifierCalls.mean, 1),
    integer(summary.verifierTokens.mean),
    scientific(summary.e3),
    scientific(summary.eflops),
    integer(summary.wallMillis.mean)
  ]
}

/** The table as aligned plain text for a terminal. */
export const terminal = (table: ReadonlyArray<Row>): string => {
  const lines = [headers, ...table.map(cells)]
  const widths = headers.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)))
  const format = (line: ReadonlyArray<string>) =>
    line.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ").trimEnd()
  return [format(headers), widths.map((width) => "─".repeat(width)).join("  "), ...table.map((row) => format(cells(row)))].join("\n") + "\n"
}

const escapeMarkdown = (cell: string) => cell.replace(/\|/g, "\\|")

/** The table as GitHub Markdown. */
export const markdown = (table: ReadonlyArray<Row>): string =>
  [
    `| ${headers.join(" | ")} |`,
    `| ${headers.map((_, column) => (column < 3 ? "---" : "---:")).join(" | ")} |`,
    ...table.map((row) => `| ${cells(row).map(escapeMarkdown).join(" | ")} |`)
  ].join("\n") + "\n"

/** Accuracy per difficulty level: one row per dataset × strategy × budget, one column per level. */
export interface DifficultyTable {
  readonly levels: ReadonlyArray<number>
  readonly headers: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
}

/**
 * The per-difficulty breakdown as cells: each level's accuracy and count ("0.750 (8)"), "—" where a cell has no
 * problem of that level. Records without a difficulty are left out; no levels gives no rows.
 */
export const byDifficulty = (records: ReadonlyArray<ResultRecord>): DifficultyTable => {
  const levels = [...new Set(records.flatMap((record) => (record.difficulty === null ? [] : [record.difficulty])))].sort((a, b) => a - b)
  const rows = levels.length === 0
    ? []
    : Metrics.groupByCell(records).map((group) => [
        group.dataset,
        group.strategy,
        group.budget,
        ...levels.map((level) => {
          const atLevel = group.records.filter((record) => record.difficulty === level)
          if (atLevel.length === 0) return "—"
          const correct = atLevel.filter((record) => record.correct).length
          return `${(correct / atLevel.length).toFixed(3)} (${atLevel.length})`
        })
      ])
  return { levels, headers: ["dataset", "strategy", "budget", ...levels.map((level) => `level ${level}`)], rows }
}
