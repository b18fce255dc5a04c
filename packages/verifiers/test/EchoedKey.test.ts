import { afterAll, beforeAll, describe, expect } from "vitest"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { Message } from "@stepwise/core"
import { HuggingFace } from "@stepwise/models"
import { PoolingPrm } from "@stepwise/verifiers"
import { problem, trajectoryOf } from "./support/Fixtures.js"

// A server that refuses the key and echoes it after some text (as a misconfigured proxy or a server's debug message
// does): the error must not show it, whole or in part, wherever in the text it comes.
const key = "vllm-secret-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
let padding = 0
let server: Server
let url = ""

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume()
    request.on("end", () => {
      const sent = String(request.headers["authorization"] ?? "").replace("Bearer ", "")
      response.writeHead(401, { "content-type": "text/plain; charset=utf-8" })
      response.end(`${"Unauthorized: the key is not one this server was started with. ".repeat(20).slice(0, padding)} key sent: ${sent}\n`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  process.env["STEPWISE_TEST_ECHOED_KEY"] = key
})

afterAll(() => {
  delete process.env["STEPWISE_TEST_ECHOED_KEY"]
  server.close()
})

/** Whether a text holds any 8 characters of the key in a row. */
const showsPartOf = (text: string): boolean => {
  for (let start = 0; start + 8 <= key.length; start++) if (text.includes(key.slice(start, start + 8))) return true
  return false
}

describe("an error whose server echoed the API key", () => {
  property.prop([fc.integer({ min: 0, max: 420 })], { numRuns: 40 })("shows none of it from a chat backend or the pooling PRM, wherever the text cuts", async (length) => {
    padding = length
    const model = await Effect.runPromise(
      HuggingFace.make({ endpointUrl: url, model: "m", accessToken: key, retry: { times: 0, baseMillis: 1, capMillis: 1 } })
    )
    const chat = await Effect.runPromise(Effect.flip(model.generate({ messages: [Message.user("What is 2 + 3?")], n: 1, maxTokens: 5 })))
    expect(chat.message).toContain("HTTP 401")
    expect(showsPartOf(chat.message), chat.message).toBe(false)
    const prm = await Effect.runPromise(PoolingPrm.make({ url, model: "prm", apiKeyEnv: "STEPWISE_TEST_ECHOED_KEY", retries: 0 }))
    const scored = await Effect.runPromise(Effect.flip(prm.score(problem, trajectoryOf(["Step 1: 2 + 3 = 5."]))))
    expect(scored.message).toContain("HTTP 401")
    expect(showsPartOf(scored.message), scored.message).toBe(false)
  })
})
