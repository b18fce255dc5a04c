import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Report, Table } from "../src/index.js"
import { record } from "./fixtures/records.js"

// Two data sets; "math" has difficulties, "plain" has none. Two strategies × two budgets on "math".
const records = [
  ...[0, 1, 2, 3].flatMap((index) => [
    record({ dataset: "math", problemId: `m${index}`, strategy: "best-of-n", budget: "1k", correct: index < 1, difficulty: 1 + (index % 2), inputTokens: 100, outputTokens: 400, verifierCalls: 4 }),
    record({ dataset: "math", problemId: `m${index}`, strategy: "best-of-n", budget: "4k", correct: index < 2, difficulty: 1 + (index % 2), inputTokens: 300, outputTokens: 1500, verifierCalls: 16 }),
    record({ dataset: "math", problemId: `m${index}`, strategy: "beam", budget: "1k", correct: index < 3, difficulty: 1 + (index % 2), inputTokens: 200, outputTokens: 800, verifierCalls: 20 }),
    record({ dataset: "math", problemId: `m${index}`, strategy: "beam", budget: "4k", correct: true, difficulty: 1 + (index % 2), inputTokens: 600, outputTokens: 3000, verifierCalls: 80 })
  ]),
  record({ dataset: "plain", problemId: "p0", strategy: "best-of-n", budget: "1k", correct: false, outputTokens: 10 }),
  record({ dataset: "plain", problemId: "p1", strategy: "best-of-n", budget: "1k", correct: true, outputTokens: 20 })
]

describe("Report", () => {
  it("renders one table row per cell, matching the results", async () => {
    const report = await Effect.runPromise(Report.render(records, { title: "Toy <run>", seed: 1, resamples: 200 }))
    expect(report.rows.map((row) => [row.dataset, row.strategy, row.budget, row.summary.correct, row.summary.problems])).toEqual([
      ["math", "best-of-n", "1k", 1, 4],
      ["math", "best-of-n", "4k", 2, 4],
      ["math", "beam", "1k", 3, 4],
      ["math", "beam", "4k", 4, 4],
      ["plain", "best-of-n", "1k", 1, 2]
    ])
    const markdownRows = report.markdown.split("\n").filter((line) => line.startsWith("| math") || line.startsWith("| plain"))
    expect(markdownRows.slice(0, 5)).toEqual(report.rows.map((row) => `| ${Table.cells(row).join(" | ")} |`))
    expect(markdownRows[0]).toContain("| 0.250 | [0.046, 0.699] | 100 / 100 | 400 / 400 | 4.0 |")
    const terminalLines = report.terminal.trimEnd().split("\n")
    expect(terminalLines).toHaveLength(2 + 5)
    expect(terminalLines[4]).toMatch(/^math\s+beam\s+1k\s+4\s+0\.750/)
    // The HTML holds the same rows.
    const resultsTable = report.html.split("<h2>Paired comparisons</h2>")[0]!
    const htmlRows = resultsTable.match(/<tr><td>(math|plain)<\/td>.*?<\/tr>/g) ?? []
    expect(htmlRows).toHaveLength(5)
    expect(htmlRows[3]).toContain("<td class=\"number\">1.000</td>")
  })

  it("puts an inline SVG in the HTML for every plot, and nothing external", async () => {
    const report = await Effect.runPromise(Report.render(records, { resamples: 100 }))
    const plots = report.html.match(/<figure class="plot" data-plot="([a-z-]+)"><svg/g) ?? []
    // math: tokens, verifier calls, difficulty; plain: tokens, verifier calls (no difficulties).
    expect(plots.map((plot) => /data-plot="([a-z-]+)"/.exec(plot)?.[1])).toEqual(["tokens", "verifier-calls", "difficulty", "tokens", "verifier-calls"])
    expect((report.html.match(/<svg/g) ?? []).length).toBe(5)
    expect(report.html).not.toMatch(/<script|<link|src="http/)
    expect(report.html).toContain("stepwise benchmark")
    // The tokens plot of "math" draws both strategies.
    const tokensPlot = report.html.split('data-plot="tokens"')[1]!.split("</figure>")[0]!
    expect(tokensPlot).toContain("best-of-n")
    expect(tokensPlot).toContain("beam")
  })

  it("escapes the title and compares each strategy with the first on the same problems", async () => {
    const report = await Effect.runPromise(Report.render(records, { title: "Toy <run>", seed: 1, resamples: 200 }))
    expect(report.html).toContain("<title>Toy &lt;run&gt;</title>")
    expect(report.comparisons.map((row) => [row.dataset, row.budget, row.strategy, row.baseline, row.comparison.onlyFirst, row.comparison.onlySecond])).toEqual([
      ["math", "1k", "beam", "best-of-n", 2, 0],
      ["math", "4k", "beam", "best-of-n", 2, 0]
    ])
    expect(report.comparisons[0]?.comparison.mcnemar.exactP).toBe(0.5)
    expect(report.markdown).toContain("## Paired comparisons")
    expect(report.markdown).toContain("| math | 1k | beam | best-of-n | 4 | +0.500 |")
  })

  it("breaks accuracy down by difficulty in a table", async () => {
    const report = await Effect.runPromise(Report.render(records, { resamples: 50 }))
    const table = Table.byDifficulty(records)
    expect(table.headers).toEqual(["dataset", "strategy", "budget", "level 1", "level 2"])
    // best-of-n at 1k: m0 (level 1) right, m2 (level 1) wrong, m1 and m3 (level 2) wrong; "plain" has no levels.
    expect(table.rows[0]).toEqual(["math", "best-of-n", "1k", "0.500 (2)", "0.000 (2)"])
    expect(table.rows[4]).toEqual(["plain", "best-of-n", "1k", "—", "—"])
    expect(report.markdown).toContain("## Accuracy per difficulty")
    expect(report.markdown).toContain("| math | beam | 1k | 1.000 (2) | 0.500 (2) |")
    expect(report.html).toContain("<h2>Accuracy per difficulty</h2>")
    expect(Table.byDifficulty(records.slice(-2)).rows).toEqual([])
  })

  it("writes the HTML and Markdown files", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stepwise-report-"))
    const report = await Effect.runPromise(Report.render(records.slice(0, 4), { resamples: 50 }))
    await Effect.runPromise(Report.write(report, { html: join(folder, "out", "report.html"), markdown: join(folder, "report.md") }))
    expect(readFileSync(join(folder, "out", "report.html"), "utf8")).toBe(report.html)
    expect(readFileSync(join(folder, "report.md"), "utf8")).toBe(report.markdown)
  })
})
