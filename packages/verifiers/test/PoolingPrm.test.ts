import { afterAll, beforeAll, describe, expect } from "vitest"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createServer, type Server } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AddressInfo } from "node:net"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Cause, Effect, Exit } from "effect"
import { Accountant, CostModel } from "@stepwise/accountant"
import { itEffect } from "@stepwise/testing"
import { PoolingPrm } from "@stepwise/verifiers"
import { problem, trajectoryOf } from "./support/Fixtures.js"

/** A tiny vLLM-like `/pooling` server: P(positive) of step k is 0.9 unless its text has "wrong" (then 0.2). */
type Behaviour = "ok" | "fail-once" | "rate-limit-once" | "bad-request" | "garbage" | "wrong-count" | "always-500" | "reversed" | "bad-index"
let behaviour: Behaviour = "ok"
let hits = 0
let lastBody: Record<string, unknown> = {}
let server: Server
let url = ""
let connections = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ""
    request.on("data", (chunk: Buffer) => (body += chunk.toString()))
    request.on("end", () => {
      hits++
      if (request.url !== "/pooling" || request.method !== "POST") return void response.writeHead(404).end("not found")
      lastBody = JSON.parse(body) as Record<string, unknown>
      if (behaviour === "always-500" || (behaviour === "fail-once" && hits === 1)) return void response.writeHead(503).end("overloaded")
      if (behaviour === "rate-limit-once" && hits === 1) return void response.writeHead(429, { "retry-after": "0" }).end("slow down")
      if (behaviour === "bad-request") return void response.writeHead(400).end(JSON.stringify({ error: "bad model" }))
      if (behaviour === "garbage") return void response.writeHead(200, { "content-type": "application/json" }).end(`{"data": [{"data": "nope"}]}`)
      // Chat form: the assistant turn; input form: each input (a string or a list, as vLLM takes).
      const raw = lastBody["input"]
      const texts = raw === undefined ? [(lastBody["messages"] as ReadonlyArray<{ content: string }>)[2]!.content] : typeof raw === "string" ? [raw] : (raw as ReadonlyArray<string>)
      const data = texts.map((text, index) => {
        const pairs = text.split("<extra_0>").slice(0, -1).map((step) => (step.includes("wrong") ? [0.8, 0.2] : [0.1, 0.9]))
        if (behaviour === "wrong-count") pairs.push([0.5, 0.5])
        return { index: behaviour === "bad-index" ? index + 1 : index, object: "pooling", data: pairs }
      })
      if (behaviour === "reversed") data.reverse()
      response.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ id: "pool-1", object: "list", created: 1, model: "prm", data, usage: { prompt_tokens: 42, total_tokens: 42 } })
      )
    })
  })
  server.on("connection", () => connections++)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const reset = (next: Behaviour) => {
  behaviour = next
  hits = 0
}

const steps = ["Step 1: 2 + 3 = 5", "Step 2: 5 * 4 = 21 (wrong)", "Step 3: done"]

