import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Accountant } from "@stepwise/accountant"
import { ChatTemplate, LanguageModel, Message, Usage } from "@stepwise/core"
import { Presets, Server, World } from "@stepwise/simulator"
import { itEffect } from "@stepwise/testing"
import { Effect, Fiber, Redacted } from "effect"
import type { Scope } from "effect"
import { fc, test } from "@fast-check/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { HuggingFace, ServerKind, TinyLlama, Tokenizer } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const [problem] = World.problems(world, { count: 1, seed: 1 })
if (problem === undefined) throw new Error("the world made no problem")
const messages = problem.messages
const chatMl =
  "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

let server: Server.Handle
beforeAll(async () => {
  server = await Server.listen(world, { port: 0 })
})
afterAll(() => server.close())

const fastRetry = { times: 6, baseMillis: 1, capMillis: 4 }

const backend = (options: Partial<HuggingFace.Options> = {}) =>
  HuggingFace.make({ endpointUrl: server.url, model: World.modelName, kind: "vllm", retry: fastRetry, ...options })

/** A server with faults for the length of a scope. */
const faulty = (faults: Server.Faults) =>
  Effect.map(Server.serve(world, { port: 0, faults }), (address) => address.url)

const step = (request: Partial<LanguageModel.GenerateRequest> = {}): LanguageModel.GenerateRequest => ({
  messages,
  n: 1,
  maxTokens: 256,
  stop: ["\n\n"],
  temperature: 0.7,
  seed: 3,
  ...request
})

/**
 * What must match the world's own answer: texts, finish reasons, and the request's total usage (a server reports
 * output tokens per request, which the backend splits over the choices; the total is exact).
 */
const strip = (completions: ReadonlyArray<LanguageModel.Completion>) => {
  const usage = Usage.sum(completions.map((completion) => completion.usage))
  return {
    samples: completions.map((completion) => ({ text: completion.text, finishReason: completion.finishReason })),
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens
  }
}

describe("HuggingFace backend against the simulator's loopback server", () => {
  itEffect("chat: the completion over HTTP is the world's own, with exact usage", () =>
    Effect.gen(function* () {
      const model = yield* backend()
      const request = step()
      const remote = yield* model.generate(request)
      const local = yield* world.languageModel.generate(request)
      expect(strip(remote)).toEqual(strip(local))
      expect(remote[0]?.usage.inputTokens).toBe(local[0]?.usage.inputTokens)
      expect(remote[0]?.text).not.toContain("\n\n")
      expect(Usage.isComplete(Usage.sum(remote.map((completion) => completion.usage)))).toBe(false) // no cached count reported
      expect(remote[0]?.usage.inputTokens).toBeGreaterThan(0)
    })
  )

  itEffect("continuation: continue_final_message and client-side chat template + /v1/completions agree with the world", () =>
    Effect.gen(function* () {
      const first = yield* world.languageModel.generate(step())
      const prefix = `${first[0]?.text ?? ""}\n\n`
      const request = step({ prefix })
      const local = yield* world.languageModel.generate(request)
      const continued = yield* (yield* backend()).generate(request)
      const completed = yield* (yield* backend({ continuation: "completions", chatTemplate: chatMl })).generate(request)
      expect(strip(continued)).toEqual(strip(local))
      // the raw prompt carries the template's markers, which the server counts as prompt tokens
      expect({ ...strip(completed), inputTokens: undefined }).toEqual({ ...strip(local), inputTokens: undefined })
      expect(strip(completed).inputTokens).toBeGreaterThan(strip(local).inputTokens ?? 0)
    })
  )

  itEffect("n samples in one request, seeded; to the end with eos; parallel requests for a TGI-like server", () =>
    Effect.gen(function* () {
      const request = step({ n: 4, stop: [], maxTokens: 1024 })
      const remote = yield* (yield* backend()).generate(request)
      const local = yield* world.languageModel.generate(request)
      expect(strip(remote)).toEqual(strip(local))
      expect(remote.map((completion) => completion.index)).toEqual([0, 1, 2, 3])
      expect(remote.some((completion) => completion.finishReason === "eos")).toBe(true)
      const parallel = yield* (yield* backend({ kind: "tgi", chatTemplate: chatMl })).generate(request)
      expect(parallel).toHaveLength(4)
      // sample i is the first sample of seed 3 + i
      for (const [index, completion] of parallel.entries()) {
        const [alone] = yield* world.languageModel.generate({ ...request, n: 1, seed: 3 + index })
        expect(completion.text).toBe(alone?.text)
      }
      // each parallel request paid for its prompt
      expect(parallel.every((completion) => (completion.usage.inputTokens ?? 0) > 0)).toBe(true)
    })
  )

  itEffect("token logprobs with top alternatives (a ThinkPRM decision)", () =>
    Effect.gen(function* () {
      const request = step({ prefix: "Let's verify step by step:", stop: [], maxTokens: 1, topLogprobs: 5, temperature: 0 })
      const [remote] = yield* (yield* backend()).generate(request)
      const [local] = yield* world.languageModel.generate(request)
      expect(remote?.logprobs?.length).toBeGreaterThan(0)
      expect(remote?.logprobs).toEqual(local?.logprobs?.map((position) => ({ ...position, top: position.top.slice(0, 5) })))
    })
  )

  itEffect("a 400 becomes InvalidRequest naming the field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* backend()).generate(step({ topLogprobs: 50 })))
      expect(error._tag).toBe("InvalidRequest")
      expect(error._tag === "InvalidRequest" && error.field).toBe("top_logprobs")
      const wrongModel = yield* Effect.flip((yield* backend({ model: "no-such-model" })).generate(step()))
      expect(wrongModel._tag === "InvalidRequest" && wrongModel.field).toBe("model")
    })
  )
})

