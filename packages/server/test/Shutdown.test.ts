import { describe, expect, it } from "vitest"
import * as Served from "./fixtures/Served.js"

// A server stopping (Ctrl-C, SIGTERM) with requests in flight: each client learns why its answer ends there.
describe("a server that stops with requests in flight", () => {
  it("ends a stream with a server_shutting_down error, and answers a waiting request with a 503", async () => {
    const { server, world } = await Served.start({ latency: { timeToFirstTokenMillis: 200, millisPerOutputToken: 0 } })
    const question = Served.problems(world, 1)[0]!.question
    const ask = (stream: boolean) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "a-star:stepwise-sim", messages: [{ role: "user", content: question }], stream })
      })
    const streamed = await ask(true)
    expect(streamed.status).toBe(200)
    const waiting = ask(false)
    await Served.waitUntil(() => server.state().activeRequests === 2, "both requests run")
    await server.close()
    const events = (await streamed.text()).split("\n\n").filter((part) => part.startsWith("data: "))
    const last = JSON.parse(events.at(-1)!.slice(6)) as { error?: { code: string; message: string } }
    expect(last.error).toMatchObject({ code: "server_shutting_down" })
    expect(last.error?.message).toContain("shutting down")
    const plain = await waiting
    expect(plain.status).toBe(503)
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe("server_shutting_down")
  })
})
