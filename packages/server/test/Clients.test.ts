import { chatCompletion, chatCompletionStream } from "@huggingface/inference"
import fc from "fast-check"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { Registry } from "@stepwise/core"
import type { Resource } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import type { Server } from "../src/index.js"
import { Completion, Limits } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

// The official clients against `stepwise serve` over the simulator: what a user of the OpenAI or Hugging Face SDK
// writes, unchanged but for the base URL and the `stepwise` extension.

type Body = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming
type StreamBody = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming

interface Extension {
  readonly run_id: string
  readonly strategy: string
  readonly outcome: string
  readonly answer: string | null
  readonly budget: { readonly limits: Record<string, number>; readonly deadline_ms: number | null }
  readonly budget_exhausted: boolean
}

const extensionOf = (response: unknown): Extension => (response as { stepwise: Extension }).stepwise

/** The usage of a response as this server writes it (the standard fields and the `stepwise` extension). */
const usageOf = (response: unknown): Completion.Usage => (response as { usage: Completion.Usage }).usage

const amountsOfUsage = (usage: unknown): Partial<Record<Resource.Resource, number>> => {
  const fields = (usage as { stepwise: Record<string, number> }).stepwise
  return {
    inputTokens: fields["input_tokens"]!,
    outputTokens: fields["output_tokens"]!,
    totalTokens: fields["policy_tokens"]!,
    verifierCalls: fields["verifier_calls"]!,
    verifierTokens: fields["verifier_tokens"]!,
    cost: fields["cost"]!
  }
}

let server: Server.Handle
let client: OpenAI
let questions: ReadonlyArray<string>

beforeAll(async () => {
  const started = await Served.start({ keepRuns: 500 })
  server = started.server
  questions = Served.problems(started.world, 40).map((problem) => problem.question)
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
})

afterAll(async () => {
  await server.close()
})

const spentOf = (id: string) => {
  const spent = server.state().spentById.get(id)
  if (spent === undefined) throw new Error(`the server metered nothing for ${id}`)
  return spent
}

