import { spawn } from "node:child_process"
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Fiber } from "effect"
import { describe, expect, inject, it } from "vitest"
import { Recipe, Registries, ResultsFile, Runner } from "../src/index.js"
import * as OneShot from "./fixtures/OneShot.js"
import { Backend } from "@stepwise/models"
import { z } from "zod"
import { Scripted } from "@stepwise/testing"

const folder = () => mkdtempSync(join(tmpdir(), "stepwise-runner-"))

type Input = Recipe.RecipeInput<typeof OneShot.strategies, Registries.Registries["verifiers"], Registries.Registries["backends"]>

const recipeIn = (directory: string, count: number, extra: Partial<Input> = {}): Input => {
  writeFileSync(join(directory, "problems.jsonl"), OneShot.problemsFile(count))
  return {
    datasets: [{ kind: "aime", path: "problems.jsonl", name: "toy" }],
    strategies: [{ kind: "one-shot" }, { kind: "one-shot", label: "one-shot-short", options: { maxTokens: 30 } }],
    budgets: [
      { label: "small", limits: { outputTokens: 150 } },
      { label: "large", limits: { outputTokens: 1000 } }
    ],
    seeds: [0, 1],
    backend: { kind: "scripted" },
    concurrency: 3,
    ...extra
  }
}

const lines: Array<string> = []
const quiet = { write: (text: string) => lines.push(text), isTTY: false }

const runIn = (directory: string, recipe: Input, options: Partial<Runner.Options> = {}) =>
  Effect.flatMap(Recipe.parse(recipe, undefined, OneShot.registries), (parsed) =>
    Runner.run(parsed, {
      results: join(directory, "out", "results.jsonl"),
      baseDirectory: directory,
      registries: OneShot.registries,
      progress: "lines",
      output: quiet,
      ...options
    })
  )

const readLines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { key: string; correct: boolean })

