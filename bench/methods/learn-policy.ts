/**
 * Learns a compute-optimal policy from the training benchmark's results and writes the held-out recipe that runs
 * it next to the same sweeps.
 *
 *   pnpm stepwise bench bench/methods/train.json --results results/methods-train.jsonl --report reports/methods-train.html
 *   npx tsx bench/methods/learn-policy.ts results/methods-train.jsonl
 *   pnpm stepwise bench bench/methods/test.json --results results/methods-test.jsonl --report reports/methods-test.html
 *
 * The training set is 200 problems of the calibrated world drawn with seed 2; the held-out set is 200 others
 * (seed 1). The policy is learned on all tokens per problem (policy and verifier) at the budgets below; its bins are
 * the world's five difficulty levels, placed by the accuracy of one sample (best-of-n, n = 1) on each.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { ComputeOptimalPolicy, ResultsFile } from "@stepwise/harness"

const budgets = [3000, 6000, 12000, 24000, 48000]
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url))

const results = process.argv[2]
if (results === undefined) {
  console.error("usage: npx tsx bench/methods/learn-policy.ts <training results.jsonl>")
  process.exit(2)
}

const policy = await Effect.runPromise(
  Effect.flatMap(ResultsFile.read(results), (contents) =>
    ComputeOptimalPolicy.learn(contents.records, { axis: "all-tokens", budgets, reference: { strategy: "best-of-n", configuration: "n=1" } })
  )
)

const train = JSON.parse(readFileSync(here("train.json"), "utf8")) as {
  readonly datasets: ReadonlyArray<Record<string, unknown>>
  readonly strategies: ReadonlyArray<unknown>
}
const test = {
  ...train,
  name: "methods",
  datasets: train.datasets.map((dataset) => ({ ...dataset, seed: 1 })),
  strategies: [...train.strategies, { kind: "compute-optimal", options: { policy, maxTokens: 512 }, sweep: budgets }]
}
writeFileSync(here("test.json"), `${JSON.stringify(test, null, 2)}\n`)
for (const row of policy.table)
  console.log(
    `budget ${row.budget}: ${row.bins
      .map((bin) => `level ${String(bin.level)} (≤ ${bin.upTo.toFixed(3)}) → ${bin.choice.kind} ${JSON.stringify(sizeOf(bin.choice.options))} acc ${bin.accuracy?.toFixed(3)} at ${Math.round(bin.cost ?? 0)}`)
      .join("; ")}`
  )
console.log(`wrote ${here("test.json")}`)

// The options that tell configurations apart, for the printout.
function sizeOf(options: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const keys = ["n", "expansions", "simulations", "rolloutDepth", "width"]
  return Object.fromEntries(Object.entries(options).filter(([key]) => keys.includes(key)))
}