/** Runs a request under an accountant and returns the outcome and the spend. */
const metered = <E>(model: Effect.Effect<LanguageModel.Service, E, Scope.Scope>, request: LanguageModel.GenerateRequest) =>
  Effect.scoped(
    Effect.gen(function* () {
      const service = yield* model
      const accountant = yield* Accountant.make({ totalTokens: 1_000_000 })
      const outcome = yield* Effect.result(service.generate(request).pipe(Accountant.provide(accountant)))
      const snapshot = yield* accountant.snapshot
      return { outcome, spent: snapshot.spent, reserved: snapshot.reserved }
    })
  )

describe("HuggingFace backend under injected faults", () => {
  for (const [fault, share] of [
    ["serverError", 0.5],
    ["unavailable", 0.5],
    ["rateLimited", 0.5],
    ["dropped", 0.5],
    ["malformed", 0.5],
    ["truncated", 0.5]
  ] as const)
    itEffect(`${fault}: retried to success, charged exactly the successful call`, () =>
      Effect.gen(function* () {
        const { outcome, spent, reserved } = yield* metered(
          Effect.flatMap(faulty({ [fault]: share, retryAfterSeconds: 0, seed: 3 }), (url) => backend({ endpointUrl: url })),
          step({ n: 2 })
        )
        expect(outcome._tag).toBe("Success")
        const completions = outcome._tag === "Success" ? outcome.success : []
        const usage = Usage.sum(completions.map((completion) => completion.usage))
        expect(spent.inputTokens).toBe(usage.inputTokens)
        expect(spent.outputTokens).toBe(usage.outputTokens)
        expect(reserved.totalTokens).toBe(0)
        expect(strip(completions)).toEqual(strip(yield* world.languageModel.generate(step({ n: 2 }))))
      })
    )

  for (const [fault, tag] of [
    ["serverError", "Unavailable"],
    ["unavailable", "Unavailable"],
    ["rateLimited", "RateLimited"],
    ["dropped", "Unavailable"],
    ["malformed", "BadResponse"],
    ["truncated", "Unavailable"]
  ] as const)
    itEffect(`${fault} on every attempt: fails with ${tag}, nothing charged, nothing left reserved`, () =>
      Effect.gen(function* () {
        const { outcome, spent, reserved } = yield* metered(
          Effect.flatMap(faulty({ [fault]: 1, retryAfterSeconds: 0 }), (url) =>
            backend({ endpointUrl: url, retry: { times: 2, baseMillis: 1, capMillis: 2 } })
          ),
          step()
        )
        expect(outcome._tag === "Failure" && outcome.failure._tag).toBe(tag)
        if (outcome._tag === "Failure" && outcome.failure._tag === "RateLimited") expect(outcome.failure.retryAfterMillis).toBe(0)
        expect(spent.totalTokens).toBe(0)
        expect(reserved.totalTokens).toBe(0)
      })
    )

  itEffect("a slow server times out with Timeout, and the HTTP request is aborted", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* faulty({ slow: 1, slowMillis: 5_000 })
        const signals: Array<AbortSignal> = []
        const spy: typeof fetch = (input, init) => {
          if (init?.signal) signals.push(init.signal)
          return fetch(input, init)
        }
        const model = yield* backend({ endpointUrl: url, timeoutMillis: 100, retry: { times: 0, baseMillis: 1, capMillis: 1 }, fetch: spy })
        const error = yield* Effect.flip(model.generate(step()))
        expect(error._tag).toBe("Timeout")
        expect(signals.length).toBe(1)
        expect(signals[0]?.aborted).toBe(true)
      })
    )
  )

  itEffect("the access token never appears in errors", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const secret = "hf_secretTOKEN1234567890"
        for (const fault of ["serverError", "rateLimited", "dropped", "malformed"] as const) {
          const url = yield* faulty({ [fault]: 1, retryAfterSeconds: 0 })
          const model = yield* backend({ endpointUrl: url, accessToken: Redacted.make(secret), retry: { times: 0, baseMillis: 1, capMillis: 1 } })
          const error = yield* Effect.flip(model.generate(step()))
          expect(JSON.stringify(error)).not.toContain(secret)
          expect(String(error.message)).not.toContain(secret)
        }
      })
    )
  )
})

