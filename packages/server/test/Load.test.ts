import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Resource } from "@stepwise/core"
import { HuggingFace } from "@stepwise/models"
import { Presets, Server as SimulatorServer, World } from "@stepwise/simulator"
import { Server, Upstream } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

// A bounded load test on loopback: 200 requests, 32 at a time, through `stepwise serve` to the simulator's HTTP
// server with injected faults (5xx, 429 with Retry-After, dropped connections, cut and malformed bodies, slow
// answers), reached through the Hugging Face backend (its retries and time limits), under a global budget that runs
// out part-way. Every request must end in an answer or a typed error, the global budget must hold, and nothing may
// be left behind.

const requests = 200
const concurrent = 32
const serverTokens = 150_000

/** The handles that keep a process alive, by kind (sockets, servers, timers). */
const handleCounts = () => {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

type Ending =
  | { readonly kind: "answer"; readonly status: 200; readonly outcome: string }
  | { readonly kind: "error"; readonly status: number; readonly type: string; readonly retryAfter: string | null }
  | { readonly kind: "aborted" }

const errorTypes = ["rate_limit_error", "insufficient_quota", "upstream_error"]

/**
 * One request as a client sends it, coming back after `Retry-After` (up to 3 times) when the server is busy;
 * streaming ones read the events to the end.
 */
const ask = async (url: string, index: number, question: string): Promise<Ending> => {
  let ending = await askOnce(url, index, question)
  for (let attempt = 0; attempt < 3 && ending.kind === "error" && ending.type === "rate_limit_error"; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, Number(ending.kind === "error" ? ending.retryAfter : 1) * 1000))
    ending = await askOnce(url, index, question)
  }
  return ending
}

const askOnce = async (url: string, index: number, question: string): Promise<Ending> => {
  const strategies = [
    { model: "best-of-n:stepwise-sim", options: { n: 2 } },
    { model: "beam-search:stepwise-sim", options: { beams: 2, width: 2, stepTokens: 128, maxTokens: 512 } },
    { model: "a-star:stepwise-sim", options: { expansions: 2, stepTokens: 128, maxTokens: 512 } }
  ]
  const strategy = strategies[index % strategies.length]!
  const stream = index % 4 === 0
  const controller = new AbortController()
  const abandon = index % 25 === 7
  if (abandon) setTimeout(() => controller.abort(), 30)
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-stepwise-budget-total-tokens": String(1500 + (index % 5) * 500) },
      body: JSON.stringify({ model: strategy.model, messages: [{ role: "user", content: question }], stream, stepwise: { options: strategy.options } }),
      signal: controller.signal
    })
    if (!stream || response.status !== 200) {
      const body = (await response.json()) as { stepwise?: { outcome: string }; error?: { type: string } }
      if (response.status === 200) return { kind: "answer", status: 200, outcome: body.stepwise!.outcome }
      return { kind: "error", status: response.status, type: body.error?.type ?? "(none)", retryAfter: response.headers.get("retry-after") }
    }
    const text = await response.text()
    const events = text
      .split("\n\n")
      .filter((part) => part.startsWith("data: ") && part !== "data: [DONE]")
      .map((part) => JSON.parse(part.slice(6)) as { error?: { type: string; retry_after_seconds?: number }; stepwise?: { type: string; outcome?: string } })
    const failure = events.find((event) => event.error !== undefined)
    // A stream's error comes after its 200 headers: its Retry-After is in the body.
    const retryAfter = failure?.error?.retry_after_seconds
    if (failure !== undefined) return { kind: "error", status: 200, type: failure.error!.type, retryAfter: retryAfter === undefined ? null : String(retryAfter) }
    const end = events.find((event) => event.stepwise?.type === "end")
    if (end === undefined || !text.endsWith("data: [DONE]\n\n")) throw new Error(`stream ${index} ended with neither an answer nor an error`)
    return { kind: "answer", status: 200, outcome: end.stepwise!.outcome! }
  } catch (error) {
    if (abandon && controller.signal.aborted) return { kind: "aborted" }
    throw error
  }
}