describe("the openai client", () => {
  it("asks for a strategy in the model name and a budget in extra_body; usage is the accountant's spend, within the budget", async () => {
    const response = await client.chat.completions.create({
      model: "beam-search:stepwise-sim",
      messages: [{ role: "user", content: questions[0]! }],
      stepwise: { options: { beams: 4, width: 2 }, budget: { totalTokens: 3000, verifierCalls: 20 } }
    } as Body)
    const extension = extensionOf(response)
    expect(extension.strategy).toBe("beam-search")
    expect(extension.budget.limits).toEqual({ totalTokens: 3000, verifierCalls: 20, verifierTokens: 100_000 })
    expect(response.usage).toEqual(Served.usageFor(spentOf(response.id)))
    expect(usageOf(response).stepwise.policy_tokens).toBeLessThanOrEqual(3000)
    expect(usageOf(response).stepwise.verifier_calls).toBeLessThanOrEqual(20)
    expect(usageOf(response).stepwise.verifier_tokens, "verifier tokens are counted").toBeGreaterThan(0)
    expect(usageOf(response).total_tokens).toBe(usageOf(response).prompt_tokens + usageOf(response).completion_tokens + usageOf(response).stepwise.verifier_tokens)
    if (extension.outcome === "answered") expect(response.choices[0]!.message.content).toContain(`\\boxed{${extension.answer}}`)
    expect(response.choices[0]!.finish_reason).toMatch(/^(stop|length)$/)
  })

  it("takes the strategy and budget from headers", async () => {
    const response = await client.chat.completions.create(
      { model: "stepwise-sim", messages: [{ role: "user", content: questions[1]! }] },
      { headers: { "x-stepwise-strategy": "best-of-n", "x-stepwise-options": '{"n":3}', "x-stepwise-budget-total-tokens": "2500", "x-stepwise-budget-verifier-calls": "3" } }
    )
    const extension = extensionOf(response)
    expect(extension.strategy).toBe("best-of-n")
    expect(extension.budget.limits).toEqual({ totalTokens: 2500, verifierCalls: 3, verifierTokens: 100_000 })
    expect(response.usage).toEqual(Served.usageFor(spentOf(response.id)))
    expect(usageOf(response).stepwise.policy_tokens).toBeLessThanOrEqual(2500)
    expect(usageOf(response).stepwise.verifier_calls).toBeLessThanOrEqual(3)
  })

  it("caps a budget above the server's maximum", async () => {
    const response = await client.chat.completions.create({
      model: "best-of-n:stepwise-sim",
      messages: [{ role: "user", content: questions[2]! }],
      stepwise: { options: { n: 2 }, budget: { totalTokens: 1e9 } }
    } as Body)
    expect(extensionOf(response).budget.limits["totalTokens"]).toBe(Limits.settings.parse({}).request.max.totalTokens)
  })

  it("streams progress chunks a plain client can concatenate, then the answer, the end summary and usage", async () => {
    const stream = await client.chat.completions.create({
      model: "a-star:stepwise-sim",
      messages: [{ role: "user", content: questions[3]! }],
      stream: true,
      stream_options: { include_usage: true },
      stepwise: { options: { expansions: 2 }, budget: { totalTokens: 4000 } }
    } as StreamBody)
    const chunks: Array<OpenAI.Chat.Completions.ChatCompletionChunk> = []
    for await (const chunk of stream) chunks.push(chunk)
    const content = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")
    const extensions = chunks.map((chunk) => (chunk as unknown as { stepwise?: { type: string; event?: { _tag: string } } }).stepwise)
    const progress = extensions.filter((extension) => extension?.type === "progress")
    expect(progress.length, "one chunk per search event").toBeGreaterThan(5)
    expect(progress.map((extension) => extension!.event!._tag)).toContain("step-generate")
    expect(extensions[0]?.type).toBe("start")
    const end = extensions.find((extension) => extension?.type === "end") as unknown as Extension & { usage: unknown }
    expect(end).toBeDefined()
    if (end.outcome === "answered") expect(content).toContain(`\\boxed{${end.answer}}`)
    const last = chunks.at(-1)!
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual(Served.usageFor(spentOf(last.id)))
    expect(end.usage).toEqual(last.usage)
    expect(usageOf(last).stepwise.policy_tokens).toBeLessThanOrEqual(4000)
  })

  it("answers a misspelt option of every registered strategy, in the body or a header, with a 400 naming the field and the allowed keys", async () => {
    for (const entry of Registry.list(Strategies.registry)) {
      const allowed = Object.keys((entry.options as { shape: Record<string, unknown> }).shape)
      const viaBody = client.chat.completions.create({
        model: `${entry.kind}:stepwise-sim`,
        messages: [{ role: "user", content: questions[0]! }],
        stepwise: { options: { notAnOption: 1 } }
      } as Body)
      await expect(viaBody).rejects.toMatchObject({ status: 400, param: "stepwise.options.notAnOption" })
      const error = (await viaBody.catch((failure: unknown) => failure)) as InstanceType<typeof OpenAI.APIError>
      for (const key of allowed) expect(error.message).toContain(key)
      const invalid = await Effect.runPromise(Effect.flip(Registry.parse(Strategies.registry, entry.kind, { notAnOption: 1 })))
      expect(error.message).toContain(`stepwise.options: ${invalid.message}`)
      expect(invalid.message).toContain('"notAnOption"')
      const viaHeader = client.chat.completions.create(
        { model: "stepwise-sim", messages: [{ role: "user", content: questions[0]! }] },
        { headers: { "x-stepwise-strategy": entry.kind, "x-stepwise-options": '{"notAnOption":1}' } }
      )
      await expect(viaHeader).rejects.toMatchObject({ status: 400, param: "x-stepwise-options.notAnOption" })
    }
  })

  it("refuses what it cannot serve with typed errors: an unknown model, strategy, budget key or header, conflicting choices, n > 1", async () => {
    const ask = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      client.chat.completions.create({ model: "stepwise-sim", messages: [{ role: "user", content: questions[0]! }], ...body } as Body, { headers })
    await expect(ask({ model: "gpt-4o" })).rejects.toMatchObject({ status: 404, param: "model", code: "model_not_found" })
    // A size past the cap is refused before anything is allocated (n: 1e9 took the whole server down), and the server stays up.
    await expect(ask({ model: "best-of-n:stepwise-sim", stepwise: { options: { n: 1e9 }, budget: { totalTokens: 2000 } } })).rejects.toMatchObject({
      status: 400,
      param: "stepwise.options.n",
      message: expect.stringContaining("≤ 8192")
    })
    await expect(ask({ model: "a-stra:stepwise-sim" })).rejects.toMatchObject({ status: 400, param: "model", message: expect.stringContaining('did you mean "a-star"') })
    await expect(ask({ stepwise: { budget: { totlTokens: 5 } } })).rejects.toMatchObject({ status: 400, param: "stepwise.budget.totlTokens", message: expect.stringContaining("totalTokens") })
    await expect(ask({ stepwise: { budjet: {} } })).rejects.toMatchObject({ status: 400, param: "stepwise.budjet", message: expect.stringContaining("budget") })
    await expect(ask({}, { "x-stepwise-budget-totl-tokens": "5" })).rejects.toMatchObject({ status: 400, param: "x-stepwise-budget-totl-tokens", message: expect.stringContaining("x-stepwise-budget-total-tokens") })
    await expect(ask({}, { "x-stepwise-budget-total-tokens": "lots" })).rejects.toMatchObject({ status: 400, param: "x-stepwise-budget-total-tokens" })
    await expect(ask({ model: "a-star:stepwise-sim", stepwise: { strategy: "best-of-n" } })).rejects.toMatchObject({ status: 400, param: "stepwise.strategy" })
    await expect(ask({ stepwise: { budget: { totalTokens: 5 } } }, { "x-stepwise-budget-total-tokens": "6" })).rejects.toMatchObject({ status: 400, param: "x-stepwise-budget-total-tokens" })
    await expect(ask({ n: 2 })).rejects.toMatchObject({ status: 400, param: "n" })
    await expect(ask({ messages: [{ role: "assistant", content: "hi" }] })).rejects.toMatchObject({ status: 400, param: "messages.0.role" })
  })

  it("lists the upstream model and every strategy over it", async () => {
    const models = await client.models.list()
    const ids = models.data.map((model) => model.id)
    expect(ids).toEqual(["stepwise-sim", ...Strategies.registry.kinds.map((kind) => `${kind}:stepwise-sim`)])
  })

  it("ends at the deadline with the best answer so far: the search sees the deadline as its budget's end", async () => {
    const { server: slow, world } = await Served.start({ latency: { timeToFirstTokenMillis: 40, millisPerOutputToken: 0 } })
    try {
      const slowClient = new OpenAI({ baseURL: `${slow.url}/v1`, apiKey: "unused", maxRetries: 0 })
      const response = await slowClient.chat.completions.create(
        { model: "a-star:stepwise-sim", messages: [{ role: "user", content: Served.problems(world, 1)[0]!.question }] },
        { headers: { "x-stepwise-deadline-ms": "300", "x-stepwise-budget-total-tokens": "100000" } }
      )
      const extension = extensionOf(response)
      expect(extension.budget.deadline_ms).toBe(300)
      expect(extension.budget_exhausted).toBe(true)
      const tree = (await (await fetch(`${slow.url}/v1/runs/${extension.run_id}`)).json()) as { events: Array<{ event: { _tag: string; resource?: string } }> }
      expect(tree.events.map((entry) => entry.event)).toContainEqual(expect.objectContaining({ _tag: "budget-exhaust", resource: "deadline", budget: response.id }))
      expect((extension as Extension & { exhausted_by: string }).exhausted_by).toBe("deadline")
      expect(Served.nothingReserved(slow.state().budget)).toBe(true)
    } finally {
      await slow.close()
    }
  })

  it("never reports more than the budget, for random budgets and strategies (the usage equal to the accountant's spend)", async () => {
    const kinds = [
      { kind: "best-of-n", options: { n: 3 } },
      { kind: "self-consistency", options: { n: 3 } },
      { kind: "beam-search", options: { beams: 4, width: 2 } },
      { kind: "dvts", options: { beams: 4, width: 2 } },
      { kind: "particle-filtering", options: { particles: 3 } },
      { kind: "a-star", options: { expansions: 2 } }
    ]
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...kinds),
        fc.record(
          {
            totalTokens: fc.integer({ min: 0, max: 4000 }),
            outputTokens: fc.integer({ min: 0, max: 1500 }),
            verifierCalls: fc.integer({ min: 0, max: 30 }),
            verifierTokens: fc.integer({ min: 0, max: 8000 }),
            cost: fc.integer({ min: 0, max: 8000 })
          },
          { requiredKeys: [] }
        ),
        fc.nat({ max: 39 }),
        fc.boolean(),
        async (strategy, budget, question, inHeaders) => {
          const headers = inHeaders
            ? Object.fromEntries(Object.entries(budget).map(([key, value]) => [`x-stepwise-budget-${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`, String(value)]))
            : {}
          const response = await client.chat.completions.create(
            {
              model: `${strategy.kind}:stepwise-sim`,
              messages: [{ role: "user", content: questions[question]! }],
              stepwise: { options: strategy.options, ...(inHeaders ? {} : { budget }) }
            } as Body,
            { headers }
          )
          const spent = spentOf(response.id)
          expect(response.usage).toEqual(Served.usageFor(spent))
          const reported = amountsOfUsage(response.usage)
          for (const [resource, limit] of Object.entries(budget)) expect(reported[resource as Resource.Resource], resource).toBeLessThanOrEqual(limit)
        }
      ),
      { numRuns: 25 }
    )
    expect(Served.nothingReserved(server.state().budget)).toBe(true)
  })
})

