/**
 * Does a benchmark run stay O(1) per problem? Runs the same cheap cell (self-consistency with one sample on the
 * simulator) for 1,000, 5,000 and 20,000 problem runs, each in a fresh results file, and prints, side by side, the
 * time per result (and its ratio to the 1,000-run figure) and the process's resident memory after each run.
 *
 *   node --expose-gc --import tsx bench/runner-scaling.ts [--sizes 1000,5000,20000]
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { Recipe, Runner } from "@stepwise/harness"

const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

const sizes = argument("sizes", "1000,5000,20000").split(",").map(Number)
const folder = mkdtempSync(join(tmpdir(), "stepwise-scaling-"))
const megabytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)

const program = Effect.gen(function* () {
  const rows: Array<{ readonly size: number; readonly micros: number; readonly rss: number; readonly heap: number }> = []
  for (const size of sizes) {
    // `size` runs: problems × seeds, so the data set stays small and the run long.
    const recipe = yield* Recipe.parse({
      name: `scaling-${size}`,
      datasets: [{ kind: "simulator", count: 500, seed: 1 }],
      strategies: [{ kind: "self-consistency", options: { n: 1 } }],
      budgets: [{ label: "cap", limits: { totalTokens: 10_000 } }],
      seeds: Array.from({ length: Math.ceil(size / 500) }, (_, seed) => seed),
      backend: { kind: "simulator" },
      concurrency: 8
    })
    const started = performance.now()
    const outcome = yield* Runner.run(recipe, { results: join(folder, `scaling-${size}.jsonl`), progress: "none" })
    const elapsed = performance.now() - started
    globalThis.gc?.()
    const memory = process.memoryUsage()
    rows.push({ size: outcome.ran, micros: (elapsed * 1000) / outcome.ran, rss: memory.rss, heap: memory.heapUsed })
  }
  const first = rows[0]!
  console.log("| runs | µs per result | × of the first | RSS (MB) | heap used (MB) |")
  console.log("| ---: | ---: | ---: | ---: | ---: |")
  for (const row of rows)
    console.log(`| ${row.size} | ${row.micros.toFixed(0)} | ${(row.micros / first.micros).toFixed(2)} | ${megabytes(row.rss)} | ${megabytes(row.heap)} |`)
})

Effect.runPromise(program).catch((error: unknown) => {
  console.error(String(error))
  process.exitCode = 1
})
