import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { Resource } from "@stepwise/core"
import { Completion } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

const shared = (limit: number, spent: number) => ({ limits: { totalTokens: limit }, spent: Resource.make({ totalTokens: spent }) })

describe("Completion.sharedRefusal: a search a shared budget refused", () => {
  it("is only reserved (retry) when what is spent left room for the call, and spent (quota) otherwise", () => {
    const reserved = Completion.sharedRefusal({ by: "server", exhausted: { resource: "totalTokens", requested: 900 }, shared: shared(6000, 4955), retryAfterSeconds: 2 })
    expect(reserved).toMatchObject({ status: 429, type: "rate_limit_error", code: "budget_reserved", retryAfterSeconds: 2 })
    expect(reserved.detail).toContain("reserved by requests in flight")
    const spent = Completion.sharedRefusal({ by: "key", exhausted: { resource: "totalTokens", requested: 900 }, shared: shared(6000, 5500), retryAfterSeconds: 2 })
    expect(spent).toMatchObject({ status: 429, type: "insufficient_quota", code: "insufficient_quota" })
    // Without the amount asked (an event from elsewhere), the quota is taken as spent.
    expect(Completion.sharedRefusal({ by: "server", exhausted: { resource: "totalTokens" }, shared: shared(6000, 0), retryAfterSeconds: 1 }).code).toBe("insufficient_quota")
  })

  property.prop([fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 1e6 })])(
    "for all limits, spends and requests: budget_reserved exactly when the request fits in what is not spent",
    (limit, spent, requested) => {
      const error = Completion.sharedRefusal({ by: "server", exhausted: { resource: "totalTokens", requested }, shared: shared(limit, Math.min(spent, limit)), retryAfterSeconds: 1 })
      expect(error.code === "budget_reserved").toBe(requested <= limit - Math.min(spent, limit))
    }
  )
})

describe("a shared server budget crowded by requests in flight", () => {
  it("tells the crowded-out clients to retry (budget_reserved with Retry-After), not that the quota is spent", async () => {
    const { server, world } = await Served.start({
      latency: { timeToFirstTokenMillis: 60, millisPerOutputToken: 0 },
      limits: { server: { totalTokens: 6000 } }
    })
    try {
      const question = Served.problems(world, 1)[0]!.question
      const ask = () =>
        fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "best-of-n:stepwise-sim", messages: [{ role: "user", content: question }], stepwise: { options: { n: 4, maxTokens: 1000 } } })
        })
      const responses = await Promise.all(Array.from({ length: 8 }, ask))
      const codes = await Promise.all(
        responses.map(async (response) =>
          response.status === 200 ? "ok" : `${((await response.json()) as { error: { code: string } }).error.code}${response.headers.get("retry-after") === null ? "" : "+retry"}`
        )
      )
      await Served.waitUntil(() => server.state().activeRequests === 0, "every request ended")
      const spent = server.state().budget.spent.totalTokens
      expect(spent).toBeLessThanOrEqual(6000)
      // Requests in flight reserved worst cases far above what they spent: most of the budget is left.
      expect(spent).toBeLessThan(6000 - 1500)
      expect(codes.filter((code) => code !== "ok").length).toBeGreaterThan(0)
      for (const code of codes) expect(["ok", "budget_reserved+retry"]).toContain(code)
      // And a client that retries as told gets its answer.
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
      const retried = await client.chat.completions.create({ model: "best-of-n:stepwise-sim", messages: [{ role: "user", content: question }], stepwise: { options: { n: 4, maxTokens: 1000 } } } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      expect(retried.choices[0]!.message.content).not.toBe("")
    } finally {
      await server.close()
    }
  })
})