describe("load on loopback with upstream faults", () => {
  it(`${requests} requests, ${concurrent} at a time: each ends in an answer or a typed error, the global budget holds, nothing leaks`, async () => {
    const before = handleCounts()
    const world = World.make(Presets.calibrated, { seed: 3 })
    const simulator = await SimulatorServer.listen(world, {
      faults: { serverError: 0.03, unavailable: 0.02, rateLimited: 0.02, retryAfterSeconds: 1, slow: 0.04, slowMillis: 150, dropped: 0.02, truncated: 0.02, malformed: 0.02, seed: 9 }
    })
    const languageModel = await Effect.runPromise(
      HuggingFace.make({ endpointUrl: simulator.url, model: World.modelName, kind: "vllm", concurrency: 32, retry: { times: 2, baseMillis: 20, capMillis: 200 }, timeoutMillis: 5_000 })
    )
    const server = await Server.listen({
      upstream: Upstream.fromBackend({ name: "simulator over HTTP", languageModel, processRewardModel: world.processRewardModel }),
      upstreamConcurrency: 16,
      maxActiveRequests: 24,
      limits: { server: { totalTokens: serverTokens } },
      keepRuns: 8
    })
    const state0 = () => server.state()
    const questions = World.problems(world, { count: 50, seed: 4 }).map((problem) => problem.question)
    const endings: Array<Ending> = []
    let next = 0
    let peak = 0
    const worker = async () => {
      while (next < requests) {
        const index = next++
        endings[index] = await ask(server.url, index, questions[index % questions.length]!)
        peak = Math.max(peak, server.state().activeRequests)
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: concurrent }, worker))
    const wallSeconds = (performance.now() - started) / 1000

    // Every request ended, in an answer or a typed error.
    expect(endings).toHaveLength(requests)
    for (const ending of endings) {
      if (ending.kind === "answer") expect(["answered", "no-answer"]).toContain(ending.outcome)
      else if (ending.kind === "error") {
        expect(errorTypes, JSON.stringify(ending)).toContain(ending.type)
        if (ending.type === "rate_limit_error") expect(ending.retryAfter).toBe("1")
      }
    }
    const count = (predicate: (ending: Ending) => boolean) => endings.filter(predicate).length
    const answered = count((ending) => ending.kind === "answer" && ending.outcome === "answered")
    const upstreamErrors = count((ending) => ending.kind === "error" && ending.type === "upstream_error")
    const busy = count((ending) => ending.kind === "error" && ending.type === "rate_limit_error")
    const quota = count((ending) => ending.kind === "error" && ending.type === "insufficient_quota")
    console.info(
      `load: ${state0().budget.spent.totalTokens} of ${serverTokens} server tokens spent; ${answered} answered, ${count((ending) => ending.kind === "answer" && ending.outcome === "no-answer")} without an answer, ${upstreamErrors} upstream errors, ${busy} still busy after 3 tries, ${quota} over quota, ${count((ending) => ending.kind === "aborted")} abandoned by their client; peak ${peak} running; ${wallSeconds.toFixed(1)} s wall`
    )

    expect(answered, "most requests answer").toBeGreaterThan(requests / 4)
    expect(quota, "the global budget ran out and said so").toBeGreaterThan(0)
    expect(peak).toBeLessThanOrEqual(24)
    // The global budget holds, and it is the sum of what every request spent.
    await Served.waitUntil(() => server.state().activeRequests === 0, "every request stopped")
    const state = server.state()
    expect(state.budget.spent.totalTokens).toBeLessThanOrEqual(serverTokens)
    const summed = [...state.spentById.values()].reduce(Resource.add, Resource.none)
    for (const resource of Resource.all) expect(summed[resource], resource).toBeCloseTo(state.budget.spent[resource], 6)

    // Nothing leaks: no reservation, no open request budget, no call in the pool, and after closing no handle.
    expect(Served.nothingReserved(state.budget)).toBe(true)
    expect(state.budget.children.flatMap((key) => key.children)).toEqual([])
    expect(state.poolInUse + state.poolWaiting).toBe(0)
    await server.close()
    await simulator.close()
    await Served.waitUntil(() => {
      const after = handleCounts()
      return ["TCPServerWrap", "TCPSocketWrap"].every((kind) => (after.get(kind) ?? 0) <= (before.get(kind) ?? 0))
    }, "every server and socket closed")
  })
})
