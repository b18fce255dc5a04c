import { execFile, spawn } from "node:child_process"
import { mkdtemp, readFile, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { beforeAll, describe, expect, inject, it } from "vitest"
import { Presets, Server, World } from "@stepwise/simulator"

// The command from its sources, bundled once per test run by test/globalSetup.ts (a child starts in a second
// where tsx took 4–14 s); the built command is run by the consumer test.
const bin = inject("stepwiseCommand")
const run = promisify(execFile)

/** Runs the real `stepwise` command in a child process; never throws, returns the exit code and output. */
const stepwise = async (...args: ReadonlyArray<string>) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" }
  }
}

let folder = ""
const recipe = {
  name: "cli-tiny",
  datasets: [{ kind: "simulator", count: 4, seed: 3 }],
  strategies: [{ kind: "best-of-n", options: { n: 4 } }, { kind: "particle-filtering", options: { particles: 4 } }],
  budgets: [
    { label: "2k", limits: { totalTokens: 2000 } },
    { label: "4k", limits: { totalTokens: 4000 } }
  ],
  backend: { kind: "simulator", options: { preset: "calibrated", seed: 0 } }
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "stepwise-cli-"))
  await writeFile(join(folder, "recipe.json"), JSON.stringify(recipe))
  await writeFile(join(folder, "bad.json"), JSON.stringify({ ...recipe, budgets: [{ label: "x", limits: { totalTokens: -5 } }] }))
})