/** A tiny OpenAI-compatible fake for what the simulator does not do: no usage at all, and the providers' router. */
const fakeServer = (respond: (body: Record<string, unknown>, headers: Record<string, unknown>) => unknown) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ url: string; close: () => Promise<void>; seen: Array<Record<string, unknown>> }>((resolve) => {
          const seen: Array<Record<string, unknown>> = []
          const http = createServer((request, response) => {
            let text = ""
            request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
            request.on("end", () => {
              const body = JSON.parse(text) as Record<string, unknown>
              seen.push({ ...body, path: request.url, authorization: request.headers["authorization"] })
              response.writeHead(200, { "content-type": "application/json" })
              response.end(JSON.stringify(respond(body, request.headers)))
            })
          })
          http.listen(0, "127.0.0.1", () =>
            resolve({
              url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
              seen,
              close: () => new Promise<void>((done) => http.close(() => done()))
            })
          )
        })
    ),
    (fake) => Effect.promise(() => fake.close())
  )

describe("HuggingFace backend: servers without usage, providers", () => {
  const ggufPath = join(mkdtempSync(join(tmpdir(), "stepwise-hf-")), "tiny.gguf")
  writeFileSync(ggufPath, TinyLlama.bytes())
  const reply = (body: Record<string, unknown>) => ({
    id: "x",
    object: "chat.completion",
    created: 1,
    model: body["model"],
    choices: [{ index: 0, message: { role: "assistant", content: "First, add 2 and 3 to get 5." }, finish_reason: "stop" }]
  })

  itEffect("no usage reported: unknown counts, or a real tokenizer's counts marked estimated", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* fakeServer(reply)
        const request = step({ stop: [] })
        const [unknown] = yield* (yield* HuggingFace.make({ endpointUrl: fake.url, model: "m" })).generate(request)
        expect(unknown?.usage.inputTokens).toBeUndefined()
        expect(unknown?.usage.outputTokens).toBeUndefined()
        const tokenizer = yield* Tokenizer.fromGguf(ggufPath)
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", tokenizer, chatTemplate: chatMl })
        const [estimated] = yield* model.generate(request)
        expect(estimated?.usage.estimated).toBe(true)
        expect(estimated?.usage.outputTokens).toBe(tokenizer.count("First, add 2 and 3 to get 5."))
        expect(estimated?.usage.outputTokens).toBe(8) // First, | add | 2 | and | 3 | to | get | 5.
        expect(estimated?.usage.inputTokens).toBeGreaterThan(0)
        expect(fake.seen.every((body) => body["model"] === "m")).toBe(true)
      })
    )
  )

  itEffect("Inference Providers: the router gets the model and the token; the reply is checked", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* fakeServer((body) => ({ ...reply(body), usage: { prompt_tokens: 11, completion_tokens: 8, total_tokens: 19, prompt_tokens_details: { cached_tokens: 4 } } }))
        const routed: typeof fetch = (input, init) => fetch(String(input).replace("https://router.huggingface.co", fake.url), init)
        const model = yield* HuggingFace.make({ model: "meta-llama/Llama-3.1-8B-Instruct", accessToken: "hf_abc", fetch: routed })
        const [completion] = yield* model.generate(step({ prefix: "Step 1:" }))
        expect(completion?.usage).toEqual({ inputTokens: 11, outputTokens: 8, cachedInputTokens: 4 })
        expect(fake.seen[0]?.["model"]).toBe("meta-llama/Llama-3.1-8B-Instruct")
        expect(fake.seen[0]?.["authorization"]).toBe("Bearer hf_abc")
        // Providers are sent only standard fields: the step so far goes as a final assistant message (prefill).
        expect(fake.seen[0]?.["continue_final_message"]).toBeUndefined()
        expect(fake.seen[0]?.["add_generation_prompt"]).toBeUndefined()
        expect((fake.seen[0]?.["messages"] as ReadonlyArray<{ readonly role: string; readonly content: string }>).at(-1)).toEqual({ role: "assistant", content: "Step 1:" })
      })
    )
  )

  itEffect("a reply of the wrong shape is a BadResponse", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* fakeServer(() => ({ choices: [{ index: 0, message: { content: 42 } }] }))
        const error = yield* Effect.flip((yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", retry: { times: 0, baseMillis: 1, capMillis: 1 } })).generate(step()))
        expect(error._tag).toBe("BadResponse")
      })
    )
  )

  itEffect("rejects bad options naming the field", () =>
    Effect.gen(function* () {
      const both = yield* Effect.flip(HuggingFace.make({ model: "m", endpointUrl: "http://127.0.0.1:1", provider: "together" }))
      expect(both.field).toBe("provider")
      const url = yield* Effect.flip(HuggingFace.make({ model: "m", endpointUrl: "not a url" }))
      expect(url.field).toBe("endpointUrl")
      const completions = yield* Effect.flip(HuggingFace.make({ model: "m", continuation: "completions" }))
      expect(completions.field).toBe("continuation")
      const template = yield* Effect.flip(HuggingFace.make({ model: "m", endpointUrl: "http://127.0.0.1:1", chatTemplate: "{% for %}" }))
      expect(template.field).toBe("chatTemplate")
    })
  )
})

