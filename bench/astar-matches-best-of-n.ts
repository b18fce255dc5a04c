/**
 * Does A*-decoding reach best-of-N's accuracy for a fraction of its compute (arXiv 2505.13672's headline)? On the
 * calibrated simulator preset, with common random numbers, for three world seeds (three "models"): best-of-64
 * (PRM-weighted vote) against a grid of A* configurations, every one on the same problems. For each difficulty
 * level (and all levels pooled), the cheapest A* configuration whose accuracy reaches best-of-64's, and its cost as
 * a ratio to best-of-64's on every cost axis, with the paired accuracy difference and its 95% bootstrap interval.
 *
 *   npx tsx bench/astar-matches-best-of-n.ts [--problems 300] [--worlds 7,8,9] [--axis all-tokens] [--out results/astar]
 *
 * Results files go to `--out` (one per world seed; a rerun resumes them); the table is printed as Markdown.
 */
import { Effect } from "effect"
import { CostAxes, Frontier, Metrics, Recipe, ResultRecord, Runner } from "@stepwise/harness"

const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

const problems = Number(argument("problems", "300"))
const worlds = argument("worlds", "7,8,9").split(",").map(Number)
const chooseBy = CostAxes.byName(argument("axis", "all-tokens"))
const out = argument("out", "results/astar")
if (chooseBy === undefined) throw new Error(`no cost axis ${argument("axis", "")} (one of ${CostAxes.axes.map((axis) => axis.name).join(", ")})`)

const recipeFor = (world: number): Recipe.RecipeInput => ({
  name: `astar-vs-best-of-64-world-${world}`,
  datasets: [{ kind: "simulator", name: "sim-calibrated", preset: "calibrated", count: problems, seed: 1 }],
  strategies: [
    { kind: "best-of-n", label: "best-of-64", options: { n: 64, selection: "weighted" } },
    { kind: "a-star", label: "a-star", options: { selection: "first" }, sweep: { expansions: [2, 3, 4, 6, 8] } },
    { kind: "a-star", label: "a-star-vote", options: { selection: "weighted" }, sweep: { expansions: [2, 3, 4], goals: [2, 4, 8] } }
  ],
  budgets: [{ label: "cap", limits: { totalTokens: 400_000 } }],
  seeds: [0],
  backend: { kind: "simulator", options: { preset: "calibrated", seed: world, prefixCache: {} } },
  concurrency: 8
})

const program = Effect.gen(function* () {
  const records: Array<ResultRecord.ResultRecord> = []
  for (const world of worlds) {
    const recipe = yield* Recipe.parse(recipeFor(world))
    const outcome = yield* Runner.run(recipe, { results: `${out}/world-${world}.jsonl`, progress: "lines" })
    // Each world is its own model: its runs stay apart from the other worlds' (pairing is per world and problem).
    records.push(...outcome.records.map((record) => ({ ...record, problemId: `${world}/${record.problemId}` })))
  }
  const axes = CostAxes.available(records)
  const levels = [...new Set(records.flatMap((record) => (record.difficulty === null ? [] : [record.difficulty])))].sort((a, b) => a - b)
  const rows: Array<string> = []
  for (const level of [undefined, ...levels]) {
    const atLevel = records.filter((record) => level === undefined || record.difficulty === level)
    const points = Frontier.points(atLevel, chooseBy)
    const baseline = points.find((point) => point.strategy === "best-of-64")
    if (baseline === undefined) continue
    const reaching = points
      .filter((point) => point.strategy !== "best-of-64" && point.accuracy.estimate >= baseline.accuracy.estimate)
      .sort((a, b) => a.cost - b.cost)
    const cheapest = reaching[0]
    const name = level === undefined ? "all" : String(level)
    if (cheapest === undefined) {
      const best = [...points].filter((point) => point.strategy !== "best-of-64").sort((a, b) => b.accuracy.estimate - a.accuracy.estimate)[0]
      rows.push(
        `| ${name} | ${baseline.records.length} | ${baseline.accuracy.estimate.toFixed(3)} | none reaches it (best A*: ${best?.strategy} ${best?.configuration}, ${best?.accuracy.estimate.toFixed(3)}) | | ${axes.map(() => "").join(" | ")} |`
      )
      continue
    }
    const comparison = yield* Metrics.compare(cheapest.records, baseline.records, { seed: 1, resamples: 2000 })
    const ratios = axes.map((axis) => {
      const mean = (group: ReadonlyArray<ResultRecord.ResultRecord>) => group.reduce((total, record) => total + (axis.valueOf(record) ?? 0), 0) / group.length
      return (mean(cheapest.records) / mean(baseline.records)).toFixed(3)
    })
    rows.push(
      `| ${name} | ${baseline.records.length} | ${baseline.accuracy.estimate.toFixed(3)} | ${cheapest.strategy} ${cheapest.configuration}: ${cheapest.accuracy.estimate.toFixed(3)} | ${comparison.difference.estimate >= 0 ? "+" : ""}${comparison.difference.estimate.toFixed(3)} [${comparison.difference.lower.toFixed(3)}, ${comparison.difference.upper.toFixed(3)}] | ${ratios.join(" | ")} |`
    )
  }
  const header = `| difficulty | runs | best-of-64 | cheapest A* reaching it (by ${chooseBy.name}) | Δ accuracy [95% CI] | ${axes.map((axis) => `× ${axis.name}`).join(" | ")} |`
  console.log([header, `| ${header.split("|").slice(1, -1).map(() => "---").join(" | ")} |`, ...rows].join("\n"))
})

Effect.runPromise(program).catch((error: unknown) => {
  console.error(String(error))
  process.exitCode = 1
})
