import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Backend as BackendSuite, Vitest } from "@stepwise/conformance"
import { Message, Registry } from "@stepwise/core"
import { itEffect } from "@stepwise/testing"
import type { ServerKind } from "../src/index.js"
import { Backend, Backends } from "../src/index.js"
import * as ServerShapes from "./fixtures/ServerShapes.js"

// Every server kind, made through the backend registry as a recipe or the command line would, against a fake that
// answers in that server's own shapes (with and without usage), runs the backend conformance suite.

const folder = mkdtempSync(join(tmpdir(), "stepwise-shapes-"))
const template = join(folder, "chat_template.jinja")
writeFileSync(template, "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}")
const context: Backend.Context = { baseDirectory: folder, environment: (name) => (name === "OPENAI_API_KEY" ? "sk-test" : undefined) }
const messages = [Message.system("Solve step by step."), Message.user("What is 2 + 3?")]
const noRetry = { times: 0, baseMillis: 1, capMillis: 1 }

const kinds: ReadonlyArray<Exclude<ServerKind.ServerKind, "provider">> = ["vllm", "sglang", "tgi", "llama.cpp", "ollama", "openai", "openai-compatible"]

/** A backend of `kind` from the registry, against a fake of the same kind. */
const made = (kind: ServerKind.ServerKind, options: Readonly<Record<string, unknown>> = {}, fake: ServerShapes.Options = {}) =>
  Effect.flatMap(ServerShapes.serve(kind, fake), (url) =>
    Effect.map(
      Registry.make(Backends.registry, kind, { url, model: "m", retry: noRetry, ...(kind === "tgi" ? { chatTemplate: "chat_template.jinja" } : {}), ...options }, context),
      (backend) => backend.languageModel
    )
  )

for (const kind of kinds)
  for (const withoutUsage of [false, true])
    Vitest.register(
      { describe, it },
      `${kind} server shapes${withoutUsage ? ", no usage" : ""}`,
      BackendSuite.cases({
        name: kind,
        make: made(kind, {}, { withoutUsage }),
        messages,
        endsWithin: 64,
        logprobs: kind !== "ollama",
        seeded: true,
        failing: [{ label: "the model is not on the server", make: made(kind, {}, { models: ["other"] }), error: "InvalidRequest" }]
      })
    )

describe("server shapes, one by one", () => {
  for (const kind of kinds)
    itEffect(`${kind}: a fetch given as an option carries every request`, () =>
      Effect.scoped(
        Effect.gen(function* () {
          const sent: Array<string> = []
          const fetch: typeof globalThis.fetch = (input, init) => {
            sent.push(String(input))
            return globalThis.fetch(input, init)
          }
          const model = yield* made(kind, { fetch })
          const completions = yield* model.generate({ messages, n: 2, maxTokens: 3 })
          expect(completions).toHaveLength(2)
          expect(sent.length).toBeGreaterThanOrEqual(1)
          expect(sent.every((url) => url.startsWith("http://127.0.0.1:"))).toBe(true)
        })
      )
    )

  itEffect("llama.cpp: /v1/completions logprobs in the chat-style { content } shape are read", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* made("llama.cpp", { continuation: "completions", chatTemplate: "chat_template.jinja" })
        const [completion] = yield* model.generate({ messages, prefix: "Step 1:", n: 1, maxTokens: 3, topLogprobs: 2 })
        expect(completion?.text).toBe(" 2 + ")
        expect(completion?.logprobs?.map((position) => position.token)).toEqual([" ", "2 ", "+ "])
        expect(completion?.logprobs?.[0]?.top).toHaveLength(2)
      })
    )
  )

  itEffect("TGI: no logprobs on /v1/completions, and the backend says so (logprobs only without a prefix)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* made("tgi")
        expect(model.info.logprobs).toBe("without-prefix")
        const [continued] = yield* model.generate({ messages, prefix: "Step 1:", n: 1, maxTokens: 3, topLogprobs: 2 })
        expect(continued?.logprobs).toBeUndefined()
        const [plain] = yield* model.generate({ messages, n: 1, maxTokens: 3, topLogprobs: 2 })
        expect(plain?.logprobs).toHaveLength(3)
        expect(continued?.finishReason).toBe("length")
      })
    )
  )

  itEffect("OpenAI: continuing a step sends no vLLM-only field (the API would refuse it), and the key comes from OPENAI_API_KEY", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* made("openai")
        const [completion] = yield* model.generate({ messages, prefix: "Step 1: 2 + 3 = 5.\n\n", n: 2, maxTokens: 32, stop: ["\n\n"] })
        expect(completion?.text).toBe("Step 2: The answer is \\boxed{5}.")
        expect(model.info.logprobs).toBe("always")
      })
    )
  )

  itEffect("vLLM and SGLang continue the final message with continue_final_message; the others prefill", () =>
    Effect.scoped(
      Effect.gen(function* () {
        for (const kind of kinds) {
          const model = yield* made(kind)
          const [completion] = yield* model.generate({ messages, prefix: "Step 1: 2 + 3 = 5.\n\n", n: 1, maxTokens: 32, stop: ["\n\n"] })
          expect(completion?.text, kind).toBe("Step 2: The answer is \\boxed{5}.")
        }
      })
    )
  )

  itEffect("Ollama: a missing model is an InvalidRequest on the model option, with the server's own words", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* made("ollama", {}, { models: ["llama3.2"] })
        const error = yield* Effect.flip(model.generate({ messages, n: 1, maxTokens: 4 }))
        expect(error).toMatchObject({ _tag: "InvalidRequest", field: "model" })
        expect(error.message).toContain('model "m" not found, try pulling it first')
        expect(model.info.logprobs).toBe("never")
      })
    )
  )

  itEffect("each server's refusal in its own error shape becomes InvalidRequest with the server's message", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // llama.cpp refuses n > 1 and TGI validates it; forced with sampling "n" through HuggingFace.make directly.
        for (const [kind, words] of [["llama.cpp", "Only one completion choice is allowed"], ["tgi", "`n` must be 1"]] as const) {
          const url = yield* ServerShapes.serve(kind)
          const { HuggingFace } = yield* Effect.promise(() => import("../src/index.js"))
          const model = yield* HuggingFace.make({ endpointUrl: url, model: "m", kind: "openai-compatible", sampling: "n", retry: noRetry })
          const error = yield* Effect.flip(model.generate({ messages, n: 2, maxTokens: 4 }))
          expect(error._tag, kind).toBe("InvalidRequest")
          expect(error.message, kind).toContain(words)
        }
      })
    )
  )

  it("refuses sampling n on a server that gives one choice per request, naming the option", async () => {
    const error = await Effect.runPromise(Effect.flip(Effect.scoped(made("llama.cpp", { sampling: "n" }))))
    expect(error).toMatchObject({ _tag: "InvalidOptions", field: "sampling" })
  })

  itEffect("usage of 1e400 (Infinity after JSON.parse) is a BadResponse carrying Infinity, never charged", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* ServerShapes.serveText(
          '{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1e400,"total_tokens":1e400}}'
        )
        const model = (yield* Registry.make(Backends.registry, "vllm", { url, model: "m", retry: noRetry }, context)).languageModel
        const error = yield* Effect.flip(model.generate({ messages, n: 1, maxTokens: 4 }))
        expect(error).toMatchObject({ _tag: "BadResponse", value: Number.POSITIVE_INFINITY })
      })
    )
  )
})
