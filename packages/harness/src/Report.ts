import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { Data, Effect } from "effect"
import * as CostAxes from "./CostAxes.js"
import * as Frontier from "./Frontier.js"
import * as Plot from "./Plot.js"
import type { Provenance } from "./Provenance.js"
import type { ResultRecord } from "./ResultRecord.js"
import * as ResultRecords from "./ResultRecord.js"
import * as Table from "./Table.js"

/** What a report says about the run that produced it (shown in its metadata section). */
export interface Metadata {
  /** The recipe as run (defaults filled in). */
  readonly recipe?: unknown
  /** The recipe's file, when it came from one. */
  readonly recipeFile?: string
  readonly provenance?: Provenance
}

/** Options of `render`. */
export interface Options {
  /** Title of the report (default "stepwise benchmark"). */
  readonly title?: string
  /** Seed of the bootstrap intervals of the paired comparisons (default 0). */
  readonly seed?: number
  /** Bootstrap resamples (default 2000). */
  readonly resamples?: number
  /** Compute levels per data set in the "best strategy at each budget" tables (default 6). */
  readonly levels?: number
  /** The cost axis shown first (default `all-tokens`). */
  readonly axis?: string
  readonly metadata?: Metadata
}

/** The "best strategy at each budget" comparisons on one cost axis. */
export interface Matched {
  readonly axis: CostAxes.Axis
  readonly levels: ReadonlyArray<Frontier.Level>
}

/** A rendered report: the rows, the matched comparisons per cost axis, and the three renderings. */
export interface Rendered {
  readonly rows: ReadonlyArray<Table.Row>
  readonly matched: ReadonlyArray<Matched>
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

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const order = (values: Iterable<string>) => [...new Set(values)]

const pValue = (p: number | undefined) => (p === undefined ? "—" : p < 0.001 ? "< 0.001" : p.toFixed(3))
const signed = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "—")
const costText = (value: number) => (value >= 1e5 || (value > 0 && value < 0.01) ? value.toExponential(2) : value.toLocaleString("en-US", { maximumFractionDigits: 2 }))

/**
 * The "best strategy at each budget" table of one cost axis: per level, every strategy's best point within it, best
 * first. Its p column is McNemar's exact test, or with several seeds a sign-flip test over problems.
 */
export const matchedTable = (matched: Matched): Table.Table => {
  const signFlip = matched.levels.some((level) => level.entries.some((entry) => entry.comparison?.test === "sign-flip"))
  // Which recipe budget a point ran under, when there were several: a swept size at two budgets is two points.
  const budgets = new Set(matched.levels.flatMap((level) => level.entries.map((entry) => entry.point.budget)))
  const configurationOf = (point: Frontier.Point) => {
    const fixed = point.records[0]?.configuration === ""
    if (fixed) return budgets.size > 1 ? `as given, budget ${point.budget}` : "as given"
    return budgets.size > 1 ? `${point.configuration}, budget ${point.budget}` : point.configuration
  }
  return {
    headers: [
      "dataset",
      "budget (≤)",
      "rank",
      "strategy",
      "configuration",
      `spent (${matched.axis.unit})`,
      "accuracy",
      "95% CI",
      "Δ vs best",
      "Δ 95% CI",
      signFlip ? "sign-flip p" : "McNemar p",
      "Holm p"
    ],
    textColumns: 5,
    cells: matched.levels.flatMap((level) =>
      level.entries.map((entry, rank) => [
        level.dataset,
        costText(level.level),
        String(rank + 1),
        entry.strategy,
        configurationOf(entry.point),
        costText(entry.point.cost),
        entry.point.accuracy.estimate.toFixed(3),
        `[${entry.point.accuracy.lower.toFixed(3)}, ${entry.point.accuracy.upper.toFixed(3)}]`,
        entry.comparison === undefined ? "best" : signed(entry.comparison.difference.estimate),
        entry.comparison === undefined ? "—" : `[${signed(entry.comparison.difference.lower)}, ${signed(entry.comparison.difference.upper)}]`,
        pValue(entry.comparison?.p),
        pValue(entry.holmP)
      ])
    )
  }
}