describe("PoolingPrm against a /pooling server", () => {
  itEffect("sends the tagged steps as chat messages and reads P(positive) at each tag", () =>
    Effect.gen(function* () {
      reset("ok")
      const prm = yield* PoolingPrm.make({ url, model: "prm" })
      const scoring = yield* prm.score(problem, trajectoryOf(steps))
      expect(scoring.stepScores).toEqual([0.9, 0.2, 0.9])
      expect(scoring.usage.inputTokens).toBe(42)
      expect(lastBody).toEqual({
        model: "prm",
        messages: [
          { role: "system", content: PoolingPrm.defaultSystem },
          { role: "user", content: problem.question },
          { role: "assistant", content: steps.map((step) => `${step}<extra_0>`).join("") }
        ]
      })
    })
  )

  itEffect("names its model on its calls, so a price table keyed by the PRM's model name prices them (they fell back to the default rate)", () =>
    Effect.gen(function* () {
      reset("ok")
      const prm = yield* PoolingPrm.make({ url, model: "prm" })
      expect(prm.info.model).toBe("prm")
      const costModel = CostModel.price({ inputPerMillion: 1, outputPerMillion: 1, models: { prm: { inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 } } })
      const accountant = yield* Accountant.make({}, "priced", { costModel })
      yield* prm.score(problem, trajectoryOf(steps)).pipe(Accountant.provide(accountant))
      // The server reports 42 prompt tokens: a dollar each at the PRM's own price.
      expect((yield* accountant.snapshot).spent.cost).toBe(42)
    })
  )

  itEffect("renders its input with a model's chat template, leaving out the template's BOS, which the server adds itself", () =>
    Effect.gen(function* () {
      reset("ok")
      const folder = mkdtempSync(join(tmpdir(), "stepwise-prm-template-"))
      writeFileSync(
        join(folder, "tokenizer_config.json"),
        JSON.stringify({ bos_token: "<|begin_of_text|>", chat_template: "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}" })
      )
      const prm = yield* PoolingPrm.make({ url, model: "prm", chatTemplate: folder })
      yield* prm.score(problem, trajectoryOf(steps.slice(0, 1)))
      expect(lastBody["input"]).toBe(`<system>${PoolingPrm.defaultSystem}<user>${problem.question}<assistant>${steps[0]}<extra_0>`)
    })
  )

  itEffect("keeps its connections alive: sequential scores share one, concurrent ones no more than are in flight", () =>
    Effect.gen(function* () {
      reset("ok")
      const prm = yield* PoolingPrm.make({ url, model: "prm" })
      const before = connections
      for (let index = 0; index < 10; index++) yield* prm.score(problem, trajectoryOf(steps))
      expect(connections - before).toBeLessThanOrEqual(1)
      for (let round = 0; round < 3; round++)
        yield* Effect.forEach(Array.from({ length: 8 }, () => steps), (each) => prm.score(problem, trajectoryOf(each)), { concurrency: "unbounded" })
      expect(connections - before).toBeLessThanOrEqual(8)
      expect(hits).toBe(34)
    })
  )

  itEffect("takes the step tag, delimiter and extra body fields as options", () =>
    Effect.gen(function* () {
      reset("ok")
      const prm = yield* PoolingPrm.make({ url, model: "prm", delimiter: "\n", body: { task: "token_classify" } })
      yield* prm.score(problem, trajectoryOf(["a", "b<extra_0>c"]))
      expect((lastBody["messages"] as Array<{ content: string }>)[2]!.content).toBe("a<extra_0>\nbc<extra_0>")
      expect(lastBody["task"]).toBe("token_classify")
    })
  )

  itEffect("retries 5xx and 429 (honouring Retry-After), then succeeds", () =>
    Effect.gen(function* () {
      for (const next of ["fail-once", "rate-limit-once"] as const) {
        reset(next)
        const prm = yield* PoolingPrm.make({ url, model: "prm", retryBaseMillis: 1 })
        expect((yield* prm.score(problem, trajectoryOf(steps))).stepScores).toHaveLength(3)
        expect(hits).toBe(2)
      }
    })
  )

  itEffect("reports typed errors: Unavailable, InvalidRequest (not retried), BadResponse", () =>
    Effect.gen(function* () {
      const cases = [
        ["always-500", "Unavailable", 3],
        ["bad-request", "InvalidRequest", 1],
        ["garbage", "BadResponse", 3],
        ["wrong-count", "BadResponse", 3]
      ] as const
      for (const [next, tag, attempts] of cases) {
        reset(next)
        const prm = yield* PoolingPrm.make({ url, model: "prm", retries: 2, retryBaseMillis: 1 })
        const error = yield* Effect.flip(prm.score(problem, trajectoryOf(steps)))
        expect(error._tag).toBe("VerifierError")
        expect(error._tag === "VerifierError" && (error.cause as { _tag: string })._tag).toBe(tag)
        expect(hits).toBe(attempts)
        // The verifier's name once, not once for the VerifierError and again for the request's own error.
        expect(error.message.split("pooling-prm(prm)").length - 1, error.message).toBe(1)
      }
    })
  )

  itEffect("reports an unreachable server as Unavailable, naming the endpoint and the socket's code", () =>
    Effect.gen(function* () {
      const prm = yield* PoolingPrm.make({ url: "http://127.0.0.1:9", model: "prm", retries: 0 })
      const error = yield* Effect.flip(prm.score(problem, trajectoryOf(steps)))
      expect(error._tag === "VerifierError" && (error.cause as { _tag: string })._tag).toBe("Unavailable")
      expect(error.message).toContain("http://127.0.0.1:9/pooling")
      expect(error.message).toContain("ECONNREFUSED")
    })
  )

  itEffect("counts one verifier call and the server's prompt tokens per score", () =>
    Effect.gen(function* () {
      reset("ok")
      const prm = yield* PoolingPrm.make({ url, model: "prm" })
      const accountant = yield* Accountant.make({})
      yield* Accountant.provide(accountant)(Effect.all([prm.score(problem, trajectoryOf(steps)), prm.score(problem, trajectoryOf(steps.slice(0, 1)))]))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(2)
      expect(snapshot.spent.verifierTokens).toBe(84)
    })
  )

  itEffect("rejects bad options naming the field", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(PoolingPrm.make({ url: "ftp://x", model: "prm" }))).field).toBe("url")
      expect((yield* Effect.flip(PoolingPrm.make({ url, model: "prm", format: "input" }))).field).toBe("render")
      expect((yield* Effect.flip(PoolingPrm.make({ url, model: "prm", batch: 2 }))).field).toBe("batch")
      expect((yield* Effect.flip(PoolingPrm.make({ url, model: "prm", format: "messages", chatTemplate: "t.jinja" }))).field).toBe("chatTemplate")
      expect((yield* Effect.flip(PoolingPrm.make({ url, model: "prm", render: (question) => question, chatTemplate: "t.jinja" }))).field).toBe("chatTemplate")
      const missing = yield* Effect.flip(PoolingPrm.make({ url, model: "prm", chatTemplate: "/nonexistent/chat_template.jinja" }))
      expect([missing.field, missing.detail]).toEqual(["chatTemplate", expect.stringContaining("/nonexistent/chat_template.jinja")])
      expect((yield* Effect.flip(PoolingPrm.make({ url, model: "prm", format: "input", render: (question) => question, batch: 0 }))).field).toBe("batch")
    })
  )

  const inputOf = (question: string, tagged: string) => `${question}|${tagged}`

  itEffect("batched inputs are matched back by index, whatever order the server lists them in", () =>
    Effect.gen(function* () {
      reset("reversed")
      const prm = yield* PoolingPrm.make({ url, model: "prm", format: "input", render: inputOf })
      const asked = [steps, steps.slice(0, 1), ["ok", "wrong"], ["wrong"]]
      const scorings = yield* Effect.forEach(asked, (each) => prm.score(problem, trajectoryOf(each)), { concurrency: 4 })
      expect(hits).toBe(1)
      expect(lastBody["input"]).toHaveLength(4)
      expect(scorings.map((scoring) => scoring.stepScores)).toEqual([[0.9, 0.2, 0.9], [0.9], [0.9, 0.2], [0.2]])
      // The server's 42 prompt tokens shared out by the inputs' lengths, summing to 42.
      expect(scorings.reduce((total, scoring) => total + scoring.usage.inputTokens!, 0)).toBe(42)
    })
  )

  property.prop([fc.array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 })], { numRuns: 25 })(
    "for all steps, an input rendered here reserves its UTF-8 bytes and 64 verifier tokens: admitted at that limit, refused one below",
    async (texts) => {
      reset("ok")
      const tagged = texts.map((text) => `${text}<extra_0>`).join("")
      const bound = Buffer.byteLength(inputOf(problem.question, tagged), "utf8") + 64
      const scoreUnder = (limit: number) =>
        Effect.gen(function* () {
          const prm = yield* PoolingPrm.make({ url, model: "prm", format: "input", render: inputOf })
          const accountant = yield* Accountant.make({ verifierTokens: limit })
          return yield* Effect.exit(prm.score(problem, trajectoryOf(texts)).pipe(Accountant.provide(accountant)))
        })
      const admitted = await Effect.runPromise(scoreUnder(bound))
      expect(Exit.isFailure(admitted) ? String(Cause.squash(admitted.cause)) : "admitted").toBe("admitted")
      const refused = await Effect.runPromise(scoreUnder(bound - 1))
      expect(Exit.isFailure(refused) && Cause.squash(refused.cause)).toMatchObject({ _tag: "BudgetExhausted", resource: "verifierTokens" })
    }
  )

  itEffect("indices that are not 0…n-1, or a wrong count in one input, make the batch unreadable; each input is then sent alone", () =>
    Effect.gen(function* () {
      for (const next of ["bad-index", "wrong-count"] as const) {
        reset(next)
        const prm = yield* PoolingPrm.make({ url, model: "prm", format: "input", render: inputOf, retries: 1, retryBaseMillis: 1 })
        const exits = yield* Effect.forEach([steps, steps.slice(0, 1)], (each) => Effect.exit(prm.score(problem, trajectoryOf(each))), { concurrency: 2 })
        // Two attempts of the batch, then two attempts of each input alone.
        expect([next, hits]).toEqual([next, 6])
        for (const exit of exits) expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "VerifierError", cause: { _tag: "BadResponse" } })
      }
    })
  )

  itEffect("an OpenAI-style base URL (…/v1) reaches /pooling at the root; a wrong address names the endpoint and is not resent input by input", () =>
    Effect.gen(function* () {
      reset("ok")
      const viaV1 = yield* PoolingPrm.make({ url: `${url}/v1`, model: "prm" })
      expect((yield* viaV1.score(problem, trajectoryOf(steps))).stepScores).toEqual([0.9, 0.2, 0.9])
      reset("ok")
      const wrong = yield* PoolingPrm.make({ url: `${url}/elsewhere`, model: "prm", render: inputOf, retries: 2, retryBaseMillis: 1 })
      const exits = yield* Effect.forEach([steps, steps.slice(0, 1)], (each) => Effect.exit(wrong.score(problem, trajectoryOf(each))), { concurrency: 2 })
      expect(hits).toBe(1)
      for (const exit of exits) {
        const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
        expect(error).toMatchObject({ _tag: "VerifierError", cause: { _tag: "InvalidRequest", field: "url" } })
        expect((error as Error).message).toContain(`${url}/elsewhere/pooling`)
      }
    })
  )

  property.prop([fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }), fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 40 })])(
    "shareTokens: whole shares that sum to the total, each within one token of its proportional share",
    (total, lengths) => {
      const shares = PoolingPrm.shareTokens(total, lengths)
      expect(shares).toHaveLength(lengths.length)
      if (total === undefined) {
        expect(shares.every((share) => share === undefined)).toBe(true)
        return
      }
      const sum = lengths.reduce((left, right) => left + right, 0)
      expect(shares.reduce((left: number, right) => left + right!, 0)).toBe(total)
      shares.forEach((share, index) => {
        const exact = sum === 0 ? total / lengths.length : (total * lengths[index]!) / sum
        expect(Number.isInteger(share)).toBe(true)
        expect(Math.abs(share! - exact)).toBeLessThan(1)
      })
    }
  )
})