describe("Runner", () => {
  it("runs every cell on every problem, grades, meters and appends one line each", async () => {
    const directory = folder()
    const outcome = await Effect.runPromise(runIn(directory, recipeIn(directory, 6)))
    expect(outcome.total).toBe(6 * 2 * 2 * 2)
    expect(outcome.ran).toBe(48)
    const records = readLines(outcome.results)
    expect(records).toHaveLength(48)
    expect(new Set(records.map((record) => record.key)).size).toBe(48)
    const full = outcome.records.filter((record) => record.strategy === "one-shot" && record.budget === "large")
    // Problems 0, 2, 4 are answered right.
    expect(full.filter((record) => record.correct).map((record) => record.problemId).sort()).toEqual(
      ["aime-0", "aime-0", "aime-2", "aime-2", "aime-4", "aime-4"]
    )
    for (const record of outcome.records) {
      expect(record.verifierCalls).toBe(1)
      expect(record.verifierTokens).toBe(7)
      expect(record.outputTokens).toBeGreaterThan(0)
      expect(record.outputTokens).toBeLessThanOrEqual(record.limits["outputTokens"]!)
      expect(record.options["seed"]).toBe(record.seed)
    }
    // The short strategy is cut before its box closes: no answer, never correct.
    const short = outcome.records.filter((record) => record.strategy === "one-shot-short")
    expect(short.every((record) => !record.correct && record.answer === null)).toBe(true)
    expect(short[0]?.noAnswer).toBe("no-extractable-answer")
    expect(lines.some((line) => line.startsWith("[48/48]"))).toBe(true)
  })

  it("skips what is done on a rerun", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 4)
    await Effect.runPromise(runIn(directory, recipe))
    const again = await Effect.runPromise(runIn(directory, recipe))
    expect(again).toMatchObject({ ran: 0, skipped: 32, total: 32 })
    expect(readLines(again.results)).toHaveLength(32)
    // Changing a strategy's options under the same label is refused, not silently mixed.
    const changed = await Effect.runPromise(
      Effect.flip(runIn(directory, { ...recipe, strategies: [{ kind: "one-shot", options: { maxTokens: 199 } }, recipe.strategies![1]!] }))
    )
    expect(changed).toMatchObject({ _tag: "RecipeError", field: "strategies.one-shot" })
    // Growing the recipe runs only the new cells.
    const grown = await Effect.runPromise(runIn(directory, { ...recipe, seeds: [0, 1, 2] }))
    expect(grown).toMatchObject({ ran: 16, skipped: 32, total: 48 })
  })

  it("gives back the recipe's own records, in its plan's order, however runs finished; others in the file are counted, not given", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 4, { concurrency: 8, backend: { kind: "scripted", options: { delayMillis: 2 } } })
    const first = await Effect.runPromise(runIn(directory, recipe))
    const [parsed] = await Effect.runPromise(
      Effect.flatMap(Recipe.parse(recipe, undefined, OneShot.registries), (parsedRecipe) =>
        Effect.map(Runner.defaultDatasetLoader({ kind: "aime", path: join(directory, "problems.jsonl"), name: "toy" }), (dataset) => [Runner.plan(parsedRecipe, [[parsedRecipe.datasets[0]!, dataset]], OneShot.strategies)] as const)
      )
    )
    expect(first.records.map((record) => record.key)).toEqual(parsed.map((item) => item.key))
    expect(first.otherRecords).toBe(0)
    // The same file with one strategy fewer: its records only, the other strategy's counted.
    const shrunk = await Effect.runPromise(runIn(directory, { ...recipe, strategies: [{ kind: "one-shot" }] }))
    expect(shrunk).toMatchObject({ ran: 0, skipped: 16, otherRecords: 16 })
    expect(new Set(shrunk.records.map((record) => record.strategy))).toEqual(new Set(["one-shot"]))
  })

  it("refuses to resume with runs measured otherwise (prices, cost model, shapes, grading), which the report would average", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 2, { prices: { inputPerMillion: 1, outputPerMillion: 2 } })
    await Effect.runPromise(runIn(directory, recipe))
    for (const changed of [
      { prices: { inputPerMillion: 100, outputPerMillion: 200 } },
      { costModel: { kind: "weighted", options: { output: 2 } } },
      { grading: { tolerance: 0.1 } }
    ] as ReadonlyArray<Partial<Input>>) {
      const error = await Effect.runPromise(Effect.flip(runIn(directory, { ...recipe, ...changed })))
      expect(error).toMatchObject({ _tag: "RecipeError", field: "costModel" })
      expect(error.message).toContain("measured or graded otherwise")
    }
    // Measured the same way, it resumes.
    expect(await Effect.runPromise(runIn(directory, recipe))).toMatchObject({ ran: 0, skipped: 16 })
    // Records written before the fingerprint was kept: resumed, and said to be unchecked.
    const results = join(directory, "out", "results.jsonl")
    writeFileSync(results, readFileSync(results, "utf8").replace(/,"measurement":"[0-9a-f]+"/g, ""))
    lines.length = 0
    expect(await Effect.runPromise(runIn(directory, { ...recipe, prices: { inputPerMillion: 100, outputPerMillion: 200 } }))).toMatchObject({ ran: 0, skipped: 16 })
    expect(lines.join("")).toContain("16 records were written without a note of how they were measured and graded")
  })

  it("refuses a second run on a results file in use, and takes over the lock a killed run left", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 4, { backend: { kind: "scripted", options: { delayMillis: 20 } } })
    const results = join(directory, "out", "results.jsonl")
    const first = Effect.runFork(runIn(directory, recipe))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const second = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(second).toMatchObject({ _tag: "ResultsFileError" })
    expect(second.message).toContain(`is in use by another run (process ${process.pid}`)
    const done = await Effect.runPromise(Fiber.join(first))
    expect(done.ran).toBe(32)
    expect(readLines(results)).toHaveLength(32)
    // A lock whose process is gone (a killed run) does not stop the next run, nor one naming this process's id
    // that this process does not hold (an earlier process that had the same id, as a restarted container's).
    for (const pid of [2147483646, process.pid]) {
      writeFileSync(`${results}.lock`, `${pid} ${hostname()}\n`)
      expect(await Effect.runPromise(runIn(directory, recipe))).toMatchObject({ ran: 0, skipped: 32 })
      expect(existsSync(`${results}.lock`)).toBe(false)
    }
    // One from another host cannot be checked: refused, naming the file to delete once that run is gone.
    writeFileSync(`${results}.lock`, "12 elsewhere\n")
    const foreign = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(foreign.message).toContain(`if that run is gone, delete ${results}.lock`)
  })

  it("drops a torn last line and redoes that problem", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 3)
    const first = await Effect.runPromise(runIn(directory, recipe))
    const text = readFileSync(first.results, "utf8").split("\n").filter((line) => line !== "")
    writeFileSync(first.results, `${text.slice(0, 10).join("\n")}\n${text[10]!.slice(0, 40)}`)
    const contents = await Effect.runPromise(ResultsFile.read(first.results))
    expect(contents).toMatchObject({ tornTail: true })
    expect(contents.records).toHaveLength(10)
    lines.length = 0
    const resumed = await Effect.runPromise(runIn(directory, recipe))
    expect(resumed).toMatchObject({ ran: 14, skipped: 10 })
    expect(lines.join("")).toContain("left out a torn last line")
    const records = readLines(resumed.results)
    expect(records).toHaveLength(24)
    expect(new Set(records.map((record) => record.key)).size).toBe(24)
  })

  it("keeps a whole last record written without its newline, and appends after it on a line of its own", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 3)
    const first = await Effect.runPromise(runIn(directory, recipe))
    const text = readFileSync(first.results, "utf8").split("\n").filter((line) => line !== "")
    writeFileSync(first.results, text.slice(0, 10).join("\n"))
    const contents = await Effect.runPromise(ResultsFile.read(first.results))
    expect(contents).toMatchObject({ tornTail: false, missingNewline: true })
    expect(contents.records).toHaveLength(10)
    const resumed = await Effect.runPromise(runIn(directory, recipe))
    expect(resumed).toMatchObject({ ran: 14, skipped: 10 })
    expect(readLines(resumed.results)).toHaveLength(24)
  })

  it("refuses a file that holds something else (one line without a newline that is no record) rather than cutting it", async () => {
    const directory = folder()
    const results = join(directory, "recipe.json")
    const recipeText = JSON.stringify({ name: "mine", datasets: [] })
    writeFileSync(results, recipeText)
    const error = await Effect.runPromise(Effect.flip(runIn(directory, recipeIn(directory, 2), { results })))
    expect(error).toMatchObject({ _tag: "ResultsFileError", line: 1 })
    expect(readFileSync(results, "utf8")).toBe(recipeText)
    // Whole JSON that is no record, last and without its newline: an error, never cut (a torn write is no whole JSON).
    writeFileSync(results, '{"key":"x"}')
    expect(await Effect.runPromise(Effect.flip(ResultsFile.read(results)))).toMatchObject({ _tag: "ResultsFileError", line: 1 })
    // A record cut short at any point is a torn write, even before its key's value.
    for (const cut of ['{"k', '{"key":', '{"key":"[\\"to'])
      expect(await Effect.runPromise(ResultsFile.read((writeFileSync(results, cut), results)))).toMatchObject({ tornTail: true, records: [] })
  })

  it("fails on a bad line in the middle of the results file, naming it", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 2)
    const first = await Effect.runPromise(runIn(directory, recipe))
    const text = readFileSync(first.results, "utf8").split("\n")
    text.splice(1, 0, "{\"not\": \"a record\"}")
    writeFileSync(first.results, text.join("\n"))
    const error = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(error).toMatchObject({ _tag: "ResultsFileError", line: 2 })
  })

  it("fails on a complete last line that is no record (only a line without its newline is a torn write)", async () => {
    const directory = folder()
    const first = await Effect.runPromise(runIn(directory, recipeIn(directory, 2)))
    const count = readLines(first.results).length
    appendFileSync(first.results, '{"hello": 1}\n')
    const error = await Effect.runPromise(Effect.flip(ResultsFile.read(first.results)))
    expect(error).toMatchObject({ _tag: "ResultsFileError", line: count + 1 })
    expect(error.message).toContain("is not a result record")
  })

  it("plans datasets × strategies × budgets × seeds × problems, filtering by difficulty, with per-budget options and the seed", async () => {
    const recipe = await Effect.runPromise(
      Recipe.parse({
        datasets: [{ kind: "math500", path: "math500.jsonl", difficulties: [3] }],
        strategies: [{ kind: "beam-search", options: { beams: 4 }, budgetOptions: { large: { beams: 16 } } }],
        budgets: [{ label: "small", limits: {} }, { label: "large", limits: {} }],
        seeds: [0, 5],
        backend: { kind: "simulator" }
      })
    )
    const dataset = await Effect.runPromise(
      Runner.defaultDatasetLoader({ kind: "math500", path: fileURLToPath(new URL("./fixtures/math500.jsonl", import.meta.url)) })
    )
    const work = Runner.plan(recipe, [[recipe.datasets[0]!, dataset]])
    expect(work.map((item) => [item.budget.label, item.seed, item.problem.id, item.options])).toMatchObject([
      ["small", 0, "test/algebra/2.json", { beams: 4, width: 4, seed: 0 }],
      ["small", 5, "test/algebra/2.json", { beams: 4, width: 4, seed: 5 }],
      ["large", 0, "test/algebra/2.json", { beams: 16, width: 4, seed: 0 }],
      ["large", 5, "test/algebra/2.json", { beams: 16, width: 4, seed: 5 }]
    ])
    expect(new Set(work.map((item) => item.key)).size).toBe(4)
  })

  it("refuses a data set with nothing to run, naming the file: an empty file, or difficulties it does not have", async () => {
    const directory = folder()
    writeFileSync(join(directory, "empty.jsonl"), "\n\n")
    const empty = await Effect.runPromise(Effect.flip(runIn(directory, recipeIn(directory, 2, { datasets: [{ kind: "aime", path: "empty.jsonl" }] }))))
    expect(empty).toMatchObject({ _tag: "DatasetError", file: join(directory, "empty.jsonl"), field: "problems" })
    expect(empty.message).toContain("holds no problems")
    const math = fileURLToPath(new URL("./fixtures/math500.jsonl", import.meta.url))
    const missing = await Effect.runPromise(Effect.flip(runIn(directory, recipeIn(directory, 2, { datasets: [{ kind: "math500", path: math, difficulties: [9] }] }))))
    expect(missing).toMatchObject({ _tag: "DatasetError", file: math, field: "difficulties" })
    expect(missing.message).toMatch(/keeps none of its \d+ problems: no problem has difficulty 9 \(its levels: [\d, ]+\)/)
  })

  it("counts a data set's limit among the problems of its difficulties (the fixture's first problem is of level 1)", async () => {
    const directory = folder()
    const math = fileURLToPath(new URL("./fixtures/math500.jsonl", import.meta.url))
    const levelThree = recipeIn(directory, 2, { seeds: [0], strategies: [{ kind: "one-shot" }], budgets: [{ label: "b", limits: {} }], datasets: [{ kind: "math500", path: math, limit: 1, difficulties: [3] }] })
    const outcome = await Effect.runPromise(runIn(directory, levelThree))
    expect(outcome.records.map((record) => [record.problemId, record.difficulty])).toEqual([["test/algebra/2.json", 3]])
    // Without difficulties the limit keeps the file's first problems.
    const first = await Effect.runPromise(runIn(folder(), { ...levelThree, datasets: [{ kind: "math500", path: math, limit: 1 }] }))
    expect(first.records.map((record) => record.problemId)).toEqual(["test/prealgebra/1.json"])
  })

  it("fails fast on bad strategy options, before running anything", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 2, { strategies: [{ kind: "one-shot", options: { maxTokens: -1 } }] })
    const error = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(error).toMatchObject({ _tag: "RecipeError", field: "strategies.0.options.maxTokens" })
    const unknown = await Effect.runPromise(Effect.flip(runIn(directory, recipeIn(directory, 2, { strategies: [{ kind: "nope" } as never] }))))
    expect(unknown).toMatchObject({ _tag: "RecipeError", field: "strategies.0.kind" })
  })

  it("records a failing strategy's error and counts the problem wrong", async () => {
    const directory = folder()
    const outcome = await Effect.runPromise(
      runIn(
        directory,
        recipeIn(directory, 3, { seeds: [0], budgets: [{ label: "b", limits: {} }], strategies: [{ kind: "one-shot" }], backend: { kind: "scripted", options: { failOn: [2] } } })
      )
    )
    const failed = outcome.records.find((record) => record.problemId === "aime-2")
    expect(failed).toMatchObject({ correct: false, noAnswer: "error", answer: null })
    expect(failed?.error).toContain("InvalidRequest")
    expect(outcome.records.find((record) => record.problemId === "aime-0")?.correct).toBe(true)
  })

  it("spends every child budget from the shared pool, and stops when the pool runs out", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 4, { seeds: [0], strategies: [{ kind: "one-shot" }], budgets: [{ label: "b", limits: {} }], pool: { verifierCalls: 2 }, concurrency: 1 })
    const error = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(error).toMatchObject({ _tag: "PoolExhausted", resource: "verifierCalls", limit: 2 })
    // The two problems that fitted are kept; a larger pool resumes with the other two.
    const results = join(directory, "out", "results.jsonl")
    expect(readLines(results)).toHaveLength(2)
    const resumed = await Effect.runPromise(runIn(directory, { ...recipe, pool: { verifierCalls: 4 } }))
    expect(resumed).toMatchObject({ skipped: 2, ran: 2 })
    expect(resumed.records.every((record) => record.verifierCalls === 1 && record.noAnswer === null)).toBe(true)
  })


  // Problems at once hold their calls' worst cases in the pool: a problem crowded out by the others' reservations
  // (which were still to be settled at far less) is neither a result nor the pool's end; it runs again alone.
  it("runs a problem that others' reservations crowded out of the pool again, alone, rather than recording it or stopping", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 6, {
      seeds: [0],
      strategies: [{ kind: "one-shot" }],
      budgets: [{ label: "b", limits: {} }],
      pool: { outputTokens: 700 },
      concurrency: 6,
      backend: { kind: "scripted", options: { delayMillis: 20 } }
    })
    const outcome = await Effect.runPromise(runIn(directory, recipe))
    expect(outcome).toMatchObject({ ran: 6, total: 6 })
    const records = readLines(outcome.results) as unknown as ReadonlyArray<{ outputTokens: number; noAnswer: string | null }>
    expect(records).toHaveLength(6)
    expect(records.every((record) => record.outputTokens > 0 && record.noAnswer === null)).toBe(true)
  })

  it("counts a problem cut by its own budget as a result, and stops only when the pool cannot fund a problem's claim", async () => {
    // Each answer spends 62 output tokens; the problem's budget of 150 cuts its call (200) to 150; the pool holds 304.
    const directory = folder()
    const recipe = recipeIn(directory, 6, { seeds: [0], strategies: [{ kind: "one-shot" }], budgets: [{ label: "b", limits: { outputTokens: 150 } }], pool: { outputTokens: 304 }, concurrency: 1 })
    const error = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(error).toMatchObject({ _tag: "PoolExhausted", resource: "outputTokens" })
    // 3 × 62 spent, 118 left: the fourth problem's claim of 150 does not fit, the first three did.
    expect(readLines(join(directory, "out", "results.jsonl"))).toHaveLength(3)
    expect(error.message).toContain("186 of its 304 outputTokens are spent, and what is left does not fund a problem's next call")
  })

  it("spends nothing on attempts the pool crowded out: at concurrency 6 the run finishes where it does at 1", async () => {
    for (const concurrency of [1, 6]) {
      const directory = folder()
      const recipe = recipeIn(directory, 6, {
        seeds: [0],
        strategies: [{ kind: "one-shot" }],
        budgets: [{ label: "b", limits: {} }],
        pool: { outputTokens: 200 + 5 * 62 },
        concurrency,
        backend: { kind: "scripted", options: { delayMillis: 20 } }
      })
      const outcome = await Effect.runPromise(runIn(directory, recipe))
      expect(outcome, `concurrency ${concurrency}`).toMatchObject({ ran: 6 })
      expect(outcome.records.reduce((total, record) => total + record.outputTokens, 0)).toBe(6 * 62)
    }
  })

  // Some pool left, but less than a call reserves: the problem that wanted the call did not get its budget, so it is
  // no result (it was recorded as a spent-nothing "no answer", and a rerun never retried it). Both ways a strategy
  // meets it: failing with the pool's BudgetExhausted (one-shot), or ending early with a result (best-of-n).
  it.each([
    ["fails with it", { kind: "one-shot" }, 300],
    ["ends early on it", { kind: "best-of-n", options: { n: 2, maxTokens: 200 } }, 1000]
  ] as const)("stops, recording nothing, at a problem the pool had too little left for (a strategy that %s)", async (_, strategy, outputTokens) => {
    const directory = folder()
    const recipe = recipeIn(directory, 6, { seeds: [0], strategies: [strategy], budgets: [{ label: "b", limits: {} }], pool: { outputTokens }, concurrency: 1 })
    const error = await Effect.runPromise(Effect.flip(runIn(directory, recipe)))
    expect(error).toMatchObject({ _tag: "PoolExhausted", resource: "outputTokens", limit: outputTokens })
    const kept = readLines(join(directory, "out", "results.jsonl")) as unknown as ReadonlyArray<{ outputTokens: number; noAnswer: string | null }>
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.length).toBeLessThan(6)
    expect(kept.every((record) => record.outputTokens > 0 && record.noAnswer === null)).toBe(true)
    // A larger pool runs the rest, the starved problem among them.
    const resumed = await Effect.runPromise(runIn(directory, { ...recipe, pool: { outputTokens: 100_000 } }))
    expect(resumed).toMatchObject({ skipped: kept.length, ran: 6 - kept.length })
    expect(resumed.records.every((record) => record.outputTokens > 0 && record.noAnswer === null)).toBe(true)
  })
  it("runs at most `concurrency` problems at once", async () => {
    const directory = folder()
    OneShot.inFlight.now = 0
    OneShot.inFlight.most = 0
    const outcome = await Effect.runPromise(
      runIn(directory, recipeIn(directory, 12, { concurrency: 3, backend: { kind: "scripted", options: { delayMillis: 3 } } }))
    )
    expect(outcome.ran).toBe(96)
    expect(OneShot.inFlight.most).toBe(3)
  })

  it("prices the budgets' cost by the recipe's cost model kind, and measures eFLOPs beside it", async () => {
    // One strategy, one seed, one unlimited budget on two problems, priced as given.
    const costed = (extra: Record<string, unknown>) => {
      const directory = folder()
      return Effect.runPromise(
        runIn(directory, recipeIn(directory, 2, { seeds: [0], strategies: [{ kind: "one-shot" }], budgets: [{ label: "b", limits: {} }], ...extra }))
      )
    }
    const shape = { parameters: 1e9, queryHeads: 16, kvHeads: 8, headDim: 64, layers: 16 }
    const kinetics = await costed({ costModel: { kind: "kinetics", options: { policy: shape, verifier: shape } }, modelShape: shape, verifierShape: shape })
    for (const record of kinetics.records) {
      expect(record.costUnit).toBe("eFLOPs")
      expect(record.eflops).toBe(record.cost)
      expect(record.eflops).toBeGreaterThan(2 * 1e9 * record.outputTokens)
    }
    const priced = await costed({ costModel: { kind: "weighted", options: { input: 0, output: 2, unit: "credits" } } })
    for (const record of priced.records) {
      expect(record.costUnit).toBe("credits")
      expect(record.cost).toBe(2 * record.outputTokens)
      expect(record.eflops).toBeGreaterThan(0)
    }
    // Budgets priced in dollars and no separate prices: the dollars axis is that pricing.
    const dollars = await costed({ costModel: { kind: "price", options: { inputPerMillion: 1, outputPerMillion: 4 } } })
    for (const record of dollars.records) {
      expect(record.costUnit).toBe("USD")
      expect(record.cost).toBeGreaterThan(0)
      expect(record.measures?.["dollars"]).toBe(record.cost)
    }
    // Budgets priced in eFLOPs and no shapes for the report: its eFLOPs axis is that pricing (a policy-only shape
    // budgeted 7.5e12 while the report's default shapes showed 2.26e13 for the same runs).
    const ownShapes = await costed({ costModel: { kind: "kinetics", options: { policy: shape } } })
    for (const record of ownShapes.records) {
      expect(record.costUnit).toBe("eFLOPs")
      expect(record.measures?.["eflops"]).toBe(record.cost)
    }
  })

  it("stops cleanly when interrupted: whole lines only, and a rerun fills the gaps", async () => {
    const directory = folder()
    const recipe = recipeIn(directory, 10)
    const fiber = Effect.runFork(runIn(directory, { ...recipe, backend: { kind: "scripted", options: { delayMillis: 5 } } }))
    const results = join(directory, "out", "results.jsonl")
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const count = (() => {
          try {
            return readFileSync(results, "utf8").split("\n").length - 1
          } catch {
            return 0
          }
        })()
        if (count >= 12) {
          clearInterval(poll)
          resolve()
        }
      }, 5)
    })
    await Effect.runPromise(Fiber.interrupt(fiber))
    const partial = readFileSync(results, "utf8")
    expect(partial.endsWith("\n")).toBe(true)
    const written = readLines(results).length
    expect(written).toBeGreaterThanOrEqual(12)
    expect(written).toBeLessThan(80)
    const resumed = await Effect.runPromise(runIn(directory, { ...recipe, backend: { kind: "scripted", options: { delayMillis: 5 } } }))
    expect(resumed).toMatchObject({ skipped: written, ran: 80 - written })
    expect(new Set(readLines(results).map((record) => record.key)).size).toBe(80)
  })
})