describe("HuggingFace backend: connections", () => {
  itEffect("a self-hosted server is called over kept-alive connections: one for sequential calls, no more than in flight", () =>
    Effect.gen(function* () {
      let connections = 0
      let requests = 0
      const counting = createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          requests++
          response.writeHead(200, { "content-type": "application/json" })
          response.end(
            JSON.stringify({
              object: "chat.completion",
              choices: [{ index: 0, message: { role: "assistant", content: "Step 1: 2 + 2 = 4" }, finish_reason: "stop", stop_reason: "\n\n" }],
              usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 }
            })
          )
        })
      })
      counting.on("connection", () => connections++)
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => counting.listen(0, "127.0.0.1", resolve))),
        () =>
          Effect.promise(
            () =>
              new Promise<void>((resolve) => {
                counting.closeAllConnections()
                counting.close(() => resolve())
              })
          )
      )
      const model = yield* HuggingFace.make({
        endpointUrl: `http://127.0.0.1:${(counting.address() as AddressInfo).port}`,
        model: "m",
        kind: "openai-compatible",
        retry: fastRetry
      })
      for (let index = 0; index < 10; index++) yield* model.generate(step())
      expect(connections).toBe(1)
      for (let round = 0; round < 3; round++) yield* Effect.forEach(Array.from({ length: 6 }), () => model.generate(step()), { concurrency: "unbounded" })
      expect(connections).toBeLessThanOrEqual(6)
      expect(requests).toBe(28)
    }).pipe(Effect.scoped)
  )

  it("sends every independent call of a round at once to servers that batch (vLLM, SGLang, TGI), a few to others", () => {
    expect(ServerKind.facts.vllm.concurrency).toBeGreaterThanOrEqual(64)
    expect(ServerKind.facts.tgi.concurrency).toBeGreaterThanOrEqual(64)
    expect(ServerKind.facts.openai.concurrency).toBe(8)
  })
})

