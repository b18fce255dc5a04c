/**
 * The table of the search README's methods benchmark from a results file: per configuration, accuracy with its
 * 95% Wilson interval, the mean all tokens (policy input and output, and verifier) and verifier calls per problem,
 * and whether it is on the accuracy-vs-all-tokens Pareto frontier of every configuration in the file.
 *
 *   npx tsx bench/methods/table.ts results/methods-test.jsonl
 */
import { Effect } from "effect"
import { CostAxes, Frontier, ResultsFile } from "@stepwise/harness"

const results = process.argv[2]
if (results === undefined) {
  console.error("usage: npx tsx bench/methods/table.ts <results.jsonl>")
  process.exit(2)
}
const axis = CostAxes.byName("all-tokens")
if (axis === undefined) throw new Error("no all-tokens axis")
const records = (await Effect.runPromise(ResultsFile.read(results))).records
const points = Frontier.points(records, axis)
const frontier = new Set(Frontier.pareto(points))
const mean = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0) / Math.max(1, values.length)
const rows = [...points].sort((a, b) => a.strategy.localeCompare(b.strategy) || a.cost - b.cost)
console.log("| strategy | configuration | accuracy | 95% CI | all tokens | verifier calls | frontier |")
console.log("| --- | --- | ---: | ---: | ---: | ---: | :---: |")
for (const point of rows)
  console.log(
    `| ${point.strategy} | ${point.configuration} | ${point.accuracy.estimate.toFixed(3)} | [${point.accuracy.lower.toFixed(3)}, ${point.accuracy.upper.toFixed(3)}] | ${Math.round(point.cost).toLocaleString("en-US")} | ${mean(point.records.map((record) => record.verifierCalls)).toFixed(1)} | ${frontier.has(point) ? "yes" : ""} |`
  )
