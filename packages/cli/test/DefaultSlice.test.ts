import { createHash } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Recipe, Runner } from "@stepwise/harness"
import type { ResultRecord } from "@stepwise/harness"
import * as Paths from "../src/Paths.js"

// The default recipe (every strategy and size it sweeps, its budget, backend and prices) on a slice of its problems:
// positions 0, 1, 12 and 26 of its 200, where 12 and 26 run A* out of budget. The stored fixture holds, per result
// key, the answer and every spent count: what the default benchmark reports must not move when the call path,
// the accountant or the search machinery change (regenerate only for a change of semantics, saying why).
const slice = [0, 1, 12, 26]
const fixture = fileURLToPath(new URL("./fixtures/default-slice.json", import.meta.url))

/** One record as the fixture keeps it: the answer and the spend, nothing that depends on the clock. */
const summaryOf = (record: ResultRecord.ResultRecord): string =>
  [
    record.answer,
    record.correct,
    record.outcome,
    record.noAnswer,
    record.budgetExhausted,
    record.inputTokens,
    record.cachedInputTokens,
    record.outputTokens,
    record.verifierCalls,
    record.verifierTokens,
    record.cost,
    record.measures["eflops"],
    record.measures["dollars"]
  ].join("|")

const runSlice = Effect.gen(function* () {
  const recipe = yield* Recipe.load(Paths.defaultRecipe)
  const folder = mkdtempSync(join(tmpdir(), "stepwise-slice-"))
  const outcome = yield* Runner.run(recipe, {
    results: join(folder, "results.jsonl"),
    progress: "none",
    datasetLoader: (spec) =>
      Effect.map(Runner.defaultDatasetLoader(spec), (dataset) => ({
        ...dataset,
        problems: slice.map((index) => dataset.problems[index]!)
      }))
  })
  return Object.fromEntries([...outcome.records].sort((left, right) => (left.key < right.key ? -1 : 1)).map((record) => [record.key, summaryOf(record)]))
})

describe("the default recipe on a slice of its problems", () => {
  it("gives the stored answers and spend, cell by cell", async () => {
    const summaries = await Effect.runPromise(runSlice)
    if (process.env["STEPWISE_WRITE_SLICE"] === "1") writeFileSync(fixture, JSON.stringify(summaries, null, 1) + "\n")
    const stored = JSON.parse(readFileSync(fixture, "utf8")) as Record<string, string>
    expect(Object.keys(summaries)).toHaveLength(slice.length * 27)
    expect(summaries).toEqual(stored)
    // The digest of the whole slice, for reports that compare runs at a glance.
    const digest = createHash("sha256").update(JSON.stringify(summaries)).digest("hex").slice(0, 16)
    expect(digest).toBe(createHash("sha256").update(JSON.stringify(stored)).digest("hex").slice(0, 16))
  }, 300_000)
})
