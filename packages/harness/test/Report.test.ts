import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { parse } from "node-html-parser"
import type { HTMLElement } from "node-html-parser"
import { describe, expect, it } from "vitest"
import { Report, Table } from "../src/index.js"
import { record } from "./fixtures/records.js"

// Two data sets; "math" has difficulties and two seeds, "plain" has none. Two strategies: best-of-n swept over n,
// beam at two budgets; one best-of-n run ended in an error and one beam run without an answer.
const records = [
  ...[0, 1, 2, 3].flatMap((index) =>
    [0, 1].flatMap((seed) => [
      record({ dataset: "math", problemId: `m${index}`, key: `a${index}${seed}`, seed, strategy: "best-of-n", configuration: "n=1", correct: index < 1, difficulty: 1 + (index % 2), inputTokens: 100, outputTokens: 400, verifierCalls: 1, measures: { eflops: 1e12 } }),
      record({ dataset: "math", problemId: `m${index}`, key: `b${index}${seed}`, seed, strategy: "best-of-n", configuration: "n=4", correct: index < 2 + seed, difficulty: 1 + (index % 2), inputTokens: 300, cachedInputTokens: 150, outputTokens: 1500, verifierCalls: 4, measures: { eflops: 4e12 }, ...(index === 3 && seed === 0 ? { error: "Unavailable: down", correct: false, answer: null } : {}) }),
      record({ dataset: "math", problemId: `m${index}`, key: `c${index}${seed}`, seed, strategy: "beam", budget: "1k", correct: index < 3, difficulty: 1 + (index % 2), inputTokens: 200, outputTokens: 800, verifierCalls: 20, measures: { eflops: 3e12 }, ...(index === 3 ? { answer: null, noAnswer: "budget-exhausted" } : {}) }),
      record({ dataset: "math", problemId: `m${index}`, key: `d${index}${seed}`, seed, strategy: "beam", budget: "4k", correct: true, difficulty: 1 + (index % 2), inputTokens: 600, outputTokens: 3000, verifierCalls: 80, measures: { eflops: 9e12 } })
    ])
  ),
  record({ dataset: "plain", problemId: "p0", strategy: "best-of-n", configuration: "n=1", correct: false, answer: "2", outputTokens: 10, measures: { eflops: 1e10 } }),
  record({ dataset: "plain", problemId: "p1", strategy: "best-of-n", configuration: "n=1", correct: true, outputTokens: 20, measures: { eflops: 2e10 } })
]

const provenance = { commit: "0123456789abcdef", versions: { "@stepwise/harness": "0.1.0", node: "v20.20.2" } }
const recipe = { name: "toy", strategies: [{ kind: "best-of-n", sweep: [1, 4] }] }

const render = (resamples = 100) => Effect.runPromise(Report.render(records, { title: "Toy <run>", seed: 1, resamples, levels: 3, metadata: { recipe, provenance } }))

// The header cells and body rows of the HTML table with a class.
const tableOf = (document: HTMLElement, className: string) => {
  const table = document.querySelector(`table.${className}`)
  if (table === null) throw new Error(`no table.${className}`)
  const headers = table.querySelectorAll("thead th").map((cell) => cell.text)
  const rows = table.querySelectorAll("tbody tr").map((row) => row.querySelectorAll("td").map((cell) => cell.text))
  return { headers, rows, cell: (row: ReadonlyArray<string>, header: string) => row[headers.indexOf(header)] }
}

