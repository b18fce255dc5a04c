import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, inject, it } from "vitest"
import { ResultRecord } from "@stepwise/harness"
import * as Paths from "../src/Paths.js"

// A slice of the default recipe, run by the command over the loopback simulator server with 20% of
// requests faulted (500, 503, 429, dropped connections, cut-off and non-JSON bodies), killed (SIGKILL or SIGINT) at
// random points and resumed until it finishes, must end with exactly the records of a clean run: the same cells,
// each with the same answer and spend. Loopback only; bounded by the slice (see `recipeFor`).
// The command from its sources, bundled once per test run by test/globalSetup.ts (a child starts in a second
// where tsx took 4–14 s); the built command is run by the consumer test.
const bin = inject("stepwiseCommand")
const problems = 1
const kills = 4

const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

const command = (args: ReadonlyArray<string>, output: "ignore" | "pipe" = "ignore") => {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", output, "pipe"] })
  children.push(child)
  let stderr = ""
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { child, exit, stderr: () => stderr }
}

/** Starts `stepwise serve-sim` on a free port (with more flags when given); resolves with its API root. */
const serve = async (faultPercent: number, more: ReadonlyArray<string> = []): Promise<string> => {
  const server = command(["serve-sim", "--port", "0", "--preset", "calibrated", "--seed", "0", "--fault-percent", String(faultPercent), "--fault-seed", "3", ...more], "pipe")
  return new Promise((resolve, reject) => {
    let stdout = ""
    server.child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stdout)?.[1]
      if (url !== undefined) resolve(url)
    })
    void server.exit.then((code) => reject(new Error(`serve-sim exited ${code}: ${server.stderr()}`)))
  })
}

type Sweep = ReadonlyArray<number> | Record<string, ReadonlyArray<number>>

/**
 * A slice of the default recipe over a server: its strategies with the two smallest sizes of each sweep, its budget
 * and a tight one (so that runs are cut short by the budget too), its seeds and prices, on its first problem.
 */
const recipeFor = (url: string) => {
  const recipe = JSON.parse(readFileSync(Paths.defaultRecipe, "utf8")) as Record<string, unknown> & {
    datasets: Array<Record<string, unknown>>
    strategies: Array<Record<string, unknown> & { sweep: Sweep }>
    budgets: Array<Record<string, unknown>>
  }
  delete recipe["$schema"]
  const smallest = (sweep: Sweep): Sweep =>
    Array.isArray(sweep) ? sweep.slice(0, 2) : Object.fromEntries(Object.entries(sweep).map(([name, values]) => [name, values.slice(0, 2)]))
  return {
    ...recipe,
    datasets: recipe.datasets.map((dataset) => ({ ...dataset, count: problems })),
    strategies: recipe.strategies.map((strategy) => ({ ...strategy, sweep: smallest(strategy.sweep) })),
    budgets: [...recipe.budgets, { label: "tight", limits: { totalTokens: 3000 } }],
    backend: {
      kind: "openai-compatible",
      options: { url, model: "stepwise-sim", timeoutMillis: 2_000, retry: { times: 12, baseMillis: 1, capMillis: 4 } }
    },
    verifier: { kind: "simulator-prm", options: { preset: "calibrated", seed: 0 } }
  }
}

const linesOf = (file: string): ReadonlyArray<string> =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : []

/** The records of a results file (whole lines only), the last of each key. */
const recordsOf = (file: string): ReadonlyArray<ResultRecord.ResultRecord> =>
  ResultRecord.latest(
    linesOf(file).flatMap((line) => {
      const parsed = ResultRecord.ResultRecord.safeParse(JSON.parse(line))
      return parsed.success ? [parsed.data] : []
    })
  )