/** The sentence naming the configurations a data set's comparison left out, or "" when it left none. */
export const incompleteNote = (left: ReadonlyArray<Frontier.Incomplete>): string =>
  left.length === 0
    ? ""
    : `Not compared, having run fewer of the data set's problem runs than the others: ${left
        .map(({ point, runs, of }) => `${point.strategy}${point.configuration === "" ? "" : ` [${point.configuration}]`} (${runs} of ${of})`)
        .join(", ")}.`

/** What the "best strategy at each budget" table's columns mean, for the Markdown and terminal reports. */
export const matchedMeaning =
  "budget (≤) is a level of mean spend per problem, not a recipe budget: at each, every strategy's most accurate configuration that spent no more on average, best first; Δ is its accuracy minus the best's on the same problems (bootstrap 95% interval over problems), with the p-value of no difference and its Holm correction within the level. The interval describes Δ and the test decides significance (McNemar's exact test; with several seeds a sign-flip test over problems, exact up to 16 differing problems and seeded Monte Carlo above): near 0 they can disagree (an interval just excluding 0 with p above 0.05), and then the p-value is the one to trust."

/** Why a data set has no ranking: no run answered right (a budget too small for one call, every run an error). */
export const nothingRightNote = "No run answered correctly, so no strategy is ranked (check the budgets against the strategies' maxTokens, and the errors)."