describe("Report", () => {
  it("shows every outcome of every cell: correct, wrong, no answer and error, in the HTML, Markdown and terminal", async () => {
    const report = await render()
    const outcomes = tableOf(parse(report.html), "outcomes")
    expect(outcomes.headers).toEqual(expect.arrayContaining(["correct", "wrong", "no answer", "error", "accuracy", "95% CI", "seeds"]))
    const swept = outcomes.rows.find((row) => outcomes.cell(row, "strategy") === "best-of-n" && outcomes.cell(row, "configuration") === "n=4")!
    // n=4: seed 0 right on m0, m1 (m3 errored); seed 1 right on m0, m1, m2.
    expect([outcomes.cell(swept, "correct"), outcomes.cell(swept, "wrong"), outcomes.cell(swept, "no answer"), outcomes.cell(swept, "error")]).toEqual(["5", "2", "0", "1"])
    expect(outcomes.cell(swept, "seeds")).toBe("0.500–0.750")
    const beam = outcomes.rows.find((row) => outcomes.cell(row, "strategy") === "beam" && outcomes.cell(row, "budget") === "1k")!
    expect(outcomes.cell(beam, "no answer")).toBe("2")
    // The same numbers in the other renderings.
    const markdownRow = report.markdown.split("\n").find((line) => line.startsWith("| math | best-of-n | n=4"))
    expect(markdownRow?.split("|").map((cell) => cell.trim()).slice(9, 13)).toEqual(["5", "2", "0", "1"])
    expect(report.terminal).toMatch(/no answer\s+error/)
    expect(Table.outcomes(report.rows).cells).toEqual(outcomes.rows)
  })

  it("counts each key once, its latest record: a results file joined with itself, or a retried error followed by its success", async () => {
    const once = await render()
    const twice = await Effect.runPromise(Report.render([...records, ...records], { title: "Toy <run>", seed: 1, resamples: 100, levels: 3, metadata: { recipe, provenance } }))
    expect(twice.markdown).toBe(once.markdown)
    const errored = records.find((each) => each.error !== null)!
    const retried = await Effect.runPromise(Report.render([...records, { ...errored, error: null, correct: true, answer: "42" }], { seed: 1, resamples: 100, levels: 3 }))
    expect(retried.markdown.split("\n").find((line) => line.startsWith("| math | best-of-n | n=4"))?.split("|").map((cell) => cell.trim()).slice(9, 13)).toEqual(["6", "2", "0", "0"])
  })

  it("embeds the run's provenance: commit, versions, the recipe and every strategy's options", async () => {
    const document = parse((await render()).html)
    const metadata = document.querySelector("#metadata")
    expect(metadata).not.toBeNull()
    const field = (name: string) => metadata?.querySelector(`dd[data-field="${name}"]`)?.text
    expect(field("commit")).toBe(provenance.commit)
    expect(field("version of node")).toBe("v20.20.2")
    expect(field("backend")).toBe("test")
    expect(JSON.parse(metadata?.querySelector("#recipe")?.text ?? "null")).toEqual(recipe)
    const options = metadata?.querySelectorAll("table tbody tr") ?? []
    expect(options.length).toBe(4)
  })

  it("plots accuracy against compute on log axes, y zoomed to the data, one tab per measured cost axis", async () => {
    const document = parse((await render()).html)
    const math = document.querySelectorAll("section.dataset")[0]!
    const panels = math.querySelectorAll(".panel").map((panel) => panel.getAttribute("data-axis"))
    // Dollars were not measured (no prices) and nothing spent verifier tokens or wall time: no tabs for those.
    expect(panels).toEqual(["output-tokens", "policy-tokens", "uncached-policy-tokens", "verifier-calls", "all-tokens", "eflops"])
    for (const panel of math.querySelectorAll(".panel")) {
      const svg = panel.querySelector('figure[data-plot="frontier"] svg')
      expect(svg).not.toBeNull()
      // The axes as vega describes them in the SVG (its own accessibility labels).
      const axes = svg!.querySelectorAll('[aria-roledescription="axis"]').map((axis) => axis.getAttribute("aria-label") ?? "")
      const xAxis = axes.find((label) => label.startsWith("X-axis"))
      const yAxis = axes.find((label) => label.startsWith("Y-axis"))
      expect(xAxis).toMatch(/for a log scale/)
      // The y range covers the data's intervals.
      const range = /values from ([\d.]+) to ([\d.]+)/.exec(yAxis ?? "")
      expect(range).not.toBeNull()
      expect(Number(range![1])).toBeLessThanOrEqual(0.07)
      expect(Number(range![2])).toBeGreaterThanOrEqual(0.97)
      // The interval bands are areas with width: a frontier of several points spans x (no band is a zero-width sliver).
      const bands = svg!.querySelectorAll("g.mark-area path").map((path) => path.getAttribute("d") ?? "")
      expect(bands.length).toBeGreaterThan(0)
      const widths = bands.map((d) => {
        const xs = [...d.matchAll(/[ML]([-\d.]+),/g)].map((match) => Number(match[1]))
        return Math.max(...xs) - Math.min(...xs)
      })
      expect(Math.max(...widths)).toBeGreaterThan(10)
    }
    expect(math.querySelectorAll('figure[data-plot="difficulty"] svg').length).toBe(panels.length)
    // Nothing external.
    expect(document.querySelectorAll("script, link, img").length).toBe(0)
  })

  it("zooms the y axis to the data instead of spanning 0 to 1", async () => {
    // 40 problems, accuracies 0.45 and 0.55: the intervals stay well inside [0.25, 0.75].
    const narrow = [0, 1].flatMap((variant) =>
      Array.from({ length: 40 }, (_, index) =>
        record({ problemId: `q${index}`, key: `${variant}-${index}`, configuration: `n=${variant + 1}`, outputTokens: 100 * (variant + 1), correct: index < 18 + 4 * variant })
      )
    )
    const report = await Effect.runPromise(Report.render(narrow, { resamples: 50 }))
    const panel = parse(report.html).querySelector('.panel[data-axis="output-tokens"]')!
    const yAxis = panel.querySelectorAll('[aria-roledescription="axis"]').map((axis) => axis.getAttribute("aria-label") ?? "").find((label) => label.startsWith("Y-axis"))
    const range = /values from ([\d.]+) to ([\d.]+)/.exec(yAxis ?? "")
    expect(Number(range![1])).toBeGreaterThan(0.2)
    expect(Number(range![2])).toBeLessThan(0.8)
  })

  it("ranks strategies at each compute level with paired, Holm-corrected comparisons", async () => {
    const report = await render(200)
    const eflops = report.matched.find((each) => each.axis.name === "eflops")!
    const math = eflops.levels.filter((level) => level.dataset === "math")
    expect(math.map((level) => level.level)).toEqual([1e12, 3e12, 9e12])
    // At 3e12: best-of-n's best point within it is n=1 (the n=4 point costs 4e12); beam at 1k spends 3e12.
    expect(math[1]!.entries.map((entry) => [entry.strategy, entry.point.configuration])).toEqual([
      ["beam", "1k"],
      ["best-of-n", "n=1"]
    ])
    const versus = math[1]!.entries[1]!
    expect(versus.comparison?.pairs).toBe(8)
    expect(versus.comparison?.difference.estimate).toBeCloseTo(0.25 - 0.75)
    const table = tableOf(parse(report.html), "matched")
    expect(table.headers).toEqual(expect.arrayContaining(["Δ vs best", "Holm p"]))
    // Several recipe budgets: each point says which it ran under; a strategy as given says so (not its budget as a size).
    const configurations = Report.matchedTable(eflops).cells.map((row) => row[4])
    expect(configurations).toContain("as given, budget 1k")
    expect(configurations).toContain("n=1, budget small")
    expect(report.markdown).not.toContain("Not compared")
  })

  it("ranks nothing where no run answered right, and says why, rather than naming a best by cost alone", async () => {
    const wrong = records.filter((each) => each.dataset === "plain").map((each) => ({ ...each, correct: false, answer: null }))
    const report = await Effect.runPromise(Report.render(wrong, { seed: 1, resamples: 50, levels: 3 }))
    expect(report.matched.flatMap((each) => each.levels)).toEqual([])
    for (const text of [report.markdown, report.terminal, report.html]) expect(text).toContain("No run answered correctly, so no strategy is ranked")
  })

  it("gives the same figures whatever order a cell's records come in (a results file's lines follow the order runs finished)", async () => {
    const forward = await Effect.runPromise(Report.render(records, { seed: 1, resamples: 200, levels: 3 }))
    // Each cell's records reversed, the cells in the order they first appear.
    const cellOf = (record: (typeof records)[number]) => JSON.stringify([record.dataset, record.strategy, record.configuration, record.budget])
    const cells = [...new Set(records.map(cellOf))]
    const shuffled = cells.flatMap((cell) => records.filter((record) => cellOf(record) === cell).reverse())
    const backward = await Effect.runPromise(Report.render(shuffled, { seed: 1, resamples: 200, levels: 3 }))
    const figures = (report: Report.Rendered) => report.matched.map((each) => each.levels.map((level) => level.entries.map((entry) => [entry.strategy, entry.comparison?.difference, entry.holmP])))
    expect(figures(backward)).toEqual(figures(forward))
  })

  it("says which configurations it left out of the ranking for having run fewer problem runs (an interrupted cell)", async () => {
    const partial = record({ dataset: "math", problemId: "m0", key: "z", seed: 0, strategy: "greedy", configuration: "n=1", outputTokens: 1, measures: { eflops: 1 } })
    const report = await Effect.runPromise(Report.render([...records, partial], { seed: 1, resamples: 50, levels: 3 }))
    for (const text of [report.markdown, report.terminal, report.html]) expect(text).toContain("greedy [n=1] (1 of 8)")
    // Rendered from records alone (the report command): the commit is not claimed unknown for want of a checkout.
    expect(report.html).toContain("not recorded (this report was rendered from a results file alone)")
    expect(report.markdown).toContain("commit not recorded")
    expect(report.matched.flatMap((each) => each.levels.flatMap((level) => level.entries.map((entry) => entry.strategy)))).not.toContain("greedy")
  })

  it("escapes the title and writes the HTML and Markdown files", async () => {
    const report = await render()
    expect(parse(report.html).querySelector("title")?.text).toBe("Toy <run>")
    const folder = mkdtempSync(join(tmpdir(), "stepwise-report-"))
    await Effect.runPromise(Report.write(report, { html: join(folder, "out", "report.html"), markdown: join(folder, "report.md") }))
    expect(readFileSync(join(folder, "out", "report.html"), "utf8")).toBe(report.html)
    expect(readFileSync(join(folder, "report.md"), "utf8")).toBe(report.markdown)
  })

  it("breaks accuracy down by difficulty", () => {
    const table = Table.byDifficulty(records)
    expect(table.headers).toEqual(["dataset", "strategy", "configuration", "budget", "level 1", "level 2"])
    // best-of-n n=1: m0 (level 1) right on both seeds, m2 (level 1) wrong, m1 and m3 (level 2) wrong.
    expect(table.cells[0]).toEqual(["math", "best-of-n", "n=1", "small", "0.500 (4)", "0.000 (4)"])
    expect(Table.byDifficulty(records.slice(-2)).cells).toEqual([])
  })
})
