import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { Redaction } from "@stepwise/core"
import { ChatRequest } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

const minimal = { model: "stepwise-sim", messages: [{ role: "user", content: "What is 1 + 1?" }] }

const failureOf = (extra: Record<string, unknown>) => {
  const decoded = ChatRequest.decode({ ...minimal, ...extra })
  if (decoded._tag !== "Failure") throw new Error(`${JSON.stringify(extra)} was accepted`)
  return decoded.failure
}

describe("ChatRequest.decode: OpenAI fields the gateway cannot honour", () => {
  it.each([
    ["tools", [{ type: "function", function: { name: "add", parameters: {} } }]],
    ["tool_choice", "required"],
    ["tool_choice", { type: "function", function: { name: "add" } }],
    ["functions", [{ name: "add", parameters: {} }]],
    ["function_call", { name: "add" }],
    ["logprobs", true],
    ["top_logprobs", 3],
    ["response_format", { type: "json_object" }],
    ["response_format", { type: "json_schema", json_schema: { name: "answer", schema: {} } }],
    ["modalities", ["text", "audio"]],
    ["audio", { voice: "alloy", format: "wav" }]
  ])("refuses %s: %j with a 400 naming the field and saying the gateway does not support it", (field, value) => {
    const failure = failureOf({ [field]: value })
    expect(failure).toMatchObject({ status: 400, type: "invalid_request_error", param: field, code: "unsupported_parameter" })
    expect(failure.message).toContain(`does not support "${field}"`)
  })

  it.each([
    ["tools", null],
    ["tools", []],
    ["tool_choice", null],
    ["tool_choice", "none"],
    ["tool_choice", "auto"],
    ["functions", []],
    ["function_call", "none"],
    ["logprobs", false],
    ["logprobs", null],
    ["top_logprobs", 0],
    ["top_logprobs", null],
    ["response_format", { type: "text" }],
    ["response_format", null],
    ["modalities", ["text"]],
    ["audio", null]
  ])("lets %s: %j pass, as asking nothing of it", (field, value) => {
    expect(ChatRequest.decode({ ...minimal, [field]: value })._tag).toBe("Success")
  })

  it.each([
    ["temperature", "hot"],
    ["temperature", 3],
    ["top_p", "most"],
    ["frequency_penalty", "none"],
    ["presence_penalty", [1]],
    ["stop", 5],
    ["logit_bias", "none"],
    ["user", 42],
    ["metadata", "tags"],
    ["store", "yes"],
    ["parallel_tool_calls", "no"],
    ["logprobs", "yes"],
    ["top_logprobs", 1.5],
    ["tools", { name: "add" }],
    ["response_format", "json"],
    ["seed", "seven"],
    ["stream", "yes"]
  ])("refuses a wrongly typed %s (%j) with a 400 naming the field", (field, value) => {
    const failure = failureOf({ [field]: value })
    expect(failure).toMatchObject({ status: 400, type: "invalid_request_error", param: field })
    // A top-level field's message lists no "allowed" keys: the body takes any other field.
    expect(failure.message).not.toContain("allowed:")
  })

  it("accepts what OpenAI SDK clients commonly send that does not change the answer", () => {
    const decoded = ChatRequest.decode({
      ...minimal,
      temperature: 0.7,
      top_p: 1,
      frequency_penalty: 0,
      presence_penalty: 0,
      stop: ["\n\n\n"],
      user: "user-1",
      metadata: { purpose: "test" },
      store: false,
      parallel_tool_calls: true,
      stream: false,
      stream_options: null,
      service_tier: "auto",
      prompt_cache_key: "k",
      reasoning_effort: "medium"
    })
    expect(decoded._tag).toBe("Success")
  })

  it("words every refusal so the credential scrubber leaves it intact", () => {
    for (const field of ["tools", "logprobs", "response_format"]) {
      const failure = failureOf({ [field]: field === "tools" ? [{ type: "function" }] : field === "logprobs" ? true : { type: "json_object" } })
      expect(Redaction.scrub(failure.detail)).toBe(failure.detail)
    }
  })
})

describe("unsupported fields through the openai client", () => {
  const served = Served.shared()

  it("refuses tools, logprobs and a JSON response format with a 400 naming each, and answers when they ask nothing", async () => {
    const messages = [{ role: "user" as const, content: served.question }]
    await expect(
      served.client.chat.completions.create({ model: "stepwise-sim", messages, tools: [{ type: "function", function: { name: "add", parameters: {} } }] })
    ).rejects.toMatchObject({ status: 400, param: "tools", type: "invalid_request_error" })
    await expect(served.client.chat.completions.create({ model: "stepwise-sim", messages, logprobs: true, top_logprobs: 2 })).rejects.toMatchObject({ status: 400, param: "logprobs" })
    await expect(served.client.chat.completions.create({ model: "stepwise-sim", messages, response_format: { type: "json_object" } })).rejects.toMatchObject({
      status: 400,
      param: "response_format"
    })
    await expect(served.client.chat.completions.create({ model: "stepwise-sim", messages, temperature: "hot" as unknown as number })).rejects.toMatchObject({
      status: 400,
      param: "temperature"
    })
    const answered = await served.client.chat.completions.create({
      model: "best-of-n:stepwise-sim",
      messages,
      logprobs: false,
      response_format: { type: "text" },
      temperature: 0.2,
      user: "someone",
      metadata: { run: "1" },
      stepwise: { options: { n: 2 }, budget: { totalTokens: 3000 } }
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
    expect(answered.choices[0]!.message.content).not.toBe("")
  })
})
