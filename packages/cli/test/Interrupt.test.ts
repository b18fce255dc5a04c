import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, inject, it } from "vitest"
import { Presets, Server, World } from "@stepwise/simulator"

// The command from its sources, bundled once per test run by test/globalSetup.ts (a child starts in a second
// where tsx took 4–14 s); the built command is run by the consumer test.
const bin = inject("stepwiseCommand")

const concurrency = 8

// A run of the simulator long enough to interrupt at several points: 400 problems × 3 configurations.
const recipe = {
  name: "interrupt",
  datasets: [{ kind: "simulator", count: 400, seed: 5 }],
  strategies: [{ kind: "best-of-n", sweep: [4, 8, 16] }],
  budgets: [{ label: "cap", limits: { totalTokens: 50_000 } }],
  backend: { kind: "simulator" },
  concurrency
}

const linesOf = (file: string): ReadonlyArray<string> =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : []

const waitFor = async (condition: () => boolean, limitMillis: number): Promise<void> => {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > limitMillis) throw new Error("timed out waiting")
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe("stepwise bench and Ctrl-C", () => {
  // No timing is asserted (the machine may be loaded): a prompt stop shows as the problems that finish after the
  // signal — only those in flight may, never a stream of new ones. Before the runner yielded to the event loop, a
  // signal waited for seconds while hundreds more problems ran.
  for (const at of [10, 300, 900])
    it(`stops starting problems at once when interrupted after ${at} results, and exits 130 with whole lines`, async () => {
      const folder = mkdtempSync(join(tmpdir(), "stepwise-interrupt-"))
      const recipeFile = join(folder, "recipe.json")
      const results = join(folder, "results.jsonl")
      writeFileSync(recipeFile, JSON.stringify(recipe))
      const child = spawn(process.execPath, [bin, "bench", recipeFile, "--results", results, "--report", join(folder, "report.html"), "--progress", "none"], {
        stdio: ["ignore", "ignore", "pipe"]
      })
      const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      await waitFor(() => linesOf(results).length >= at, 180_000)
      const atSignal = linesOf(results).length
      child.kill("SIGINT")
      expect(await exit).toBe(130)
      const after = linesOf(results).length
      expect(readFileSync(results, "utf8").endsWith("\n")).toBe(true)
      expect(after - atSignal).toBeLessThanOrEqual(3 * concurrency)
      expect(after).toBeLessThan(1200)
    }, 240_000)
})

describe("stepwise solve and Ctrl-C", () => {
  it("says what was spent and keeps the tree so far (it printed nothing and wrote no tree), then exits 130", async () => {
    const world = World.make(Presets.calibrated)
    // Every model call takes 300 ms: the search is still running when the signal comes.
    const server = await Server.listen(world, { port: 0, latencyMillis: 300 })
    try {
      const tree = join(mkdtempSync(join(tmpdir(), "stepwise-solve-interrupt-")), "tree.json")
      const question = "A farmer has 17 sheep and buys 5 more. How many sheep does the farmer have?"
      const child = spawn(
        process.execPath,
        [bin, "solve", question, "--endpoint", server.url, "--kind", "vllm", "--model", World.modelName, "--strategy", "beam-search", "--tree", tree],
        { stdio: ["ignore", "pipe", "pipe"] }
      )
      let stderr = ""
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
      const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      await new Promise((resolve) => setTimeout(resolve, 3000))
      child.kill("SIGINT")
      expect(await exit).toBe(130)
      expect(stderr).toMatch(/interrupted: spent \d+ input \+ \d+ output tokens, \d+ verifier calls/)
      const saved = JSON.parse(readFileSync(tree, "utf8")) as { readonly end?: { readonly status: string } }
      expect(saved.end?.status).toBe("interrupted")
    } finally {
      await server.close()
    }
  }, 60_000)
})