describe("HuggingFace.apportion", () => {
  test.prop([fc.nat({ max: 100_000 }), fc.array(fc.nat({ max: 500 }), { minLength: 1, maxLength: 16 })])(
    "for all totals and weights, the parts are whole, sum to the total, and differ from the exact share by less than 1",
    (total, weights) => {
      const parts = HuggingFace.apportion(total, weights)
      expect(parts).toHaveLength(weights.length)
      expect(parts.reduce((sum, part) => sum + part, 0)).toBe(total)
      const weightSum = weights.reduce((sum, weight) => sum + weight, 0)
      parts.forEach((part, index) => {
        expect(Number.isInteger(part)).toBe(true)
        const exact = weightSum === 0 ? total / weights.length : (total * (weights[index] ?? 0)) / weightSum
        expect(Math.abs(part - exact)).toBeLessThan(1)
      })
    }
  )
})

describe("HuggingFace backend: Retry-After and interruption", () => {
  itEffect("a 429's Retry-After seconds reach the error (LanguageModel.make waits that long before its retry)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* faulty({ rateLimited: 1, retryAfterSeconds: 2 })
        const model = yield* backend({ endpointUrl: url, retry: { times: 0, baseMillis: 1, capMillis: 1 } })
        const error = yield* Effect.flip(model.generate(step()))
        expect(error._tag === "RateLimited" && error.retryAfterMillis).toBe(2000)
      })
    )
  )

  itEffect("interrupting a call aborts its HTTP request", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* faulty({ slow: 1, slowMillis: 5_000 })
        const signals: Array<AbortSignal> = []
        const spy: typeof fetch = (input, init) => {
          if (init?.signal) signals.push(init.signal)
          return fetch(input, init)
        }
        const model = yield* backend({ endpointUrl: url, fetch: spy })
        const fiber = yield* Effect.forkChild(model.generate(step()))
        while (signals.length === 0) yield* Effect.sleep("5 millis")
        expect(signals[0]?.aborted).toBe(false)
        yield* Fiber.interrupt(fiber)
        expect(signals[0]?.aborted).toBe(true)
      })
    )
  )
})

/** A fake that answers each request with the status and body `respond` gives (usage reported on every answer). */
const statusServer = (respond: (body: Record<string, unknown>) => { readonly status: number; readonly body: unknown }) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ url: string; close: () => Promise<void>; requests: () => number }>((resolve) => {
          let requests = 0
          const http = createServer((request, response) => {
            let text = ""
            request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")))
            request.on("end", () => {
              requests++
              const answer = respond(JSON.parse(text) as Record<string, unknown>)
              response.writeHead(answer.status, { "content-type": "application/json" })
              response.end(JSON.stringify(answer.body))
            })
          })
          http.listen(0, "127.0.0.1", () =>
            resolve({
              url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
              requests: () => requests,
              close: () => new Promise<void>((done) => http.close(() => done()))
            })
          )
        })
    ),
    (fake) => Effect.promise(() => fake.close())
  )

const chatAnswer = (choices: ReadonlyArray<unknown>, usage: { readonly prompt_tokens: number; readonly completion_tokens: number }) => ({
  id: "x",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices,
  usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }
})