describe("stepwise CLI", () => {
  it("lists its commands in --help", async () => {
    const result = await stepwise("--help")
    expect(result.code).toBe(0)
    for (const command of ["bench", "solve", "report", "serve", "serve-sim"]) expect(result.stdout).toContain(command)
  })

  it("benchmarks a recipe, writes the report, and resumes on a rerun", async () => {
    const results = join(folder, "results.jsonl")
    const report = join(folder, "report.html")
    const first = await stepwise("bench", join(folder, "recipe.json"), "--results", results, "--report", report, "--progress", "lines")
    expect(first.code).toBe(0)
    expect(first.stdout).toContain("best-of-n")
    expect(first.stdout).toContain("particle-filtering")
    expect(first.stderr).toContain("16 problem runs now, 0 resumed")
    const lines = (await readFile(results, "utf8")).trim().split("\n")
    expect(lines).toHaveLength(16)
    expect(await readFile(report, "utf8")).toContain("<svg")
    expect(await readFile(join(folder, "report.md"), "utf8")).toContain("| best-of-n")

    const second = await stepwise("bench", join(folder, "recipe.json"), "--results", results, "--report", report, "--progress", "none")
    expect(second.code).toBe(0)
    expect(second.stderr).toContain("0 problem runs now, 16 resumed")
    expect((await readFile(results, "utf8")).trim().split("\n")).toHaveLength(16)

    const rerendered = await stepwise("report", results, "--html", join(folder, "again.html"), "--markdown", join(folder, "again.md"))
    expect(rerendered.code).toBe(0)
    expect(await readFile(join(folder, "again.html"), "utf8")).toContain("<svg")
    // The same tables, figure for figure, as bench's own report (but the commit, which a results file does not keep),
    // though the file's lines follow the order the runs finished in; titled after the results file.
    const tables = (text: string) => text.split("\n").filter((line) => !line.includes("runs; commit")).join("\n")
    const again = await readFile(join(folder, "again.md"), "utf8")
    expect(tables(again).replace("# stepwise benchmark: results", "# stepwise benchmark: cli-tiny")).toBe(tables(await readFile(join(folder, "report.md"), "utf8")))

    // A report pointed at the results file would overwrite them: refused, the results untouched.
    const before = await readFile(results, "utf8")
    for (const args of [
      ["bench", join(folder, "recipe.json"), "--results", results, "--report", results],
      ["report", results, "--html", results],
      ["report", results, "--markdown", join(folder, ".", "results.jsonl")],
      ["report", results, "--html", join(folder, "same.html"), "--markdown", join(folder, "same.html")]
    ]) {
      const refused = await stepwise(...args)
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toMatch(/would overwrite it/)
    }
    expect(await readFile(results, "utf8")).toBe(before)
  })

  it("warns of a cell whose budget fits no call (every run spent nothing), and ranks nothing when nothing answered", async () => {
    const tiny = { ...recipe, name: "cli-no-room", strategies: [{ kind: "best-of-n", options: { n: 2 } }], budgets: [{ label: "300", limits: { totalTokens: 300 } }] }
    await writeFile(join(folder, "tiny.json"), JSON.stringify(tiny))
    const result = await stepwise("bench", join(folder, "tiny.json"), "--results", join(folder, "tiny.jsonl"), "--report", join(folder, "tiny.html"), "--progress", "none")
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('warning: best-of-n at budget "300" spent nothing on any problem')
    expect(result.stdout).toContain("No run answered correctly, so no strategy is ranked")
  })

  it("report says a results file that is not there does not exist, and one with no results holds none", async () => {
    const missing = await stepwise("report", join(folder, "no-such-results.jsonl"))
    expect(missing.code).not.toBe(0)
    expect(missing.stderr + missing.stdout).toContain("no-such-results.jsonl: does not exist")
    await writeFile(join(folder, "empty.jsonl"), "")
    const empty = await stepwise("report", join(folder, "empty.jsonl"))
    expect(empty.code).not.toBe(0)
    expect(empty.stderr + empty.stdout).toContain("holds no results")
  })

  it("on Ctrl-C says where the finished runs are and how to go on, and the same command resumes from there", async () => {
    const big = { ...recipe, name: "cli-interrupted", datasets: [{ kind: "simulator", count: 400, seed: 3 }] }
    const recipeFile = join(folder, "big.json")
    const results = join(folder, "big.jsonl")
    await writeFile(recipeFile, JSON.stringify(big))
    const child = spawn(process.execPath, [bin, "bench", recipeFile, "--results", results, "--report", join(folder, "big.html"), "--progress", "lines"], { env: { ...process.env, NO_COLOR: "1" } })
    let stderr = ""
    // Interrupt once some runs are done (a progress line with a count above zero): 1,600 runs leave a few seconds
    // between the first progress line and the end even on a fast machine.
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      if (/\[[1-9]\d*\/1600\]/.test(stderr) && child.exitCode === null && !child.killed) child.kill("SIGINT")
    })
    await new Promise((resolve) => child.once("exit", resolve))
    expect(stderr).toContain(`interrupted: the finished problem runs are kept in ${results}; run the same command again to resume`)
    const kept = (await readFile(results, "utf8")).trim().split("\n").filter((line) => line !== "").length
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(1600)
    const rerun = await stepwise("bench", recipeFile, "--results", results, "--report", join(folder, "big.html"), "--progress", "none")
    expect(rerun.code).toBe(0)
    expect(rerun.stderr).toContain(`${1600 - kept} problem runs now, ${kept} resumed`)
  }, 120_000)

  it("says which recipe field is wrong", async () => {
    const result = await stepwise("bench", join(folder, "bad.json"), "--results", join(folder, "bad.jsonl"))
    expect(result.code).not.toBe(0)
    expect(result.stderr + result.stdout).toContain("totalTokens")
  })

  it("solves a generated simulator problem and prints the spend", async () => {
    const result = await stepwise("solve", "--strategy", "best-of-n", "--options", '{"n":4}', "--budget", "3000", "--seed", "2")
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/answer: {3}\S/)
    expect(result.stdout).toMatch(/spend: {4}\d+ input \+ \d+ output tokens/)
    // The expected answer is known: the verdict follows the answer, as the benchmark grades it.
    const expected = /expected: (\S+)/.exec(result.stdout)?.[1]
    const answer = /answer: {3}(\S+)/.exec(result.stdout)?.[1]
    expect(result.stdout).toContain(`answer:   ${answer} (${answer === expected ? "right" : "wrong"})`)
  })

  it("solves through an OpenAI-compatible endpoint, with a generative or a pooling verifier", async () => {
    const world = World.make(Presets.calibrated)
    const [problem] = World.problems(world, { count: 1, seed: 4, difficulty: 2 })
    if (problem === undefined) throw new Error("no problem generated")
    const server = await Server.listen(world, { port: 0 })
    try {
      for (const verifier of ["think-prm", "pooling-prm"]) {
        const result = await stepwise(
          "solve", problem.question, "--endpoint", `${server.url}/v1`, "--model", World.modelName,
          "--verifier", verifier, "--strategy", "best-of-n", "--options", '{"n":2}', "--budget", "3000"
        )
        expect(result.code).toBe(0)
        // No --kind: the server's models list names vLLM (serve-sim answers as vLLM does), so it is used as one.
        expect(result.stdout).toContain("on vllm/stepwise-sim")
        expect(result.stdout).toMatch(/[1-9]\d* verifier calls/)
      }
    } finally {
      await server.close()
    }
  })

  it("names an unknown strategy", async () => {
    const result = await stepwise("solve", "--strategy", "depth-first")
    expect(result.code).not.toBe(0)
    expect(result.stderr + result.stdout).toContain("depth-first")
  })
})
