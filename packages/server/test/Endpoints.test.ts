import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { Redaction } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import { Server } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

// The HTTP surface beside chat completions: retrieving a model, methods (HEAD, OPTIONS, 405 with Allow), the 401
// and the strategy errors a client did not cause by what it sent.

const served = Served.shared()

describe("GET /v1/models/{model}", () => {
  it("retrieves every listed model, the same entry as in the list", async () => {
    const listed = await served.client.models.list()
    expect(listed.data.length).toBe(1 + Strategies.registry.kinds.length)
    for (const entry of listed.data) {
      const retrieved = await served.client.models.retrieve(entry.id)
      expect(retrieved).toEqual(entry)
    }
  })

  it("reads an escaped id and a raw one with a slash alike", async () => {
    const { upstream } = Served.simulatorUpstream()
    const slashed = await Server.listen({ upstream: { ...upstream, model: "org/model-1" } })
    try {
      for (const path of ["/v1/models/org%2Fmodel-1", "/v1/models/org/model-1", "/v1/models/best-of-n:org%2Fmodel-1", "/v1/models/best-of-n%3Aorg%2Fmodel-1"]) {
        const response = await fetch(`${slashed.url}${path}`)
        expect(response.status, path).toBe(200)
        expect(((await response.json()) as { id: string }).id, path).toBe(path.includes("best-of-n") ? "best-of-n:org/model-1" : "org/model-1")
      }
    } finally {
      await slashed.close()
    }
  })

  it("answers another model with OpenAI's 404: invalid_request_error, model_not_found", async () => {
    for (const id of ["gpt-4o", "beam-serch:stepwise-sim", "stepwise-sim:extra", "%ZZ"]) {
      const response = await fetch(`${served.server.url}/v1/models/${id}`)
      expect(response.status, id).toBe(404)
      const body = (await response.json()) as { error: { type: string; code: string; param: string | null } }
      expect(body.error, id).toMatchObject({ type: "invalid_request_error", code: "model_not_found", param: "model" })
    }
    await expect(served.client.models.retrieve("gpt-4o")).rejects.toMatchObject({ status: 404, code: "model_not_found", type: "invalid_request_error" })
  })

  it("gives a chat request for another model the same type and code", async () => {
    await expect(served.client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: served.question }] })).rejects.toMatchObject({
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model"
    })
  })
})

