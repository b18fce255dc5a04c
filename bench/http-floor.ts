/**
 * What one HTTP request costs on this machine before any of our code runs: a small JSON POST over a kept-alive
 * loopback connection to a minimal `node:http` server in another process (which answers at once with a small JSON
 * body), sent with bare `node:http`, and with core's `PooledFetch.fetch` (the same plus a WHATWG `Response` and its
 * `text()`), one at a time and sixteen at once, in five rounds whose order of clients alternates. Reported per request
 * (each row the median of its rounds): wall time, and the client's CPU time (user +
 * system, from `process.cpuUsage`); and, for sixteen at once, that CPU time × 16 as a share of a 25 ms round — the
 * part of a sixteen-request round a client spends only sending and receiving, whatever else it does.
 *
 *   npx tsx bench/http-floor.ts [--requests 3000] [--latency 25]
 */
import { spawn } from "node:child_process"
import { Agent, request as httpRequest } from "node:http"
import { PooledFetch } from "@stepwise/core"

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}
const requests = Number(argument("requests", "3000"))
const latency = Number(argument("latency", "25"))

// The server: a child process answering every POST at once.
const serverSource = `
  const http = require("node:http")
  http.createServer((request, response) => {
    request.on("data", () => {})
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" })
      response.end('{"id":"x","object":"list","data":[{"index":0,"data":[[0.1,0.9]]}]}')
    })
  }).listen(0, "127.0.0.1", function () { console.log(this.address().port) })`
const child = spawn(process.execPath, ["-e", serverSource], { stdio: ["ignore", "pipe", "inherit"] })
process.on("exit", () => child.kill())
const port = await new Promise<number>((resolve) => child.stdout.once("data", (data: Buffer) => resolve(Number(String(data).trim()))))
const url = `http://127.0.0.1:${port}/pooling`
const body = JSON.stringify({ model: "prm", messages: [{ role: "user", content: "What is 2 + 3?" }, { role: "assistant", content: "2 + 3 = 5<extra_0>" }] })

const agent = new Agent({ keepAlive: true })
const bare = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const sent = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/pooling", agent, headers: { "content-type": "application/json" } }, (reply) => {
      reply.resume()
      reply.on("end", resolve)
    })
    sent.on("error", reject)
    sent.end(body)
  })
const pooled = async (): Promise<void> => {
  const response = await PooledFetch.fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })
  await response.text()
}

interface Figure {
  readonly wallMicros: number
  readonly cpuMicros: number
}

const measure = async (send: () => Promise<void>, width: number): Promise<Figure> => {
  const rounds = Math.max(1, Math.floor(requests / width))
  for (let round = 0; round < Math.min(rounds, 50); round++) await Promise.all(Array.from({ length: width }, send))
  const started = performance.now()
  const cpu = process.cpuUsage()
  for (let round = 0; round < rounds; round++) await Promise.all(Array.from({ length: width }, send))
  const used = process.cpuUsage(cpu)
  const count = rounds * width
  return { wallMicros: ((performance.now() - started) * 1000) / count, cpuMicros: (used.user + used.system) / count }
}

const clients = [
  ["node:http", bare],
  ["PooledFetch.fetch + text()", pooled]
] as const
// Five rounds, the clients' order alternating between rounds; each row is its median round.
const figures = new Map<string, Array<Figure>>()
for (let round = 0; round < 5; round++)
  for (const [label, send] of round % 2 === 0 ? clients : [...clients].reverse())
    for (const width of [1, 16]) {
      const key = `${label}|${width}`
      figures.set(key, [...(figures.get(key) ?? []), await measure(send, width)])
    }
const medianOf = (values: ReadonlyArray<number>) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!

console.log(`one small JSON POST over a kept-alive loopback connection, ${requests} requests per row and round (µs per request, median of 5 rounds)`)
console.log("| client | at once | wall | client CPU | 16 × CPU ÷ round |")
console.log("| --- | ---: | ---: | ---: | ---: |")
for (const [label] of clients)
  for (const width of [1, 16]) {
    const rounds = figures.get(`${label}|${width}`)!
    const wall = medianOf(rounds.map((figure) => figure.wallMicros))
    const cpu = medianOf(rounds.map((figure) => figure.cpuMicros))
    const share = width === 16 ? `${(((16 * cpu) / (latency * 1000)) * 100).toFixed(1)}% of ${latency} ms` : "—"
    console.log(`| ${label} | ${width} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} | ${share} |`)
  }
child.kill()
process.exit(0)