describe("HuggingFace backend: what a failed call spent", () => {
  itEffect("a sample's request that keeps failing fails the call, and the answered samples' reported tokens are charged, every attempt's", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // llama.cpp's server takes one sample per request (seed + index); the fourth keeps answering 503.
        let answered = 0
        const fake = yield* statusServer((body) => {
          if (body["seed"] === 3) return { status: 503, body: { error: { code: 503, message: "Loading model", type: "unavailable_error" } } }
          answered++
          return { status: 200, body: chatAnswer([{ index: 0, message: { role: "assistant", content: "2 + 3 = 5." }, finish_reason: "stop" }], { prompt_tokens: 20, completion_tokens: 10 }) }
        })
        const model = HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "llama.cpp", retry: { times: 2, baseMillis: 1, capMillis: 2 } })
        const { outcome, spent, reserved } = yield* metered(model, step({ n: 4, seed: 0, stop: [] }))
        expect(outcome._tag).toBe("Failure")
        expect(fake.requests()).toBe(12)
        expect(answered).toBe(9)
        expect(spent.inputTokens).toBe(9 * 20)
        expect(spent.outputTokens).toBe(9 * 10)
        expect(reserved.totalTokens).toBe(0)
      })
    )
  )

  itEffect("a retried call that then succeeds is charged its answer and what the failed attempts' answered samples spent", () =>
    Effect.scoped(
      Effect.gen(function* () {
        let failures = 1
        const fake = yield* statusServer((body) => {
          if (body["seed"] === 1 && failures-- > 0) return { status: 503, body: { error: { message: "busy" } } }
          return { status: 200, body: chatAnswer([{ index: 0, message: { role: "assistant", content: "2 + 3 = 5." }, finish_reason: "stop" }], { prompt_tokens: 20, completion_tokens: 10 }) }
        })
        const model = HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "llama.cpp", retry: { times: 2, baseMillis: 1, capMillis: 2 } })
        const { outcome, spent } = yield* metered(model, step({ n: 2, seed: 0, stop: [] }))
        expect(outcome._tag).toBe("Success")
        // Attempt one: sample 0 answered, sample 1 refused; attempt two: both answered.
        expect(fake.requests()).toBe(4)
        expect(spent.inputTokens).toBe(3 * 20)
        expect(spent.outputTokens).toBe(3 * 10)
      })
    )
  )

  itEffect("a server that answers fewer samples than asked (an empty choices list) fails the call with BadResponse, its prompt tokens charged", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* statusServer(() => ({ status: 200, body: chatAnswer([], { prompt_tokens: 20, completion_tokens: 0 }) }))
        const model = HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "vllm", retry: { times: 0, baseMillis: 1, capMillis: 2 } })
        const { outcome, spent } = yield* metered(model, step({ n: 4, seed: 0, stop: [] }))
        expect(outcome._tag).toBe("Failure")
        if (outcome._tag === "Failure") {
          expect(outcome.failure._tag).toBe("BadResponse")
          expect(outcome.failure.message).toContain("the server returned 0 of 4 samples")
        }
        // One request for the four, then one per missing sample: five prompts read.
        expect(fake.requests()).toBe(5)
        expect(spent.inputTokens).toBe(5 * 20)
      })
    )
  )
})

describe("HuggingFace backend: vLLM's and OpenAI's other finish reasons", () => {
  itEffect('"repetition" and "content_filter" are cut texts ("length"), never a natural end; "abort" fails the call, retryably, its tokens charged', () =>
    Effect.scoped(
      Effect.gen(function* () {
        let reason = "repetition"
        const fake = yield* statusServer(() => ({
          status: 200,
          body: chatAnswer([{ index: 0, message: { role: "assistant", content: "Step 1: 2 + 3 = " }, finish_reason: reason, stop_reason: null }], { prompt_tokens: 20, completion_tokens: 10 })
        }))
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "vllm", retry: { times: 1, baseMillis: 1, capMillis: 2 } })
        for (const cut of ["repetition", "content_filter", "length"]) {
          reason = cut
          const [completion] = yield* model.generate(step({ stop: ["\n\n"] }))
          expect(completion?.finishReason, cut).toBe("length")
        }
        reason = "abort"
        const before = fake.requests()
        const { outcome, spent } = yield* metered(Effect.succeed(model), step({ stop: ["\n\n"] }))
        expect(outcome._tag).toBe("Failure")
        if (outcome._tag === "Failure") expect(outcome.failure).toMatchObject({ _tag: "Unavailable" })
        expect(fake.requests() - before).toBe(2)
        expect(spent.outputTokens).toBe(2 * 10)
      })
    )
  )
})