const htmlTable = (table: Table.Table, className = "") =>
  `<div class="table-wrap"><table${className === "" ? "" : ` class="${className}"`}><thead><tr>${table.headers
    .map((header) => `<th scope="col">${escapeHtml(header)}</th>`)
    .join("")}</tr></thead><tbody>${table.cells
    .map((row) => `<tr>${row.map((cell, column) => `<td${column < table.textColumns ? "" : ' class="number"'}>${escapeHtml(cell)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table></div>`

const style = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5rem auto;max-width:1400px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{font-size:1.05rem}
.table-wrap{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ddd;padding:.2rem .45rem;white-space:nowrap}th{background:#f5f5f5;text-align:left}
td.number{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}svg{max-width:100%;height:auto}
figcaption,.meta{font-size:.85rem;color:#555}dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;font-size:.85rem}
dl.provenance dt{font-weight:600}pre{font-size:.75rem;background:#f8f8f8;padding:.5rem;overflow-x:auto}
.tabs>input{position:absolute;opacity:0}.tabs>label{display:inline-block;padding:.3rem .7rem;border:1px solid #ccc;border-bottom:none;margin-right:.2rem;cursor:pointer;font-size:.85rem;background:#f5f5f5}
.tabs>input:checked+label{background:#fff;font-weight:600}.tabs>.panel{display:none;border-top:1px solid #ccc;padding-top:.5rem}`

// Pure-CSS tabs: one radio per cost axis; the checked one shows its panel.
const tabs = (group: string, panels: ReadonlyArray<{ readonly axis: CostAxes.Axis; readonly html: string }>, first: string) => {
  const radios = panels
    .map(
      (panel) =>
        `<input type="radio" name="${group}" id="${group}-${panel.axis.name}"${panel.axis.name === first ? " checked" : ""}><label for="${group}-${panel.axis.name}">${escapeHtml(panel.axis.title)}</label>`
    )
    .join("")
  const rules = panels.map((panel) => `#${group}-${panel.axis.name}:checked~.panel-${panel.axis.name}{display:block}`).join("")
  return `<style>${rules}</style><div class="tabs">${radios}${panels
    .map((panel) => `<div class="panel panel-${panel.axis.name}" data-axis="${panel.axis.name}">${panel.html}</div>`)
    .join("")}</div>`
}

// Each strategy configuration's options (defaults filled in), as the records keep them.
const optionsTable = (records: ReadonlyArray<ResultRecord>): Table.Table => {
  const seen = new Map<string, ReadonlyArray<string>>()
  for (const record of records) {
    const { seed: _seed, ...options } = record.options
    const key = JSON.stringify([record.strategy, record.configuration, record.budget])
    if (!seen.has(key)) seen.set(key, [record.strategy, record.strategyName, record.configuration === "" ? "—" : record.configuration, record.budget, JSON.stringify(options)])
  }
  return { headers: ["strategy", "kind", "configuration", "budget", "options (defaults filled in; seed per run)"], textColumns: 5, cells: [...seen.values()] }
}

const metadataHtml = (records: ReadonlyArray<ResultRecord>, metadata: Metadata | undefined) => {
  const provenance = metadata?.provenance
  const backends = order(records.map((record) => record.backend).filter((name) => name !== ""))
  const items: Array<readonly [string, string]> = [
    ["runs", String(records.length)],
    ["backend", backends.length === 0 ? "—" : backends.join(", ")],
    ["seeds", order(records.map((record) => String(record.seed))).join(", ")],
    ["commit", provenance === undefined ? "not recorded (this report was rendered from a results file alone)" : (provenance.commit ?? "unknown (not a git checkout)")],
    ...Object.entries(provenance?.versions ?? {}).map(([name, version]) => [`version of ${name}`, version] as const),
    ...(metadata?.recipeFile === undefined ? [] : [["recipe file", metadata.recipeFile] as const])
  ]
  return `<section id="metadata"><h2>Run</h2><dl class="provenance">${items
    .map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd data-field="${escapeHtml(term)}">${escapeHtml(value)}</dd>`)
    .join("")}</dl>
<h3>Strategy options</h3>${htmlTable(optionsTable(records))}
${metadata?.recipe === undefined ? "" : `<details><summary>Recipe, as run (defaults filled in)</summary><pre id="recipe">${escapeHtml(JSON.stringify(metadata.recipe, null, 2))}</pre></details>`}</section>`
}

/**
 * Renders a run's records, the latest of each key (a results file read whole holds a retried run's error before
 * it, or the same lines twice when files were joined: each counts once): outcome and compute tables (terminal text, Markdown, HTML), and —
 * for every cost axis the run measured — the accuracy-vs-compute frontiers (log axis, interval bands, per difficulty)
 * and the best strategy at each compute level with paired, Holm-corrected comparisons; the HTML embeds the run's
 * provenance (recipe, options with defaults, backend, versions, commit).
 *
 * @example
 * const report = yield* Report.render(outcome.records, { title: "MATH-500", metadata: { recipe, provenance: Provenance.of() } })
 * yield* Report.write(report, { html: "report.html", markdown: "report.md" })
 */
export const render = (all: ReadonlyArray<ResultRecord>, options: Options = {}): Effect.Effect<Rendered> =>
  Effect.gen(function* () {
    const records = ResultRecords.latest(all)
    const title = options.title ?? "stepwise benchmark"
    const rows = Table.rows(records)
    const outcomes = Table.outcomes(rows)
    const compute = Table.compute(rows)
    const difficulty = Table.byDifficulty(records)
    const axes = CostAxes.available(records)
    const first = axes.find((axis) => axis.name === (options.axis ?? "all-tokens"))?.name ?? axes[0]?.name ?? ""
    const matched: Array<Matched> = []
    for (const axis of axes)
      matched.push({
        axis,
        levels: yield* Frontier.matched(records, axis, {
          seed: options.seed ?? 0,
          ...(options.resamples === undefined ? {} : { resamples: options.resamples }),
          ...(options.levels === undefined ? {} : { levels: options.levels })
        })
      })
    const sections: Array<string> = []
    for (const [index, dataset] of order(records.map((record) => record.dataset)).entries()) {
      const ofDataset = records.filter((record) => record.dataset === dataset)
      const panels: Array<{ readonly axis: CostAxes.Axis; readonly html: string }> = []
      for (const axis of axes) {
        const figure = yield* Plot.toSvg(Plot.frontierSpec(`${dataset}: accuracy vs ${axis.title}`, axis, Plot.points(ofDataset, axis)))
        const byDifficulty = Plot.difficultyPoints(ofDataset, axis)
        const perDifficulty =
          byDifficulty.length === 0 ? "" : yield* Plot.toSvg(Plot.difficultySpec(`${dataset}: frontiers per difficulty`, axis, byDifficulty))
        const levels = matched.find((each) => each.axis === axis)?.levels.filter((level) => level.dataset === dataset) ?? []
        const leftOut = [incompleteNote(Frontier.incomplete(ofDataset, axis)), ofDataset.some((record) => record.correct) ? "" : nothingRightNote]
          .filter((note) => note !== "")
          .join(" ")
        panels.push({
          axis,
          html: `<figure class="plot" data-plot="frontier">${figure}<figcaption>Accuracy against mean ${escapeHtml(axis.title)} actually spent (log scale); lines join each strategy's Pareto frontier over its configurations, hollow points are dominated configurations, bands are 95% Wilson intervals (with several seeds, at the effective number of runs).</figcaption></figure>
${perDifficulty === "" ? "" : `<figure class="plot" data-plot="difficulty">${perDifficulty}<figcaption>The same, per difficulty level.</figcaption></figure>`}
<h3>Best strategy at each budget (${escapeHtml(axis.title)})</h3>
<p class="meta">At each level (a mean spend per problem, not a recipe budget), each strategy's most accurate configuration that spent no more on average; Δ is its accuracy minus the best's on the same problems and seeds (seeded bootstrap 95% interval over problems), McNemar's exact p (with several seeds, a sign-flip test over problems, a problem's seeds averaged) and its Holm correction within the level. The interval describes Δ and the test decides significance: near 0 they can disagree, and then the p-value is the one to trust.</p>
${htmlTable(matchedTable({ axis, levels }), "matched")}${leftOut === "" ? "" : `\n<p class="meta incomplete">${escapeHtml(leftOut)}</p>`}`
        })
      }
      sections.push(`<section class="dataset"><h2>${escapeHtml(dataset)}</h2>${tabs(`axes-${index}`, panels, first)}</section>`)
    }
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${style}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<h2>Outcomes</h2>
<p class="meta">Accuracy with its 95% Wilson interval over every problem and seed (with several seeds, at the effective number of runs: the runs of one problem are not independent), its range across seeds, and how every run ended.</p>
${htmlTable(outcomes, "outcomes")}
<h2>Compute per problem</h2>
<p class="meta">Means per problem as the accountant metered them: policy output and all policy tokens (the share of policy input tokens a prefix cache served), verifier calls and tokens, Kinetics eFLOPs (policy and verifier), dollars, wall time; E³ = accuracy² / mean tokens (policy and verifier).</p>
${htmlTable(compute, "compute")}
${difficulty.cells.length === 0 ? "" : `<h2>Accuracy per difficulty</h2>\n${htmlTable(difficulty, "difficulty")}`}
${sections.join("\n")}
${metadataHtml(records, options.metadata)}
</body></html>
`
    const firstAxis = matched.find((each) => each.axis.name === first)
    const unranked = order(records.map((record) => record.dataset)).filter((dataset) => !records.some((record) => record.dataset === dataset && record.correct))
    const leftOut = [
      firstAxis === undefined ? "" : incompleteNote(Frontier.incomplete(records, firstAxis.axis)),
      unranked.length === 0 ? "" : `${unranked.join(", ")}: ${nothingRightNote}`
    ]
      .filter((note) => note !== "")
      .join(" ")
    const provenance = options.metadata?.provenance
    const markdown = [
      `# ${title}\n`,
      `${records.length} runs; commit ${provenance === undefined ? "not recorded" : (provenance.commit ?? "unknown")}.\n`,
      `## Outcomes\n\n${Table.markdown(outcomes)}`,
      `## Compute per problem\n\n${Table.markdown(compute)}`,
      difficulty.cells.length === 0 ? "" : `## Accuracy per difficulty\n\n${Table.markdown(difficulty)}`,
      firstAxis === undefined ? "" : `## Best strategy at each budget (${firstAxis.axis.title})\n\n${matchedMeaning}\n\n${Table.markdown(matchedTable(firstAxis))}`,
      leftOut === "" ? "" : `${leftOut}\n`
    ]
      .filter((part) => part !== "")
      .join("\n")
    const terminal = [
      Table.terminal(outcomes),
      Table.terminal(compute),
      firstAxis === undefined ? "" : `best strategy at each budget (${firstAxis.axis.title}):\n${matchedMeaning}\n${Table.terminal(matchedTable(firstAxis))}`,
      leftOut
    ]
      .filter((part) => part !== "")
      .join("\n")
    return { rows, matched, html, markdown, terminal }
  })

/**
 * Writes a rendered report's HTML and/or Markdown files (creating folders). Each file is written beside its place
 * and renamed over it, so an interrupted write never leaves a partial report.
 */
export const write = (report: Rendered, files: { readonly html?: string; readonly markdown?: string }): Effect.Effect<void, ReportError> =>
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
              const partial = `${file}.${process.pid}.partial`
              await writeFile(partial, content)
              await rename(partial, file)
            },
            catch: (cause) => new ReportError({ file, detail: `cannot be written: ${String(cause)}` })
          }),
    { discard: true }
  )
