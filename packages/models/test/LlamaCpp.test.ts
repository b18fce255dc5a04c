import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, Message } from "@stepwise/core"
import { itEffect, run } from "@stepwise/testing"
import { Effect, Exit } from "effect"
import { describe, expect } from "vitest"
import { LlamaCpp, TinyLlama } from "../src/index.js"

const modelPath = join(mkdtempSync(join(tmpdir(), "stepwise-llama-")), "tiny.gguf")
writeFileSync(modelPath, TinyLlama.bytes())

const messages = [Message.system("Solve step by step."), Message.user("What is 2 + 3?")]
const base: LanguageModel.GenerateRequest = { messages, n: 1, maxTokens: 64, temperature: 0 }
const [firstStep = "", secondStep = ""] = TinyLlama.greedySteps

const withModel = <A, E>(
  use: (model: LlamaCpp.Service) => Effect.Effect<A, E>,
  options: Partial<LlamaCpp.Options> = {}
) => Effect.scoped(Effect.flatMap(LlamaCpp.make({ modelPath, sequences: 2, contextSize: 512, threads: 1, ...options }), use))

describe("LlamaCpp (real engine, tiny GGUF written by TinyLlama)", () => {
  itEffect("generates the planted answer greedily, to the end of sequence, with exact token counts", () =>
    withModel((model) =>
      Effect.gen(function* () {
        const [completion] = yield* model.generate(base)
        expect(completion?.text).toBe(TinyLlama.greedySteps.join("\n\n"))
        expect(completion?.finishReason).toBe("eos")
        const outputTokens = model.tokenize(completion?.text ?? "").length + 1 // the planted words, then </s>
        expect(completion?.usage.outputTokens).toBe(outputTokens)
        expect(completion?.usage.inputTokens).toBe(model.countInputTokens(base))
        expect(completion?.usage.inputTokens).toBe(model.tokenize(model.promptText(base)).length + 1) // + <s>
      })
    )
  )

  itEffect("stops at a stop string, which the text leaves out", () =>
    withModel((model) =>
      Effect.gen(function* () {
        const [completion] = yield* model.generate({ ...base, stop: ["\n\n"] })
        expect(completion?.text).toBe(firstStep)
        expect(completion?.finishReason).toBe("stop")
      })
    )
  )

  itEffect("continues an assistant prefix: the next step after the steps so far", () =>
    withModel((model) =>
      Effect.gen(function* () {
        const [completion] = yield* model.generate({ ...base, prefix: `${firstStep}\n\n`, stop: ["\n\n"] })
        expect(completion?.text).toBe(secondStep)
        expect(completion?.finishReason).toBe("eos")
        expect(model.promptText({ ...base, prefix: "abc" }).endsWith("<|assistant|>abc")).toBe(true)
      })
    )
  )

  itEffect("cuts at maxTokens with finishReason length", () =>
    withModel((model) =>
      Effect.gen(function* () {
        const [completion] = yield* model.generate({ ...base, maxTokens: 3 })
        expect(completion?.text).toBe("First, add 2")
        expect(completion?.finishReason).toBe("length")
        expect(completion?.usage.outputTokens).toBe(3)
      })
    )
  )

  itEffect("returns token logprobs with the top alternatives when asked", () =>
    withModel((model) =>
      Effect.gen(function* () {
        const [completion] = yield* model.generate({ ...base, stop: ["\n\n"], topLogprobs: 3 })
        const logprobs = completion?.logprobs ?? []
        expect(logprobs.map((position) => position.token).join("")).toBe(`${firstStep}\n\n`)
        const fork = logprobs.find((position) => position.token === " 5.")
        expect(fork?.top.map((candidate) => candidate.token).slice(0, 2)).toEqual([" 5.", " 6."])
        // planted logits 32 and 31: p(" 5.") = 1 / (1 + e^-1) ≈ 0.73, up to the small random weights
        expect(Math.exp(fork?.logprob ?? 0)).toBeGreaterThan(0.6)
        expect(Math.exp(fork?.logprob ?? 0)).toBeLessThan(0.85)
        for (const position of logprobs) {
          expect(position.top.length).toBe(3)
          expect(position.top[0]?.logprob).toBeCloseTo(position.logprob, 6)
        }
        const [plain] = yield* model.generate({ ...base, stop: ["\n\n"] })
        expect(plain?.logprobs).toBeUndefined()
      })
    )
  )

  itEffect("samples n completions: seeded runs repeat, and the close second choices show up", () =>
    withModel((model) =>
      Effect.gen(function* () {
        const request = { ...base, n: 8, temperature: 1, seed: 11 }
        const first = yield* model.generate(request)
        const second = yield* model.generate(request)
        expect(first.map((completion) => completion.text)).toEqual(second.map((completion) => completion.text))
        expect(first.map((completion) => completion.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
        const texts = new Set(first.map((completion) => completion.text))
        expect(texts.size).toBeGreaterThan(1)
        for (const text of texts) expect(text).toMatch(/^First, add 2 and 3 to get [56]\.\n\nTherefore, the answer is \$\\boxed\{[56]\}\$\.$/)
        // each sample read the prompt on its own sequence: every completion counts it, less what its sequence held
        expect(first.every((completion) => completion.usage.inputTokens === model.countInputTokens(base))).toBe(true)
        expect(model.countInputTokens(request)).toBe(8 * model.countInputTokens(base))
        for (const completion of second) expect(completion.usage.cachedInputTokens).toBeLessThanOrEqual(completion.usage.inputTokens ?? 0)
      })
    )
  )

  itEffect("reuses a sequence's cached prompt and reports it as cached input tokens", () =>
    withModel(
      (model) =>
        Effect.gen(function* () {
          yield* model.generate({ ...base, stop: ["\n\n"] })
          const [again] = yield* model.generate({ ...base, prefix: `${firstStep}\n\n` })
          expect(again?.usage.cachedInputTokens).toBeGreaterThan(model.countInputTokens(base) - 2)
          expect(again?.usage.cachedInputTokens).toBeLessThan(again?.usage.inputTokens ?? 0)
        }),
      { sequences: 1 }
    )
  )

  itEffect("meters its exact usage through the accountant", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ totalTokens: 10_000 })
      const completions = yield* withModel((model) => model.generate({ ...base, n: 3, seed: 5, temperature: 1 })).pipe(
        Accountant.provide(accountant)
      )
      const snapshot = yield* accountant.snapshot
      const input = completions.reduce((sum, completion) => sum + (completion.usage.inputTokens ?? 0), 0)
      const output = completions.reduce((sum, completion) => sum + (completion.usage.outputTokens ?? 0), 0)
      expect(output).toBeGreaterThan(3)
      expect(snapshot.spent.inputTokens).toBe(input)
      expect(snapshot.spent.outputTokens).toBe(output)
      expect(snapshot.spent.totalTokens).toBe(input + output)
      expect(snapshot.reserved.totalTokens).toBe(0)
    })
  )

  itEffect("cuts the output where the context ends; a prompt that fills the context is an InvalidRequest naming messages", () =>
    withModel(
      (model) =>
        Effect.gen(function* () {
          // A question long enough to leave 2..6 tokens of the context for the ~15-token planted answer.
          const asking = (words: number) => ({ ...base, stop: [], maxTokens: 100_000, messages: [Message.user(`What is 2 + 3?${" x".repeat(words)}`)] })
          let words = 0
          while (model.contextSize - model.countInputTokens(asking(words + 1)) >= 2) words++
          const request = asking(words)
          const left = model.contextSize - model.countInputTokens(request)
          expect(left).toBeGreaterThanOrEqual(2)
          expect(left).toBeLessThan(8)
          const [completion] = yield* model.generate(request)
          expect(completion?.usage.outputTokens).toBe(left)
          expect(completion?.finishReason).toBe("length")
          const exit = yield* Effect.exit(model.generate(asking(words + 20)))
          expect(Exit.isFailure(exit)).toBe(true)
          expect(JSON.stringify(exit)).toContain('"field":"messages"')
        }),
      { contextSize: 64 }
    )
  )

  itEffect("fails with InvalidOptions on a missing file or bad options", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(Effect.scoped(LlamaCpp.make({ modelPath: join(tmpdir(), "no-such-model.gguf") })))
      expect(missing._tag).toBe("InvalidOptions")
      const sequences = yield* Effect.flip(Effect.scoped(LlamaCpp.make({ modelPath, sequences: 0 })))
      expect(sequences._tag === "InvalidOptions" && sequences.field).toBe("sequences")
    })
  )

  test.prop([fc.subarray(["\n\n", " 3", " the", "$", "Therefore", "First", ","], { minLength: 1 })], { numRuns: 12 })(
    "for all stop sets, the text is the greedy answer cut before the first stop string",
    (stops) =>
      run(
        withModel((model) =>
          Effect.gen(function* () {
            const [completion] = yield* model.generate({ ...base, stop: stops })
            const full = TinyLlama.greedySteps.join("\n\n")
            const cuts = stops.map((stop) => full.indexOf(stop)).filter((at) => at >= 0)
            const expected = cuts.length === 0 ? full : full.slice(0, Math.min(...cuts))
            expect(completion?.text).toBe(expected)
            expect(completion?.finishReason).toBe(cuts.length === 0 ? "eos" : "stop")
          })
        )
      )
  )
})