describe("the Hugging Face client", () => {
  it("chatCompletion: the strategy and budget in extra body fields; usage is the accountant's spend", async () => {
    const response = await chatCompletion(
      {
        endpointUrl: server.url,
        model: "best-of-n:stepwise-sim",
        messages: [{ role: "user", content: questions[5]! }],
        stepwise: { options: { n: 2 }, budget: { totalTokens: 2000 } }
      } as Parameters<typeof chatCompletion>[0],
      { retry_on_error: false }
    )
    expect(extensionOf(response).budget.limits).toEqual({ totalTokens: 2000, verifierTokens: 100_000 })
    expect(response.usage).toEqual(Served.usageFor(spentOf(response.id)))
    expect(usageOf(response).stepwise.policy_tokens).toBeLessThanOrEqual(2000)
  })

  it("chatCompletionStream: reads the answer from delta.content; the budget in headers", async () => {
    const withHeaders: typeof fetch = (input, init) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), "x-stepwise-budget-total-tokens": "3000", "x-stepwise-strategy": "beam-search" } })
    let content = ""
    let id = ""
    let usage: unknown
    for await (const chunk of chatCompletionStream(
      { endpointUrl: server.url, model: "stepwise-sim", messages: [{ role: "user", content: questions[6]! }], stream_options: { include_usage: true }, stepwise: { options: { beams: 2, width: 2 } } } as Parameters<typeof chatCompletionStream>[0],
      { retry_on_error: false, fetch: withHeaders }
    )) {
      content += chunk.choices[0]?.delta.content ?? ""
      id = chunk.id
      if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage
    }
    const run = (await (await fetch(`${server.url}/v1/runs/${id}`)).json()) as { run: { strategy: string; limits: unknown }; end: { answer?: string } }
    expect(run.run).toMatchObject({ strategy: "beam-search", limits: { totalTokens: 3000 } })
    if (run.end.answer !== undefined) expect(content).toContain(`\\boxed{${run.end.answer}}`)
    expect(usage).toEqual(Served.usageFor(spentOf(id)))
  })
})

