import { chatCompletion, chatCompletionStream } from "@huggingface/inference"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Answer, Logprob } from "@stepwise/core"
import { itEffect } from "@stepwise/testing"
import { Presets, Server, Verification, World } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 5, seed: 1 })
const problem = problems[0]!
let server: Server.Handle

beforeAll(async () => {
  server = await Server.listen(world, { port: 0 })
})
afterAll(async () => {
  await server.close()
})

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, any> }
}

describe("Server with the Hugging Face client", () => {
  it("round-trips chatCompletion: same text as in process, usage, finish reasons", async () => {
    const output = await chatCompletion(
      {
        endpointUrl: server.url,
        model: "stepwise-sim",
        messages: problem.messages.map((message) => ({ role: message.role, content: message.content })),
        max_tokens: 2048,
        temperature: 0.8,
        seed: 4,
        n: 3
      },
      { retry_on_error: false }
    )
    const local = await Effect.runPromise(
      world.languageModel.generate({ messages: problem.messages, n: 3, maxTokens: 2048, temperature: 0.8, seed: 4 })
    )
    expect(output.choices.map((choice) => choice.message.content)).toEqual(local.map((completion) => completion.text))
    expect(output.choices.every((choice) => choice.finish_reason === "stop")).toBe(true)
    expect(output.usage.prompt_tokens).toBe(local[0]!.usage.inputTokens)
    expect(output.usage.completion_tokens).toBe(local.reduce((total, completion) => total + (completion.usage.outputTokens ?? 0), 0))
    expect(output.usage.total_tokens).toBe(output.usage.prompt_tokens + output.usage.completion_tokens)
    expect(output.model).toBe("stepwise-sim")
  })

  it("continues a final assistant message, stops at the step delimiter and reports the stop string", async () => {
    const first = await Effect.runPromise(
      world.languageModel.generate({ messages: problem.messages, n: 1, maxTokens: 256, temperature: 0.8, seed: 2, stop: ["\n\n"] })
    )
    const prefix = `${first[0]!.text}\n\n`
    const output = await chatCompletion(
      {
        endpointUrl: server.url,
        model: "stepwise-sim",
        messages: [...problem.messages.map((message) => ({ role: message.role, content: message.content })), { role: "assistant", content: prefix }],
        continue_final_message: true,
        add_generation_prompt: false,
        stop: ["\n\n"],
        max_tokens: 256,
        temperature: 0.8,
        seed: 2
      },
      { retry_on_error: false }
    )
    const local = await Effect.runPromise(
      world.languageModel.generate({ messages: problem.messages, prefix, n: 1, maxTokens: 256, temperature: 0.8, seed: 2, stop: ["\n\n"] })
    )
    const choice = output.choices[0]!
    expect(choice.message.content).toBe(local[0]!.text)
    expect(choice.message.content).toMatch(/^## Step 2: /)
    const raw = choice as unknown as { stop_reason: string | null }
    if (local[0]!.finishReason === "stop") expect(raw.stop_reason).toBe("\n\n")
    else expect(raw.stop_reason).toBeNull()
  })

  it("returns yes/no logprobs for a ThinkPRM decision", async () => {
    const steps = ["## Step 1: Mia has 3 apples, so 3 + 1 = 4."]
    const prompt = Verification.prompt(problem.question, steps)
    const output = await chatCompletion(
      {
        endpointUrl: server.url,
        model: "stepwise-sim",
        messages: [
          { role: "user", content: prompt },
          { role: "assistant", content: "Let's verify step by step:\nStep 1: fine \\boxed{correct}\n\nIs the solution correct? " }
        ],
        continue_final_message: true,
        add_generation_prompt: false,
        max_tokens: 1,
        temperature: 0,
        logprobs: true,
        top_logprobs: 5
      },
      { retry_on_error: false }
    )
    const content = output.choices[0]!.logprobs?.content?.[0]
    expect(content).toBeDefined()
    const position = { token: content!.token, logprob: content!.logprob, top: content!.top_logprobs.map((entry) => ({ token: entry.token, logprob: entry.logprob })) }
    const yes = Logprob.massOf(position, "yes")
    const no = Logprob.massOf(position, "no")
    expect(yes + no).toBeGreaterThan(0.9)
    expect(["yes", "no"]).toContain(output.choices[0]!.message.content)
    expect(output.choices[0]!.finish_reason).toBe("length")
  })

  it("streams with a final usage chunk", async () => {
    let text = ""
    let usage: { completion_tokens: number } | undefined
    let finish: string | undefined
    for await (const chunk of chatCompletionStream(
      {
        endpointUrl: server.url,
        model: "stepwise-sim",
        messages: problem.messages.map((message) => ({ role: message.role, content: message.content })),
        max_tokens: 2048,
        temperature: 0.8,
        seed: 4,
        stream_options: { include_usage: true }
      },
      { retry_on_error: false }
    )) {
      const choice = chunk.choices[0]
      if (choice?.delta.content !== undefined) text += choice.delta.content
      if (choice?.finish_reason) finish = choice.finish_reason
      if (chunk.usage) usage = chunk.usage
    }
    const local = await Effect.runPromise(
      world.languageModel.generate({ messages: problem.messages, n: 1, maxTokens: 2048, temperature: 0.8, seed: 4 })
    )
    expect(text).toBe(local[0]!.text)
    expect(finish).toBe("stop")
    expect(usage?.completion_tokens).toBe(local[0]!.usage.outputTokens)
  })

  it("surfaces a 400 naming the field through the client", async () => {
    await expect(
      chatCompletion(
        { endpointUrl: server.url, model: "stepwise-sim", messages: [{ role: "user", content: "hi" }], max_tokens: -3 },
        { retry_on_error: false }
      )
    ).rejects.toThrow(/max_tokens/)
  })
})

describe("Server endpoints", () => {
  it("lists the model", async () => {
    const response = await fetch(`${server.url}/v1/models`)
    const body = (await response.json()) as { data: Array<{ id: string }> }
    expect(body.data.map((model) => model.id)).toEqual(["stepwise-sim"])
  })

  it.each([
    ["/v1/chat/completions", { messages: [] }, "messages"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], n: 0 }, "n"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], temperature: -1 }, "temperature"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], top_p: 2 }, "top_p"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], stop: 3 }, "stop"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], top_logprobs: 3 }, "top_logprobs"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }], stream_options: { include_usage: true } }, "stream_options"],
    ["/v1/chat/completions", { messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    ["/v1/chat/completions", { messages: [{ role: "user", content: "x" }, { role: "assistant", content: "y" }], continue_final_message: true }, "continue_final_message"],
    ["/v1/chat/completions", "{not json", "body"],
    ["/v1/completions", { prompt: 5 }, "prompt"],
    ["/v1/completions", { prompt: "x", max_tokens: 0 }, "max_tokens"],
    ["/pooling", { input: [] }, "input"]
  ])("POST %s with a bad field gets a 400 naming it (%#)", async (path, body, field) => {
    const response = await post(path, body)
    expect(response.status).toBe(400)
    const error = response.json() as { param: string; message: string; code: number }
    expect(error.param).toBe(field)
    expect(error.code).toBe(400)
  })

  it("answers 404 for an unknown model and an unknown path", async () => {
    expect((await post("/v1/chat/completions", { model: "gpt-9", messages: [{ role: "user", content: "x" }] })).status).toBe(404)
    expect((await post("/v2/nothing", {})).status).toBe(404)
  })

  it("serves /v1/completions from a ChatML prompt, with text logprobs", async () => {
    const prompt = Server.chatTemplate(problem.messages)
    const response = await post("/v1/completions", { model: "stepwise-sim", prompt, max_tokens: 2048, temperature: 0.8, seed: 4, logprobs: 2 })
    expect(response.status).toBe(200)
    const body = response.json()
    const local = await Effect.runPromise(
      world.languageModel.generate({ messages: problem.messages, n: 1, maxTokens: 2048, temperature: 0.8, seed: 4 })
    )
    expect(body["object"]).toBe("text_completion")
    expect(body["choices"][0].text).toBe(local[0]!.text)
    expect(body["choices"][0].logprobs.tokens.join("")).toBe(local[0]!.text)
    expect(body["usage"].completion_tokens).toBe(local[0]!.usage.outputTokens)
  })

  it("scores steps at /pooling like a Qwen2.5-Math-PRM, matching the in-process PRM", async () => {
    const [completion] = await Effect.runPromise(
      world.languageModel.generate({ messages: problem.messages, n: 1, maxTokens: 2048, temperature: 0.8, seed: 9 })
    )
    const steps = completion!.text.split("\n\n")
    const input = `${Server.chatTemplate(problem.messages, steps.join(Server.stepTag) + Server.stepTag)}<|im_end|>\n<|endoftext|>`
    const response = await post("/pooling", { model: "stepwise-sim", input })
    expect(response.status).toBe(200)
    const pairs = response.json()["data"][0].data as Array<[number, number]>
    const { Trajectory, Step } = await import("@stepwise/core")
    const scoring = await Effect.runPromise(
      world.processRewardModel.score(problem, Trajectory.fromSteps(steps.map((text) => Step.make({ text }))))
    )
    expect(pairs.map((pair) => pair[1])).toEqual(scoring.stepScores)
    for (const pair of pairs) expect(pair[0] + pair[1]).toBeCloseTo(1, 9)
  })

  it("recognises problems in a fresh world (no shared state)", async () => {
    const fresh = await Server.listen(World.make(Presets.calibrated, { seed: 7 }), { port: 0 })
    const body = { model: "stepwise-sim", messages: problem.messages, max_tokens: 2048, temperature: 0.8, seed: 4 }
    const a = await fetch(`${fresh.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify(body) }).then((response) => response.json())
    const b = (await post("/v1/chat/completions", body)).json()
    await fresh.close()
    expect((a as any).choices[0].message.content).toBe(b["choices"][0].message.content)
    expect(Answer.hasBoxed((a as any).choices[0].message.content)).toBe(true)
  })
})

describe("Server faults", () => {
  itEffect("injects 429 with Retry-After, 500, 503, dropped, truncated and malformed responses", () =>
    Effect.gen(function* () {
      const seen = new Map<string, number>()
      const faulty = yield* Server.serve(world, {
        port: 0,
        faults: { serverError: 0.1, unavailable: 0.1, rateLimited: 0.1, retryAfterSeconds: 2, dropped: 0.1, truncated: 0.1, malformed: 0.1, seed: 3 }
      })
      const body = JSON.stringify({ model: "stepwise-sim", messages: problem.messages, max_tokens: 64 })
      for (let index = 0; index < 80; index++) {
        const outcome = yield* Effect.promise(async () => {
          try {
            const response = await fetch(`${faulty.url}/v1/chat/completions`, { method: "POST", body })
            const text = await response.text()
            if (response.status === 429) return response.headers.get("retry-after") === "2" ? "429" : "429-without-retry-after"
            if (response.status !== 200) return String(response.status)
            try {
              JSON.parse(text)
              return "ok"
            } catch {
              return "bad-json"
            }
          } catch {
            return "dropped"
          }
        })
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1)
      }
      for (const outcome of ["ok", "429", "500", "503", "dropped", "bad-json"]) expect(seen.get(outcome) ?? 0, outcome).toBeGreaterThan(0)
      expect(seen.get("429-without-retry-after")).toBeUndefined()
    }).pipe(Effect.scoped)
  )

  it("serves slow responses in full, and refuses bodies over the size limit with a 413", async () => {
    const slow = await Server.listen(world, { port: 0, faults: { slow: 1, slowMillis: 5 }, maxBodyBytes: 2000 })
    const response = await fetch(`${slow.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "stepwise-sim", messages: problem.messages, max_tokens: 64 })
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { choices: Array<unknown> }).choices).toHaveLength(1)
    const large = await fetch(`${slow.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "stepwise-sim", messages: [{ role: "user", content: "x".repeat(5000) }] })
    })
    expect(large.status).toBe(413)
    await slow.close()
  })

  it("rejects invalid fault options naming the field", async () => {
    await expect(Server.listen(world, { faults: { serverError: 2 } })).rejects.toMatchObject({ field: "faults.serverError" })
  })
})

describe("Server latency", () => {
  it("answers each POST no sooner than latencyMillis after it arrived, with the same body as without latency", async () => {
    const slow = await Server.listen(world, { port: 0, latencyMillis: 60 })
    const body = { model: "stepwise-sim", messages: problem.messages, max_tokens: 64, seed: 4, n: 2 }
    const started = performance.now()
    const [first, second] = await Promise.all(
      [0, 1].map((_) =>
        fetch(`${slow.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify(body) }).then(async (response) => ({
          status: response.status,
          json: (await response.json()) as { choices: ReadonlyArray<unknown>; usage: unknown },
          after: performance.now() - started
        }))
      )
    )
    const pooled = await fetch(`${slow.url}/pooling`, {
      method: "POST",
      body: JSON.stringify({ model: "stepwise-sim", messages: [...problem.messages, { role: "assistant", content: `Step 1: 1 + 1 = 2${Server.stepTag}` }] })
    })
    const quick = (await post("/v1/chat/completions", body)).json()
    for (const answer of [first!, second!]) {
      expect(answer.status).toBe(200)
      // A lower bound only: the latency is a floor, never a deadline (the server waits it out to the microsecond).
      expect(answer.after).toBeGreaterThanOrEqual(60)
      expect(answer.json.choices).toEqual(quick["choices"])
      expect(answer.json.usage).toEqual(quick["usage"])
    }
    expect(pooled.status).toBe(200)
    await slow.close()
  })


  it("rejects a latency that is negative or not finite, naming the field", async () => {
    await expect(Server.listen(world, { latencyMillis: -1 })).rejects.toMatchObject({ field: "latencyMillis" })
    await expect(Server.listen(world, { latencyMillis: Number.POSITIVE_INFINITY })).rejects.toMatchObject({ field: "latencyMillis" })
  })
})