describe("HuggingFace backend: vLLM's reasoning parsers", () => {
  itEffect("a choice whose content is null gives the reasoning the parser took out (reasoning, or reasoning_content in older releases); content wins when there is one", () =>
    Effect.scoped(
      Effect.gen(function* () {
        let message: Record<string, unknown> = {}
        const fake = yield* statusServer(() => ({
          status: 200,
          body: chatAnswer([{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop", stop_reason: "</think>" }], { prompt_tokens: 20, completion_tokens: 10 })
        }))
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "vllm", retry: { times: 0, baseMillis: 1, capMillis: 2 } })
        const textFor = (given: Record<string, unknown>) => {
          message = given
          return Effect.map(model.generate(step({ stop: ["</think>"] })), (completions) => completions[0]?.text)
        }
        const chain = "Step 1 is right: 2 + 3 = 5. \\boxed{correct}"
        expect(yield* textFor({ content: null, reasoning: chain })).toBe(chain)
        expect(yield* textFor({ content: null, reasoning_content: chain })).toBe(chain)
        expect(yield* textFor({ content: "", reasoning: chain, reasoning_content: chain })).toBe(chain)
        expect(yield* textFor({ content: "The answer is 5.", reasoning: chain })).toBe("The answer is 5.")
        expect(yield* textFor({ content: null })).toBe("")
      })
    )
  )
})

describe("HuggingFace backend: continuing a step as real templates render it", () => {
  itEffect("a prompt rendered here for /v1/completions leaves out the template's BOS, which the server adds itself (it was there twice)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const prompts: Array<string> = []
        const fake = yield* statusServer((body) => {
          prompts.push(String(body["prompt"]))
          return { status: 200, body: { id: "x", object: "text_completion", created: 1, model: "m", choices: [{ index: 0, text: "Add 2 and 3.", finish_reason: "stop" }], usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 } } }
        })
        const bos = "<|begin_of_text|>"
        const template = yield* ChatTemplate.fromString(
          "{{ bos_token }}{% for message in messages %}<|start_header_id|>{{ message.role }}<|end_header_id|>\n\n{{ message.content | trim }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}",
          { bosToken: bos }
        )
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "vllm", continuation: "completions", template, retry: { times: 0, baseMillis: 1, capMillis: 2 } })
        expect(model.info.continuesWith).toBe("generation-prompt")
        yield* model.generate(step({ prefix: "## Step 1: Add.\n\n", stop: ["\n\n"] }))
        expect(prompts[0]!.startsWith("<|start_header_id|>system")).toBe(true)
        expect(prompts[0]!.includes(bos)).toBe(false)
        // The prefix goes verbatim, its delimiter kept, whatever the template does to a message.
        expect(prompts[0]!.endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n## Step 1: Add.\n\n")).toBe(true)
      })
    )
  )

  itEffect("a server whose template trimmed the continued prefix's delimiter (every sample empty at once) fails naming continuation, where each trajectory silently ended after one step", () =>
    Effect.scoped(
      Effect.gen(function* () {
        let content = ""
        const fake = yield* statusServer((body) => ({
          status: 200,
          body: chatAnswer(
            Array.from({ length: Number(body["n"] ?? 1) }, (_, index) => ({ index, message: { role: "assistant", content }, finish_reason: "stop", stop_reason: "\n\n" })),
            { prompt_tokens: 30, completion_tokens: 1 }
          )
        }))
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "vllm", retry: { times: 0, baseMillis: 1, capMillis: 2 } })
        expect(model.info.continuesWith).toBe("final-message")
        const trimmed = yield* Effect.flip(model.generate(step({ n: 4, prefix: "## Step 1: Add 2 and 3.\n\n", stop: ["\n\n"] })))
        expect(trimmed).toMatchObject({ _tag: "InvalidRequest", field: "continuation" })
        expect(trimmed.message).toContain('continuation: "completions"')
        // A real step after the prefix, an empty first step (no prefix), or a prefix without trailing space: no refusal.
        content = "## Step 2: 5."
        expect((yield* model.generate(step({ n: 4, prefix: "## Step 1: Add 2 and 3.\n\n", stop: ["\n\n"] }))).map((completion) => completion.text)).toEqual(Array(4).fill("## Step 2: 5."))
        content = ""
        yield* model.generate(step({ n: 2, stop: ["\n\n"] }))
        yield* model.generate(step({ n: 2, prefix: "## Step 1: Add", stop: ["\n\n"] }))
        // A server that names no matched stop (llama.cpp's, Ollama's): an empty sample may be the model's end of
        // sequence after a finished solution, a normal end, not refused.
        const plain = yield* statusServer((body) => ({
          status: 200,
          body: chatAnswer(
            Array.from({ length: Number(body["n"] ?? 1) }, (_, index) => ({ index, message: { role: "assistant", content: "" }, finish_reason: "stop" })),
            { prompt_tokens: 30, completion_tokens: 1 }
          )
        }))
        // SGLang names the stop it matched as matched_stop: refused as vLLM's is.
        const sglang = yield* statusServer((body) => ({
          status: 200,
          body: chatAnswer(
            Array.from({ length: Number(body["n"] ?? 1) }, (_, index) => ({ index, message: { role: "assistant", content: "" }, finish_reason: "stop", matched_stop: "\n\n" })),
            { prompt_tokens: 30, completion_tokens: 1 }
          )
        }))
        const sglangModel = yield* HuggingFace.make({ endpointUrl: sglang.url, model: "m", kind: "sglang", retry: { times: 0, baseMillis: 1, capMillis: 2 } })
        expect(yield* Effect.flip(sglangModel.generate(step({ n: 2, prefix: "## Step 1: Add 2 and 3.\n\n", stop: ["\n\n"] })))).toMatchObject({ _tag: "InvalidRequest", field: "continuation" })
        const llamaServer = yield* HuggingFace.make({ endpointUrl: plain.url, model: "m", kind: "llama.cpp", retry: { times: 0, baseMillis: 1, capMillis: 2 } })
        const ended = yield* llamaServer.generate(step({ n: 2, prefix: "## Step 2: The answer is $\\boxed{5}$.\n\n", stop: ["\n\n"] }))
        expect(ended.map((completion) => completion.text)).toEqual(["", ""])
      })
    )
  )
})