describe("Runner on the simulator with the default factories", () => {
  it("runs a small recipe on the simulator with every strategy, within every budget", async () => {
    const recipe = await Effect.runPromise(
      Recipe.parse({
        datasets: [{ kind: "simulator", count: 3, seed: 1 }],
        strategies: [
          { kind: "best-of-n", options: { n: 4 } },
          { kind: "self-consistency", options: { n: 4 } },
          { kind: "beam-search", options: { beams: 4, width: 2 } },
          { kind: "dvts", options: { beams: 4, width: 2 } },
          { kind: "particle-filtering", options: { particles: 4 } },
          { kind: "particle-gibbs", options: { particles: 2, sweeps: 2 } },
          { kind: "a-star", options: { expansions: 2 } }
        ],
        budgets: [{ label: "1k", limits: { outputTokens: 1000 } }],
        backend: { kind: "simulator" }
      })
    )
    const outcome = await Effect.runPromise(
      Runner.run(recipe, { results: join(folder(), "results.jsonl"), progress: "none" })
    )
    expect(outcome.ran).toBe(21)
    for (const record of outcome.records) {
      expect(record.error).toBeNull()
      expect(record.outputTokens).toBeLessThanOrEqual(1000)
      expect(record.difficulty).not.toBeNull()
    }
    expect(outcome.records.some((record) => record.correct)).toBe(true)
    const verifierFree = outcome.records.filter((record) => record.strategy === "self-consistency")
    expect(verifierFree.every((record) => record.verifierCalls === 0)).toBe(true)
  })
})

