/**
 * The accuracy-vs-compute table of a benchmark results file, as Markdown: one row per strategy configuration with
 * its accuracy and 95% Wilson interval, the mean all tokens (policy and verifier), output tokens, uncached policy
 * tokens and verifier calls per problem, E³, and whether it is on the frontier of all strategies (●) or only of its
 * own (○) on the all-tokens axis. Rows are grouped by strategy, in the order of the file.
 *
 * Run: `npx tsx bench/frontier-table.ts results/confidence-methods.jsonl [axis]` (axis: a `CostAxes` name, default
 * `all-tokens`).
 */
import { Effect } from "effect"
import { CostAxes, Frontier, Metrics, ResultsFile, Statistics } from "@stepwise/harness"

const [file, axisName = "all-tokens"] = process.argv.slice(2)
if (file === undefined) {
  console.error("usage: npx tsx bench/frontier-table.ts RESULTS.jsonl [axis]")
  process.exit(2)
}

const main = Effect.gen(function* () {
  const axis = CostAxes.byName(axisName)
  if (axis === undefined) return yield* Effect.fail(new Error(`no cost axis "${axisName}" (${CostAxes.axes.map((each) => each.name).join(", ")})`))
  const { records } = yield* ResultsFile.read(file)
  const points = Frontier.points(records, axis)
  const overall = new Set(Frontier.pareto(points))
  const own = new Set(
    [...new Set(points.map((point) => point.strategy))].flatMap((strategy) => Frontier.pareto(points.filter((point) => point.strategy === strategy)))
  )
  const fixed = (value: number, digits = 0) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
  const lines = [
    `| strategy | configuration | accuracy | 95% CI | ${axis.name} | output tokens | uncached policy tokens | verifier calls | E³ | frontier |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |"
  ]
  for (const point of points) {
    const summary = Metrics.summarize(point.records)
    const uncached = Statistics.mean(point.records.map((record) => record.inputTokens - record.cachedInputTokens + record.outputTokens))
    lines.push(
      `| ${point.strategy} | ${point.configuration} | ${fixed(point.accuracy.estimate, 3)} | [${fixed(point.accuracy.lower, 3)}, ${fixed(point.accuracy.upper, 3)}] | ` +
        `${fixed(point.cost)} | ${fixed(summary.outputTokens.mean)} | ${fixed(uncached)} | ${fixed(Statistics.mean(point.records.map((record) => record.verifierCalls)), 1)} | ${summary.e3.toExponential(2)} | ${overall.has(point) ? "●" : own.has(point) ? "○" : ""} |`
    )
  }
  console.log(`${records.length} records, ${points.length} configurations; frontier on ${axis.title}: ● of all strategies, ○ of the strategy's own sweep.\n`)
  console.log(lines.join("\n"))
})

Effect.runPromise(main).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
