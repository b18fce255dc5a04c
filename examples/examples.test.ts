import { mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as BenchmarkRecipe from "./benchmark-recipe.js"
import * as ComposeAStar from "./compose-astar.js"
import * as CustomPrm from "./custom-prm.js"
import * as OpenAiEndpoint from "./openai-endpoint.js"
import * as ThinkPrmVerification from "./thinkprm-verification.js"
import * as ThirdPartyKinds from "./third-party-kinds.js"
import * as ThirdPartyStrategy from "./third-party-strategy.js"
import { Registries } from "@stepwise/harness"
import { Strategy as StrategySuite, Vitest } from "@stepwise/conformance"
import { Registry } from "@stepwise/core"
import { Main } from "@stepwise/cli"
import { NodeServices } from "@effect/platform-node"
import { fileURLToPath } from "node:url"

// Every example runs as a user would run it; each check is what the example claims to show.
describe("examples", () => {
  it("compose-astar answers within its shared budget", async () => {
    const result = await Effect.runPromise(ComposeAStar.program)
    expect(result.outcome._tag).toBe("Answered")
    expect(result.spend.totalTokens).toBeLessThanOrEqual(6000)
    expect(result.spend.verifierCalls).toBeLessThanOrEqual(60)
  })

  it("custom-prm runs best-of-8 with and without the user's PRM", async () => {
    const report = await Effect.runPromise(CustomPrm.program)
    expect(Object.keys(report).sort()).toEqual(["world PRM", "world PRM + whole-counts"])
    for (const entry of Object.values(report)) {
      expect(entry.solved).toBeGreaterThan(0)
      expect(entry.solved).toBeLessThanOrEqual(20)
    }
    // The ensemble asks both members about every sample: each member's call is metered once, so twice the calls.
    expect(report["world PRM + whole-counts"]?.verifierCalls).toBe(2 * (report["world PRM"]?.verifierCalls ?? 0))
  })

  it("thinkprm-verification scores the right solution above the wrong one, metered as verifier spend", async () => {
    const { scores, spent } = await Effect.runPromise(ThinkPrmVerification.program)
    expect(scores["right"]?.at(-1)).toBeGreaterThan(scores["wrong"]?.at(-1) ?? 1)
    expect(spent.verifierCalls).toBe(2)
    expect(spent.verifierTokens).toBeGreaterThan(0)
    expect(spent.totalTokens).toBe(0)
  })

  it("openai-endpoint runs beam search over HTTP against the loopback simulator server", async () => {
    const result = await Effect.runPromise(OpenAiEndpoint.program)
    expect(result.answer).toBeDefined()
    expect(result.spend.totalTokens).toBeLessThanOrEqual(20_000)
    expect(result.spend.verifierCalls).toBeGreaterThan(0)
  })

  it("benchmark-recipe runs every cell of the recipe and renders plots", async () => {
    const folder = await mkdtemp(join(tmpdir(), "stepwise-example-"))
    const { outcome, report } = await BenchmarkRecipe.main(join(folder, "results.jsonl"))
    expect(outcome.records).toHaveLength(3 * 2 * 12)
    expect(report.html.match(/<svg/g)?.length ?? 0).toBeGreaterThanOrEqual(2)
    expect(report.rows.every((row) => (row.summary.eflops ?? 0) > 0)).toBe(true)
  })

  it("third-party-strategy registers a strategy from outside and runs it through solve, a recipe and the CLI", async () => {
    const folder = await mkdtemp(join(tmpdir(), "stepwise-example-"))
    const { solved, benchmark } = await ThirdPartyStrategy.main(join(folder, "results.jsonl"))
    expect(solved.strategy).toBe("temperature-ladder-5")
    // Five samples, one per rung: the tree has five finished leaves under the root.
    expect(solved.candidates).toHaveLength(5)
    expect(benchmark.outcome.records.filter((record) => record.strategyName === "temperature-ladder")).toHaveLength(6)
    expect(benchmark.report.rows.map((row) => row.strategy).sort()).toEqual(["best-of-n", "temperature-ladder"])
    // As a plugin module: the registries gain the kind, and the command line lists it with its defaults.
    const file = fileURLToPath(new URL("./third-party-strategy.ts", import.meta.url))
    const registries = await Effect.runPromise(Registries.load([file]))
    expect(registries.strategies.kinds).toContain("temperature-ladder")
    const printed: Array<string> = []
    const log = console.log
    console.log = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.join(" "))
    try {
      await Effect.runPromise(Main.run(["list", "strategies", "--plugin", file]).pipe(Effect.provide(NodeServices.layer)))
    } finally {
      console.log = log
    }
    expect(printed.join("\n")).toMatch(/temperature-ladder — N samples at temperatures/)
    expect(printed.join("\n")).toMatch(/hottest\s+number ≥ 0\s+default 1.2/)
  })

  it("third-party-kinds registers a verifier, a backend and a cost model from outside and runs them through solve and the CLI", async () => {
    const solved = await ThirdPartyKinds.main()
    expect(solved.answer).toBe("5")
    // The 2,000-token budget cannot hold three 1,024-token samples in one request, so best-of-n splits them into
    // three requests (3 × 20 prompt tokens): three calls at 2 and three scores at 1, cost 9 in the per-call unit.
    expect(solved.spend.inputTokens).toBe(60)
    expect(solved.spend.verifierCalls).toBe(3)
    expect(solved.spend.cost).toBe(9)
    const file = fileURLToPath(new URL("./third-party-kinds.ts", import.meta.url))
    const registries = await Effect.runPromise(Registries.load([file]))
    expect(registries.verifiers.kinds).toContain("brevity")
    expect(registries.backends.kinds).toContain("canned")
    expect(registries.costModels.kinds).toContain("per-call")
    const printed: Array<string> = []
    const log = console.log
    console.log = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.join(" "))
    try {
      await Effect.runPromise(
        Main.run(["solve", "What is 2 + 3?", "--plugin", "examples/third-party-kinds.ts", "--backend", "canned", "--verifier", "brevity", "--cost-model", "per-call", "--strategy", "best-of-n", "--options", '{"n":2}']).pipe(
          Effect.provide(NodeServices.layer)
        )
      )
      await Effect.runPromise(Main.run(["list", "verifiers", "--plugin", file]).pipe(Effect.provide(NodeServices.layer)))
    } finally {
      console.log = log
    }
    const text = printed.join("\n")
    expect(text).toMatch(/answer: {3}5/)
    expect(text).toMatch(/on canned with brevity\(24\)/)
    // One request of two samples (cost 1) and two scores (1 each).
    expect(text).toMatch(/cost 3 calls/)
    expect(text).toMatch(/brevity — Scores a step 1 up to/)
    expect(text).toMatch(/words\s+integer ≥ 1\s+default 24/)
  })
})

// A third party checks its strategy with one call: the exported strategy conformance suite.
Vitest.register(
  { describe, it },
  "third-party-strategy passes the strategy conformance suite",
  StrategySuite.cases({
    name: "temperature-ladder",
    usesVerifier: false,
    make: (seed, { maxTokens }) => Registry.make(ThirdPartyStrategy.strategies, "temperature-ladder", { samples: 4, seed, maxTokens }, undefined)
  }),
  60_000
)