describe("a client that goes away", () => {
  it("mid-stream interrupts the search and releases every reservation", async () => {
    const { server: slow, world } = await Served.start({ latency: { timeToFirstTokenMillis: 25, millisPerOutputToken: 0 } })
    try {
      const slowClient = new OpenAI({ baseURL: `${slow.url}/v1`, apiKey: "unused", maxRetries: 0 })
      const controller = new AbortController()
      const stream = await slowClient.chat.completions.create(
        {
          model: "a-star:stepwise-sim",
          messages: [{ role: "user", content: Served.problems(world, 1)[0]!.question }],
          stream: true,
          stepwise: { budget: { totalTokens: 100_000 } }
        } as StreamBody,
        { signal: controller.signal }
      )
      let id = ""
      let seen = 0
      const reading = (async () => {
        for await (const chunk of stream) {
          id = chunk.id
          seen++
          if (seen === 4) controller.abort()
        }
      })()
      // The client ends its iteration (or throws, by version) once aborted: either way the connection is gone.
      await reading.catch(() => undefined)
      expect(seen).toBeGreaterThanOrEqual(4)
      await Served.waitUntil(() => slow.state().activeRequests === 0, "the request stopped")
      const state = slow.state()
      expect(Served.nothingReserved(state.budget)).toBe(true)
      expect(state.poolInUse + state.poolWaiting).toBe(0)
      expect(state.budget.children.map((child) => child.label)).toEqual(["server/local"])
      expect(state.budget.children[0]!.children, "the request's budget was closed").toEqual([])
      const run = (await (await fetch(`${slow.url}/v1/runs/${id}`)).json()) as { end: { status: string; spent: Resource.Amounts } }
      expect(run.end.status).toBe("interrupted")
      expect(run.end.spent).toEqual(state.spentById.get(id))
      const metrics = await (await fetch(`${slow.url}/metrics`)).text()
      expect(metrics).toMatch(/stepwise_disconnects_total 1\b/)
      expect(metrics).toMatch(/stepwise_requests_total\{strategy="a-star",stream="true",outcome="interrupted"\} 1\b/)
    } finally {
      await slow.close()
    }
  })
})