// fixtures/runRecipe.ts, bundled once per test run by test/globalSetup.ts (a child starts in a second where tsx
// took several).
const script = inject("runRecipeScript")
const child = (recipeFile: string, results: string, delayMillis: number) =>
  spawn(process.execPath, [script, recipeFile, results, String(delayMillis)], { stdio: ["ignore", "pipe", "pipe"] })

const countLines = (file: string): number => {
  try {
    return readFileSync(file, "utf8").split("\n").length - 1
  } catch {
    return 0
  }
}

const waitForLines = (file: string, count: number) =>
  new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (countLines(file) >= count) {
        clearInterval(poll)
        resolve()
      }
    }, 10)
  })

const exitOf = (process: ReturnType<typeof spawn>) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    let output = ""
    process.stdout?.on("data", (chunk) => (output += String(chunk)))
    process.stderr?.on("data", (chunk) => (output += String(chunk)))
    process.on("exit", (code, signal) => resolve({ code, signal, output }))
  })

describe("Runner in a separate process", () => {
  const setUp = () => {
    const directory = folder()
    const recipeFile = join(directory, "recipe.json")
    writeFileSync(recipeFile, JSON.stringify(recipeIn(directory, 15)))
    return { recipeFile, results: join(directory, "results.jsonl") }
  }

  it("stops on SIGINT with whole lines, resumes after SIGKILL mid-run, and ends with no duplicates and no gaps", async () => {
    const { recipeFile, results } = setUp()
    // 1. Ctrl-C: the process stops cleanly (exit 130) with whole lines only.
    const first = child(recipeFile, results, 20)
    const firstExit = exitOf(first)
    await waitForLines(results, 5)
    first.kill("SIGINT")
    expect((await firstExit).code).toBe(130)
    expect(readFileSync(results, "utf8").endsWith("\n")).toBe(true)
    const stopped = readLines(results).length
    // 2. Killed mid-run: resumes from what the first left, and is killed in turn.
    const second = child(recipeFile, results, 20)
    const secondExit = exitOf(second)
    await waitForLines(results, stopped + 10)
    second.kill("SIGKILL")
    expect((await secondExit).signal).toBe("SIGKILL")
    const killedAt = readLines(results).length
    expect(killedAt).toBeGreaterThan(stopped)
    expect(killedAt).toBeLessThan(120)
    // A torn write as well: half a line at the end.
    appendFileSync(results, '{"key":"[\\"toy\\"')
    // 3. The last run does exactly what is missing.
    const third = await exitOf(child(recipeFile, results, 0))
    expect(third.code).toBe(0)
    expect(third.output).toContain(`ran ${120 - killedAt} skipped ${killedAt}`)
    const records = readLines(results)
    expect(records).toHaveLength(120)
    expect(new Set(records.map((record) => record.key)).size).toBe(120)
  })

  it("groups votes on a math data set by the grader's equivalence: \\frac{1}{2}, 0.5 and 1/2 outvote 3, 3", async () => {
    const directory = folder()
    writeFileSync(
      join(directory, "half.jsonl"),
      `${JSON.stringify({ problem: "What is one half?", solution: "", answer: "\\frac{1}{2}", subject: "Prealgebra", level: 1, unique_id: "half" })}\n`
    )
    const answers = ["\\frac{1}{2}", "0.5", "1/2", "3", "3"]
    const voters = Backend.define({
      kind: "voters",
      description: "Answers one half three ways and 3 twice (a test backend).",
      options: z.object({}).strict(),
      build: () =>
        Effect.succeed({
          label: "voters",
          languageModel: Scripted.languageModel((_request, index) => `## Step 1: think\n\nTherefore, the final answer is: $\\boxed{${answers[index] ?? "3"}}$.`),
          defaultVerifier: { kind: "scripted-half" }
        })
    })
    const registries = Registries.extend(OneShot.registries, { backends: [voters] })
    const recipe = await Effect.runPromise(
      Recipe.parse(
        {
          datasets: [{ kind: "math500", path: "half.jsonl" }],
          strategies: [{ kind: "self-consistency", options: { n: 5, batch: 5 } }],
          budgets: [{ label: "b", limits: {} }],
          backend: { kind: "voters" }
        },
        undefined,
        registries
      )
    )
    const outcome = await Effect.runPromise(
      Runner.run(recipe, { results: join(directory, "out.jsonl"), baseDirectory: directory, registries, progress: "none" })
    )
    expect(outcome.records).toHaveLength(1)
    expect(outcome.records[0]).toMatchObject({ correct: true, outcome: "correct" })
    // The record keeps the options as data: the equivalence (code) is left out.
    expect(outcome.records[0]?.options).not.toHaveProperty("equivalence")
  })

  it("starts every problem run with a cold prefix cache, so no strategy profits from another's identical requests", async () => {
    const directory = folder()
    const outcome = await Effect.runPromise(
      Runner.run(
        await Effect.runPromise(
          Recipe.parse({
            datasets: [{ kind: "simulator", count: 4, seed: 2 }],
            // The same rollout requests (same seeds) in both strategies.
            strategies: [
              { kind: "self-consistency", options: { n: 2, batch: 1, concurrency: 1 } },
              { kind: "best-of-n", options: { n: 2, batch: 1, concurrency: 1 } }
            ],
            budgets: [{ label: "b", limits: {} }],
            backend: { kind: "simulator", options: { prefixCache: {} } }
          })
        ),
        { results: join(directory, "results.jsonl"), progress: "none", concurrency: 1 }
      )
    )
    const cachedOf = (strategy: string) => outcome.records.filter((record) => record.strategy === strategy).map((record) => record.cachedInputTokens)
    // Two requests of one prompt: the second reads the first's prompt from the cache; nothing more.
    expect(cachedOf("self-consistency").every((cached) => cached > 0)).toBe(true)
    expect(cachedOf("best-of-n")).toEqual(cachedOf("self-consistency"))
    for (const record of outcome.records) expect(record.cachedInputTokens).toBeLessThan(record.inputTokens)
  })
})
