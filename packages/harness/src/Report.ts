import { mkdir, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { Data, Effect } from "effect"
import * as Metrics from "./Metrics.js"
import * as Plot from "./Plot.js"
import type { ResultRecord } from "./ResultRecord.js"
import * as Table from "./Table.js"

/** Options of `render`. */
export interface Options {
  /** Title of the report (default "stepwise benchmark"). */
  readonly title?: string
  /** Seed of the bootstrap intervals of the paired comparisons (default 0). */
  readonly seed?: number
  /** Bootstrap resamples (default 2000). */
  readonly resamples?: number
}

/** A paired comparison of one strategy against the baseline (the first strategy) in one data set × budget. */
export interface PairedRow {
  readonly dataset: string
  readonly budget: string
  readonly strategy: string
  readonly baseline: string
  readonly comparison: Metrics.Comparison
}

/** A rendered report: the table rows, the paired comparisons, and the three renderings. */
export interface Rendered {
  readonly rows: ReadonlyArray<Table.Row>
  readonly comparisons: ReadonlyArray<PairedRow>
  /** One self-contained HTML file with inline SVG plots. */
  readonly html: string
  readonly markdown: string
  readonly terminal: string
}

/** Writing the report failed. */
export class ReportError extends Data.TaggedError("ReportError")<{ readonly file: string; readonly detail: string }> {
  override get message(): string {
    return `${this.file}: ${this.detail}`
  }
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const order = (values: Iterable<string>) => [...new Set(values)]

/**
 * Compares every strategy with the baseline (the first strategy of the data set) at each budget, on the
 * problems both ran: McNemar's tests and a seeded bootstrap interval of the accuracy difference.
 */
export const comparisons = (records: ReadonlyArray<ResultRecord>, options: Options = {}): Effect.Effect<ReadonlyArray<PairedRow>> =>
  Effect.gen(function* () {
    const rows: Array<PairedRow> = []
    for (const dataset of order(records.map((record) => record.dataset))) {
      const ofDataset = records.filter((record) => record.dataset === dataset)
      const strategies = order(ofDataset.map((record) => record.strategy))
      const baseline = strategies[0]
      if (baseline === undefined) continue
      for (const budget of order(ofDataset.map((record) => record.budget))) {
        const atBudget = ofDataset.filter((record) => record.budget === budget)
        const base = atBudget.filter((record) => record.strategy === baseline)
        for (const strategy of strategies.slice(1)) {
          const comparison = yield* Metrics.compare(
            atBudget.filter((record) => record.strategy === strategy),
            base,
            { seed: options.seed ?? 0, ...(options.resamples === undefined ? {} : { resamples: options.resamples }) }
          )
          if (comparison.pairs > 0) rows.push({ dataset, budget, strategy, baseline, comparison })
        }
      }
    }
    return rows
  })

const pValue = (p: number) => (p < 0.001 ? "< 0.001" : p.toFixed(3))
const signed = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "—")

const comparisonHeaders = ["dataset", "budget", "strategy", "vs", "pairs", "Δ accuracy", "95% bootstrap CI", "only this / only baseline", "McNemar exact p", "McNemar χ² p"]

const comparisonCells = (row: PairedRow): ReadonlyArray<string> => [
  row.dataset,
  row.budget,
  row.strategy,
  row.baseline,
  String(row.comparison.pairs),
  signed(row.comparison.difference.estimate),
  `[${signed(row.comparison.difference.lower)}, ${signed(row.comparison.difference.upper)}]`,
  `${row.comparison.onlyFirst} / ${row.comparison.onlySecond}`,
  pValue(row.comparison.mcnemar.exactP),
  pValue(row.comparison.mcnemar.chiSquareP)
]

const htmlTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, textColumns: number) =>
  `<table><thead><tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join("")}</tr></thead><tbody>${rows
    .map(
      (row) =>
        `<tr>${row.map((cell, column) => `<td${column < textColumns ? "" : ' class="number"'}>${escapeHtml(cell)}</td>`).join("")}</tr>`
    )
    .join("")}</tbody></table>`

const markdownTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) =>
  [`| ${headers.join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n") + "\n"

const style = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1.5rem}th,td{border:1px solid #ddd;padding:.25rem .5rem}
th{background:#f5f5f5;text-align:left}td.number{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}svg{max-width:100%;height:auto}figcaption{font-size:.85rem;color:#555}.meta{color:#555;font-size:.9rem}`

/**
 * Renders a run's records: the results table (terminal text, Markdown, HTML), paired comparisons against the
 * first strategy, and — in the HTML — SVG plots rendered in Node: accuracy vs mean policy tokens and accuracy
 * vs mean verifier calls (one line per strategy across budgets, 95% Wilson bars) and accuracy per difficulty.
 *
 * @example
 * const report = yield* Report.render(outcome.records, { title: "MATH-500, 3 budgets" })
 * yield* Report.write(report, { html: "report.html", markdown: "report.md" })
 */
export const render = (records: ReadonlyArray<ResultRecord>, options: Options = {}): Effect.Effect<Rendered> =>
  Effect.gen(function* () {
    const title = options.title ?? "stepwise benchmark"
    const rows = Table.rows(records)
    const paired = yield* comparisons(records, options)
    const sections: Array<string> = []
    for (const dataset of order(records.map((record) => record.dataset))) {
      const ofDataset = records.filter((record) => record.dataset === dataset)
      const figures: Array<string> = []
      const tokens = yield* Plot.toSvg(
        Plot.costSpec(`${dataset}: accuracy vs tokens`, "mean policy tokens per problem (input + output)", Plot.points(ofDataset, "tokens"))
      )
      figures.push(`<figure class="plot" data-plot="tokens">${tokens}<figcaption>Accuracy against mean policy tokens per problem; one line per strategy across budgets; bars are 95% Wilson intervals.</figcaption></figure>`)
      const calls = yield* Plot.toSvg(
        Plot.costSpec(`${dataset}: accuracy vs verifier calls`, "mean verifier calls per problem", Plot.points(ofDataset, "verifierCalls"))
      )
      figures.push(`<figure class="plot" data-plot="verifier-calls">${calls}<figcaption>Accuracy against mean verifier calls per problem.</figcaption></figure>`)
      const byDifficulty = Plot.difficultyPoints(ofDataset)
      if (byDifficulty.length > 0) {
        const svg = yield* Plot.toSvg(Plot.difficultySpec(`${dataset}: accuracy per difficulty`, byDifficulty))
        figures.push(`<figure class="plot" data-plot="difficulty">${svg}<figcaption>Accuracy per difficulty level, per strategy and budget (95% Wilson intervals).</figcaption></figure>`)
      }
      sections.push(`<h2>${escapeHtml(dataset)}</h2>\n${figures.join("\n")}`)
    }
    const problems = new Set(records.map((record) => JSON.stringify([record.dataset, record.problemId]))).size
    const meta = `${records.length} runs over ${problems} problems; strategies: ${order(records.map((record) => record.strategy)).join(", ")}; budgets: ${order(
      records.map((record) => record.budget)
    ).join(", ")}; seeds: ${order(records.map((record) => String(record.seed))).join(", ")}.`
    const tableRows = rows.map(Table.cells)
    const difficulty = Table.byDifficulty(records)
    const comparisonRows = paired.map(comparisonCells)
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(meta)}</p>
<h2>Results</h2>
<p class="meta">Accuracy with its 95% Wilson interval; tokens per problem as metered by the accountant; E³ = accuracy² / mean tokens (policy and verifier).</p>
${htmlTable(Table.headers, tableRows, 3)}
${paired.length === 0 ? "" : `<h2>Paired comparisons</h2>\n<p class="meta">Each strategy against the first, on the same problems and seeds.</p>\n${htmlTable(comparisonHeaders, comparisonRows, 4)}`}
${difficulty.rows.length === 0 ? "" : `<h2>Accuracy per difficulty</h2>\n<p class="meta">Accuracy (problems) per difficulty level.</p>\n${htmlTable(difficulty.headers, difficulty.rows, 3)}`}
${sections.join("\n")}
</body></html>
`
    const markdown = `# ${title}\n\n${meta}\n\n${Table.markdown(rows)}${paired.length === 0 ? "" : `\n## Paired comparisons\n\n${markdownTable(comparisonHeaders, comparisonRows)}`}${
      difficulty.rows.length === 0 ? "" : `\n## Accuracy per difficulty\n\n${markdownTable(difficulty.headers, difficulty.rows)}`
    }`
    return { rows, comparisons: paired, html, markdown, terminal: Table.terminal(rows) }
  })

/** Writes a rendered report's HTML and/or Markdown files (creating folders). */
export const write = (
  report: Rendered,
  files: { readonly html?: string; readonly markdown?: string }
): Effect.Effect<void, ReportError> =>
  Effect.forEach(
    [
      [files.html, report.html],
      [files.markdown, report.markdown]
    ] as const,
    ([file, content]) =>
      file === undefined
        ? Effect.void
        : Effect.tryPromise({
            try: async () => {
              await mkdir(dirname(file), { recursive: true })
              await writeFile(file, content)
            },
            catch: (cause) => new ReportError({ file, detail: `cannot be written: ${String(cause)}` })
          }),
    { discard: true }
  )
