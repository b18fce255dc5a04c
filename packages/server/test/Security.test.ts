import { Effect } from "effect"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { LanguageModel, Meter, Unavailable } from "@stepwise/core"
import { Server, Upstream } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

// Binding, API keys, and the rule that an upstream's credentials never reach a response, the metrics, the tree
// view or the log.

describe("binding", () => {
  it("listens on 127.0.0.1 by default", async () => {
    const { server } = await Served.start()
    try {
      expect(server.host).toBe("127.0.0.1")
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    } finally {
      await server.close()
    }
  })

  it("refuses another address without expose, and with expose but no API key", async () => {
    const { upstream } = Served.simulatorUpstream()
    await expect(Server.listen({ upstream, host: "0.0.0.0" })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "host" })
    await expect(Server.listen({ upstream, host: "0.0.0.0", expose: true })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "apiKeys" })
    await expect(Server.listen({ upstream, host: "0.0.0.0", expose: true, apiKeys: ["  "] })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "apiKeys" })
  })

  it("listens elsewhere with expose and a key, and then every endpoint but the page and health needs the key", async () => {
    const { upstream, world } = Served.simulatorUpstream()
    const key = "sk-stepwise-test-0123456789abcdef"
    const server = await Server.listen({ upstream, host: "0.0.0.0", expose: true, apiKeys: [key] })
    try {
      const base = `http://127.0.0.1:${server.port}`
      for (const path of ["/v1/models", "/metrics", "/v1/runs"]) {
        const refused = await fetch(`${base}${path}`)
        expect(refused.status, path).toBe(401)
        const wrong = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}x` } })
        expect(wrong.status, path).toBe(401)
        const allowed = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } })
        expect(allowed.status, path).toBe(200)
      }
      expect((await fetch(`${base}/health`)).status).toBe(200)
      expect((await fetch(`${base}/view`)).status).toBe(200)
      const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 })
      const response = await client.chat.completions.create({
        model: "best-of-n:stepwise-sim",
        messages: [{ role: "user", content: Served.problems(world, 1)[0]!.question }],
        stepwise: { options: { n: 2 } }
      } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      expect(response.choices[0]!.message.content).toContain("\\boxed")
      await expect(new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-wrong", maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 })
    } finally {
      await server.close()
    }
  })

  it("shows each key only the runs it started: listed, served and followed; another's is no such run", async () => {
    const { upstream, world } = Served.simulatorUpstream()
    const keys = ["sk-alpha-0123456789abcdef", "sk-beta-0123456789abcdef"]
    const server = await Server.listen({ upstream, apiKeys: keys })
    try {
      const as = (key: string) => ({ authorization: `Bearer ${key}` })
      const question = Served.problems(world, 1)[0]!.question
      const asked = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...as(keys[0]!), "content-type": "application/json" },
        body: JSON.stringify({ model: "best-of-n:stepwise-sim", messages: [{ role: "user", content: question }], stepwise: { options: { n: 2 } } })
      })
      const { id } = (await asked.json()) as { id: string }
      const listed = async (key: string) => ((await (await fetch(`${server.url}/v1/runs`, { headers: as(key) })).json()) as { data: Array<{ id: string }> }).data.map((run) => run.id)
      expect(await listed(keys[0]!)).toEqual([id])
      expect(await listed(keys[1]!)).toEqual([])
      for (const path of [`/v1/runs/${id}`, `/v1/runs/${id}/events`]) {
        const own = await fetch(`${server.url}${path}`, { headers: as(keys[0]!) })
        expect(own.status, path).toBe(200)
        await own.body?.cancel()
        const other = await fetch(`${server.url}${path}`, { headers: as(keys[1]!) })
        expect(other.status, path).toBe(404)
        expect(await other.text()).not.toContain(question)
      }
      // A malformed escape in a run id is the caller's error, not the server's.
      const malformed = await fetch(`${server.url}/v1/runs/%ZZ/events`, { headers: as(keys[0]!) })
      expect(malformed.status).toBe(400)
      expect(((await malformed.json()) as { error: { message: string } }).error.message).toContain("not a valid URL escape")
    } finally {
      await server.close()
    }
  })

  it("gives each key its own budget, on top of the server's", async () => {
    const { upstream, world } = Served.simulatorUpstream()
    const keys = ["sk-first-0123456789abcdef", "sk-second-0123456789abcdef"]
    const server = await Server.listen({ upstream, apiKeys: keys, limits: { key: { totalTokens: 1500 } } })
    try {
      const question = Served.problems(world, 1)[0]!.question
      const ask = (key: string) =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "best-of-n:stepwise-sim", messages: [{ role: "user", content: question }], stepwise: { options: { n: 8 } } })
        })
      // The first key spends its budget; then its requests are refused, while the second key still has its own.
      const endings: Array<number> = []
      for (let index = 0; index < 4; index++) endings.push((await ask(keys[0]!)).status)
      expect(endings).toContain(429)
      expect((await ask(keys[1]!)).status).toBe(200)
      const budgets = server.state().budget.children
      expect(budgets.map((budget) => budget.label)).toEqual(["server/key-1", "server/key-2"])
      for (const budget of budgets) expect(budget.spent.totalTokens).toBeLessThanOrEqual(1500)
    } finally {
      await server.close()
    }
  })
})

describe("credentials", () => {
  it("an upstream's key reaches no response, stream, metric, run, page or log line, even when the upstream echoes it", async () => {
    const secret = "sk-proj-Q3vX9kLm2Np8Rt5Wy7Zb4Cd6Fg1Hj0KsA2Bc4De6"
    const hidden = "correct-horse-battery-staple"
    const { world } = Served.simulatorUpstream()
    let calls = 0
    // An upstream whose failures quote its credentials, as misbehaving servers do.
    const echoing = LanguageModel.make(
      {
        info: { name: `leaky upstream ${hidden}`, model: "leaky" },
        generate: (request) => {
          calls++
          return calls % 3 === 0
            ? Effect.fail(new Unavailable({ backend: `leaky ${hidden}`, detail: `upstream said: invalid key ${secret} (token ${hidden})` }))
            : // The world's model meters itself: run it unmetered here, so the outer model meters the call once.
              world.languageModel.generate(request).pipe(Effect.provideService(Meter.Meter, Meter.unmetered), Effect.orDie)
        }
      },
      { retry: { times: 0, baseMillis: 1, capMillis: 1 } }
    )
    const upstream: Upstream.Upstream = { name: "leaky", model: "leaky", languageModel: echoing, processRewardModel: world.processRewardModel, secrets: [hidden] }
    const lines: Array<string> = []
    const server = await Server.listen({ upstream, log: (line) => lines.push(line) })
    try {
      const question = Served.problems(world, 1)[0]!.question
      const texts: Array<string> = []
      for (const stream of [false, true, false, true]) {
        const response = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "beam-search:leaky", messages: [{ role: "user", content: question }], stream, stepwise: { options: { beams: 2, width: 2 } } })
        })
        texts.push(await response.text())
      }
      expect(texts.some((text) => text.includes("upstream_error")), "the upstream's failure reached the client, scrubbed").toBe(true)
      texts.push(await (await fetch(`${server.url}/metrics`)).text())
      texts.push(await (await fetch(`${server.url}/view`)).text())
      const runs = (await (await fetch(`${server.url}/v1/runs`)).json()) as { data: Array<{ id: string }> }
      texts.push(JSON.stringify(runs))
      for (const run of runs.data) texts.push(await (await fetch(`${server.url}/v1/runs/${run.id}`)).text())
      texts.push(...lines)
      for (const text of texts) {
        expect(text).not.toContain(secret)
        expect(text).not.toContain(hidden)
      }
    } finally {
      await server.close()
    }
  })
})