describe("methods", () => {
  it("answers HEAD on every GET endpoint like GET, without a body", async () => {
    const answered = await served.client.chat.completions.create({
      model: "best-of-n:stepwise-sim",
      messages: [{ role: "user", content: served.question }],
      stepwise: { options: { n: 2 }, budget: { totalTokens: 3000 } }
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
    for (const path of ["/v1/models", "/v1/models/stepwise-sim", "/metrics", "/health", "/view", "/v1/runs", `/v1/runs/${answered.id}`, `/v1/runs/${answered.id}/events`]) {
      const got = await fetch(`${served.server.url}${path}`)
      await got.arrayBuffer()
      const head = await fetch(`${served.server.url}${path}`, { method: "HEAD" })
      expect(head.status, path).toBe(200)
      expect(head.headers.get("content-type"), path).toBe(got.headers.get("content-type"))
      expect(await head.text(), path).toBe("")
    }
  })

  it("answers a method an endpoint does not serve with 405 and an Allow header", async () => {
    for (const [method, path, allow] of [
      ["GET", "/v1/chat/completions", "POST, OPTIONS"],
      ["HEAD", "/v1/chat/completions", "POST, OPTIONS"],
      ["DELETE", "/v1/models", "GET, HEAD, OPTIONS"],
      ["POST", "/v1/models/stepwise-sim", "GET, HEAD, OPTIONS"],
      ["PUT", "/metrics", "GET, HEAD, OPTIONS"],
      ["POST", "/health", "GET, HEAD, OPTIONS"],
      ["POST", "/v1/runs", "GET, HEAD, OPTIONS"],
      ["DELETE", "/v1/runs/some-run", "GET, HEAD, OPTIONS"]
    ] as const) {
      const response = await fetch(`${served.server.url}${path}`, { method })
      expect(response.status, `${method} ${path}`).toBe(405)
      expect(response.headers.get("allow"), `${method} ${path}`).toBe(allow)
      if (method !== "HEAD") expect(((await response.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed")
    }
  })

  it("answers OPTIONS with 204 and Allow", async () => {
    for (const [path, allow] of [
      ["/v1/chat/completions", "POST, OPTIONS"],
      ["/v1/models", "GET, HEAD, OPTIONS"],
      ["/v1/models/stepwise-sim", "GET, HEAD, OPTIONS"],
      ["/metrics", "GET, HEAD, OPTIONS"],
      ["/health", "GET, HEAD, OPTIONS"],
      ["/v1/runs", "GET, HEAD, OPTIONS"]
    ] as const) {
      const response = await fetch(`${served.server.url}${path}`, { method: "OPTIONS" })
      expect(response.status, path).toBe(204)
      expect(response.headers.get("allow"), path).toBe(allow)
      expect(await response.text(), path).toBe("")
    }
  })
})

describe("the 401 of a server with API keys", () => {
  it("says how to send the key, intact after scrubbing, with WWW-Authenticate: Bearer", async () => {
    const { upstream } = Served.simulatorUpstream()
    const guarded = await Server.listen({ upstream, apiKeys: ["sk-guarded-0123456789abcdef"] })
    try {
      for (const headers of [{}, { authorization: "Bearer sk-wrong-0123456789abcdef" }]) {
        const response = await fetch(`${guarded.url}/v1/models`, { headers })
        expect(response.status).toBe(401)
        expect(response.headers.get("www-authenticate")).toBe("Bearer")
        const { error } = (await response.json()) as { error: { message: string; type: string } }
        expect(error.type).toBe("authentication_error")
        expect(error.message).not.toContain(Redaction.marker)
        expect(Redaction.scrub(error.message)).toBe(error.message)
      }
      const missing = (await (await fetch(`${guarded.url}/v1/models`)).json()) as { error: { message: string } }
      expect(missing.error.message).toContain("Authorization")
      expect(missing.error.message).toContain("Bearer")
    } finally {
      await guarded.close()
    }
  })
})

describe("a beam search asked for fewer beams than the default width", () => {
  it.each(["beam-search", "dvts"])("%s: the 400 says the width is the default (4) and how to set it", async (kind) => {
    const failure = (await served.client.chat.completions
      .create({ model: `${kind}:stepwise-sim`, messages: [{ role: "user", content: served.question }], stepwise: { options: { beams: 2 } } } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>
    expect(failure).toMatchObject({ status: 400, param: "stepwise.options.width" })
    expect(failure.message).toContain("the default width (4)")
    expect(failure.message).toContain('set "width"')
  })

  it("says no more than the rule for another width", async () => {
    const failure = (await served.client.chat.completions
      .create({ model: "beam-search:stepwise-sim", messages: [{ role: "user", content: served.question }], stepwise: { options: { beams: 6, width: 5 } } } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>
    expect(failure).toMatchObject({ status: 400, param: "stepwise.options.width" })
    expect(failure.message).toContain("must divide beams (6), got 5")
    expect(failure.message).not.toContain("default")
  })
})

describe("the deadline header", () => {
  it("is X-Stepwise-Budget-Deadline-Millis, as the other budget headers, and X-Stepwise-Deadline-Ms still", async () => {
    for (const header of ["x-stepwise-budget-deadline-millis", "x-stepwise-deadline-ms"]) {
      const response = await served.client.chat.completions.create(
        { model: "best-of-n:stepwise-sim", messages: [{ role: "user", content: served.question }], stepwise: { options: { n: 2 } } } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming,
        { headers: { [header]: "45000" } }
      )
      expect((response as unknown as { stepwise: { budget: { deadline_ms: number } } }).stepwise.budget.deadline_ms, header).toBe(45_000)
    }
  })

  it("refuses a budget header that is not a plain decimal number, naming it", async () => {
    for (const [header, value] of [
      ["x-stepwise-budget-total-tokens", "0x10"],
      ["x-stepwise-budget-deadline-millis", "1e4"]
    ] as const)
      await expect(
        served.client.chat.completions.create({ model: "stepwise-sim", messages: [{ role: "user", content: served.question }] }, { headers: { [header]: value } })
      ).rejects.toMatchObject({ status: 400, param: header })
  })
})
