/**
 * The server's own cost per request, measured side by side in one run: the same searches on the same problems
 * (the simulator in process as upstream) run directly (`strategy.run` under an accountant) and through
 * `stepwise serve` over loopback HTTP, non-streaming and streaming. Prints milliseconds per request and the ratio
 * to the direct call, for a one-call search (best-of-1, where the server's overhead shows most) and a full search
 * (A*, default options). The loopback floor is a bare `node:http` server answering the same request with a fixed
 * body: what any HTTP hop costs on this machine, so "served − floor − direct" is the server's own work. Each figure is the median of 3 rounds, the three paths measured in turn in each round
 * (after one warm-up round), so drift on a shared machine touches all of them alike.
 * Run: npx tsx packages/server/bench/overhead.ts [requests]
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel, Registry } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"
import { Server, Upstream } from "../src/index.js"

const count = Number(process.argv[2] ?? 200)
const world = World.make(Presets.calibrated, { seed: 0 })
const problems = World.problems(world, { count, seed: 5 })
const budget = { totalTokens: 20_000 }

const direct = async (kind: string, options: Record<string, unknown>) => {
  const strategy = await Effect.runPromise(Registry.make(Strategies.registry, kind, options, undefined))
  const started = performance.now()
  for (const problem of problems) {
    const accountant = await Effect.runPromise(Accountant.make(budget))
    await Effect.runPromise(
      strategy.run(problem).pipe(
        Effect.provideService(LanguageModel.LanguageModel, world.languageModel),
        Effect.provideService(ProcessRewardModel.ProcessRewardModel, world.processRewardModel),
        Accountant.provide(accountant)
      )
    )
  }
  return (performance.now() - started) / problems.length
}

const served = async (url: string, kind: string, options: Record<string, unknown>, stream: boolean) => {
  const started = performance.now()
  for (const problem of problems) {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // The problem's own messages (its system prompt and question), so both paths run the same search.
      body: JSON.stringify({ model: `${kind}:${World.modelName}`, messages: problem.messages, stream, stepwise: { options, budget } })
    })
    const text = await response.text()
    if (response.status !== 200) throw new Error(`${response.status}: ${text}`)
  }
  return (performance.now() - started) / problems.length
}

// The loopback floor: a bare server that reads the request and answers a body of a completion's size.
const floor = createServer((request, response) => {
  request.resume()
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json" })
    response.end(JSON.stringify({ object: "chat.completion", padding: "x".repeat(1500) }))
  })
})
await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve))
const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}`

const server = await Server.listen({
  upstream: Upstream.fromBackend({ name: "simulator", languageModel: world.languageModel, processRewardModel: world.processRewardModel }),
  keepRuns: 4
})
const searches: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
  ["best-of-1", "best-of-n", { n: 1 }],
  ["a-star", "a-star", {}]
]
console.log(`${count} problems, sequential requests, ms per request (ratio to the direct call)`)
console.log("| search | direct | loopback floor | served | served, streaming |")
console.log("| --- | --- | --- | --- | --- |")
const median = (values: ReadonlyArray<number>) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!
for (const [label, kind, options] of searches) {
  // Warm up every path once (module loading, JIT, the connection).
  await direct(kind, options)
  await served(server.url, kind, options, false)
  await served(server.url, kind, options, true)
  await served(floorUrl, kind, options, false)
  const rounds: Array<ReadonlyArray<number>> = []
  for (let round = 0; round < 3; round++)
    rounds.push([
      await direct(kind, options),
      await served(floorUrl, kind, options, false),
      await served(server.url, kind, options, false),
      await served(server.url, kind, options, true)
    ])
  const [plain, bare, overHttp, streamed] = [0, 1, 2, 3].map((index) => median(rounds.map((round) => round[index]!))) as [number, number, number, number]
  const ratio = (value: number) => `${value.toFixed(2)} (×${(value / plain).toFixed(2)})`
  console.log(`| ${label} | ${plain.toFixed(2)} | ${bare.toFixed(2)} | ${ratio(overHttp)} | ${ratio(streamed)} |`)
}
await server.close()
floor.close()