/** Per cell and problem (the backend's address left out: the two runs use two servers), the answer and the spend. */
const summariesOf = (records: ReadonlyArray<ResultRecord.ResultRecord>): Record<string, string> =>
  Object.fromEntries(
    records
      .map((record) => [
        JSON.stringify([record.dataset, record.strategy, record.configuration, record.budget, record.seed, record.problemId]),
        [record.answer, record.correct, record.outcome, record.noAnswer, record.error, record.budgetExhausted, record.inputTokens, record.cachedInputTokens, record.outputTokens, record.verifierCalls, record.verifierTokens, record.cost, JSON.stringify(record.measures)].join("|")
      ] as const)
      .sort(([left], [right]) => (left < right ? -1 : 1))
  )

const bench = (recipeFile: string, results: string) =>
  command(["bench", recipeFile, "--results", results, "--report", results.replace(/\.jsonl$/, ".html"), "--progress", "none"])

const waitFor = async (condition: () => boolean, limitMillis: number): Promise<boolean> => {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > limitMillis) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

describe("soak: faults, kills and resumes over the loopback server", () => {
  it("ends with exactly the records of a clean run", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stepwise-soak-"))
    const [clean, faulty] = await Promise.all([serve(0), serve(20)])

    // The clean run goes beside the soak (its own server, no faults); it is compared at the end.
    const cleanRecipe = join(folder, "clean.json")
    writeFileSync(cleanRecipe, JSON.stringify(recipeFor(clean)))
    const cleanResults = join(folder, "clean.jsonl")
    const cleanRun = bench(cleanRecipe, cleanResults)
    const cells = problems * 12 * 2

    const soakRecipe = join(folder, "soak.json")
    writeFileSync(soakRecipe, JSON.stringify(recipeFor(faulty)))
    const results = join(folder, "soak.jsonl")
    // Kill points: after a seeded share of the cells is written (a fixed stream, so a failure can be replayed).
    let state = 20_261_130
    const nextShare = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31
      return 0.1 + 0.7 * (state / 2 ** 31)
    }
    let interrupted = 0
    for (let kill = 0; kill < kills; kill++) {
      const run = bench(soakRecipe, results)
      const target = Math.min(cells - 1, linesOf(results).length + Math.max(1, Math.floor(nextShare() * (cells - linesOf(results).length))))
      const reached = await waitFor(() => linesOf(results).length >= target || run.child.exitCode !== null, 120_000)
      expect(reached).toBe(true)
      if (run.child.exitCode !== null) break
      const signal = kill % 2 === 0 ? "SIGKILL" : "SIGINT"
      run.child.kill(signal)
      const code = await run.exit
      expect(code === null || code === 130, `${signal}: exit ${code} ${run.stderr()}`).toBe(true)
      interrupted++
    }
    const last = bench(soakRecipe, results)
    expect(await last.exit, last.stderr()).toBe(0)
    expect(interrupted).toBeGreaterThanOrEqual(2)

    expect(await cleanRun.exit, cleanRun.stderr()).toBe(0)
    const expected = summariesOf(recordsOf(cleanResults))
    expect(Object.keys(expected)).toHaveLength(cells)
    // No error in the clean run: every cell ran to an answer or its budget.
    expect(Object.values(expected).filter((summary) => summary.split("|")[4] !== "")).toEqual([])
    // And the tight budget cut some runs short.
    expect(Object.values(expected).some((summary) => summary.split("|")[5] === "true")).toBe(true)
    expect(summariesOf(recordsOf(results))).toEqual(expected)
  }, 400_000)
})

describe("stepwise serve-sim and a question its world cannot model", () => {
  const ask = (root: string, content: string) =>
    fetch(`${root}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "stepwise-sim", messages: [{ role: "user", content }], max_tokens: 64 })
    })

  it("refuses it with a 400 saying why, as stepwise solve does; answers it when told to, and its own questions always", async () => {
    const refusing = await serve(0)
    const refused = await ask(refusing, "What is the sum of the first 20 odd numbers?")
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain("the simulator cannot model this problem")
    expect((await ask(refusing, "Maya starts with 21 shells. Maya loses 14 of them. How many shells does Maya have at the end?")).status).toBe(200)
    const answering = await serve(0, ["--unmodelled", "answer"])
    expect((await ask(answering, "What is the sum of the first 20 odd numbers?")).status).toBe(200)
  })
})