describe("HuggingFace backend: a used-up quota", () => {
  itEffect("OpenAI's 429 insufficient_quota is not retried (a rate limit is), and says why", () =>
    Effect.scoped(
      Effect.gen(function* () {
        let code = "insufficient_quota"
        const fake = yield* statusServer(() => ({
          status: 429,
          body: { error: { message: "You exceeded your current quota, please check your plan and billing details.", type: code, param: null, code } }
        }))
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "openai-compatible", retry: { times: 2, baseMillis: 1, capMillis: 2 } })
        const quota = yield* Effect.flip(model.generate(step()))
        expect(quota._tag).toBe("InvalidRequest")
        expect(quota.message).toContain("the account's quota is used up")
        expect(fake.requests()).toBe(1)
        code = "rate_limit_exceeded"
        expect((yield* Effect.flip(model.generate(step())))._tag).toBe("RateLimited")
        expect(fake.requests()).toBe(4)
      })
    )
  )
})

describe("HuggingFace backend: a template that rewrites the continued step", () => {
  itEffect("transformers' 400 (the final message does not appear) names continuation and the way out", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* statusServer(() => ({
          status: 400,
          body: {
            object: "error",
            message:
              "continue_final_message is set but the final message does not appear in the chat after applying the chat template! This can happen if the chat template deletes portions of the final message. Please verify the chat template and final message in your chat to ensure they are compatible.",
            type: "BadRequestError",
            param: null,
            code: 400
          }
        }))
        const model = yield* HuggingFace.make({ endpointUrl: fake.url, model: "m", kind: "vllm", retry: { times: 2, baseMillis: 1, capMillis: 2 } })
        const refused = yield* Effect.flip(model.generate(step({ prefix: "<think>\nLet me add.\n</think>\n\n## Step 1: 5.\n\n", stop: ["\n\n"] })))
        expect(refused).toMatchObject({ _tag: "InvalidRequest", field: "continuation" })
        expect(refused.message).toContain('continuation: "completions"')
        expect(fake.requests()).toBe(1)
      })
    )
  )
})
