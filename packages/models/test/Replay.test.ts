import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fc, test } from "@fast-check/vitest"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, Message } from "@stepwise/core"
import { itEffect, run, Scripted } from "@stepwise/testing"
import { Effect, Layer } from "effect"
import { describe, expect } from "vitest"
import { Replay } from "../src/index.js"

const directory = mkdtempSync(join(tmpdir(), "stepwise-replay-"))
let files = 0
const freshPath = () => join(directory, `recording-${files++}.sqlite`)

/** A scripted policy whose sample depends on the prompt, prefix, seed and index, like a seeded server. */
const policy = () =>
  Scripted.languageModel((request, index) => {
    const source = `${request.prefix ?? ""}|${request.seed ?? "none"}|${index}`
    let hash = 7
    for (const character of source) hash = (hash * 31 + character.charCodeAt(0)) % 1_000_003
    const step = (request.prefix ?? "").split("\n\n").length
    return `Step ${step}: value ${hash % 97}`
  })

const messages = [Message.system("Solve it."), Message.user("What is 6 * 7?")]

/** A small greedy step search: expand 4 candidates per step, keep the one with the largest value, 3 steps. */
const search = Effect.gen(function* () {
  let prefix = ""
  const explored: Array<string> = []
  for (let depth = 0; depth < 3; depth++) {
    const candidates = yield* LanguageModel.generate({
      messages,
      ...(prefix === "" ? {} : { prefix }),
      n: 4,
      maxTokens: 40,
      stop: ["\n\n"],
      temperature: 0.8,
      seed: 100 + depth
    })
    explored.push(...candidates.map((candidate) => candidate.text))
    const best = [...candidates].sort(
      (left, right) => Number(right.text.split("value ")[1]) - Number(left.text.split("value ")[1])
    )[0]
    prefix = `${prefix}${best?.text ?? ""}\n\n`
  }
  return { answer: prefix, explored }
})

const runSearch = (model: LanguageModel.Service) =>
  Effect.gen(function* () {
    const accountant = yield* Accountant.make({ totalTokens: 100_000 })
    const result = yield* search.pipe(
      Effect.provideService(LanguageModel.LanguageModel, model),
      Accountant.provide(accountant)
    )
    const snapshot = yield* accountant.snapshot
    return { result, spent: snapshot.spent }
  })

describe("Replay", () => {
  itEffect("replaying a full search gives the identical result and spend without calling the model", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const inner = policy()
      const recorded = yield* Effect.scoped(Effect.flatMap(Replay.make(inner, { path }), runSearch))
      const callsWhenRecorded = inner.calls()
      expect(callsWhenRecorded).toBe(3)

      const direct = yield* runSearch(policy())
      expect(recorded).toEqual(direct) // recording changes nothing, and meters each call exactly once

      const replayInner = policy()
      const replayed = yield* Effect.scoped(
        Effect.flatMap(Replay.make(replayInner, { path, mode: "replay" }), (model) =>
          Effect.map(runSearch(model), (outcome) => ({ outcome, stats: model.stats() }))
        )
      )
      expect(replayInner.calls()).toBe(0)
      expect(replayed.stats).toEqual({ replayed: 3, recorded: 0 })
      expect(replayed.outcome).toEqual(recorded)
      expect(replayed.outcome.spent.totalTokens).toBeGreaterThan(0)
    })
  )

  itEffect("strict replay of something not recorded fails with Unavailable", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* Replay.make(policy(), { path: ":memory:", mode: "replay" })
        const error = yield* Effect.flip(model.generate({ messages, n: 1, maxTokens: 10 }))
        expect(error._tag).toBe("Unavailable")
      })
    )
  )

  itEffect("reuses a sample that ended on its own under a different token limit, never one that was cut", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const inner = policy()
        const model = yield* Replay.make(inner, { path: ":memory:" })
        const request = { messages, n: 2, maxTokens: 100, seed: 1 }
        const first = yield* model.generate(request)
        expect(first.every((completion) => completion.finishReason === "stop")).toBe(true)
        const longest = Math.max(...first.map((completion) => completion.usage.outputTokens ?? 0))
        expect(yield* model.generate({ ...request, maxTokens: longest })).toEqual(first)
        expect(inner.calls()).toBe(1)
        yield* model.generate({ ...request, maxTokens: longest - 1 })
        expect(inner.calls()).toBe(2)
        // fewer samples than recorded: served; more: sent again
        expect(yield* model.generate({ ...request, n: 1 })).toEqual(first.slice(0, 1))
        yield* model.generate({ ...request, n: 3 })
        expect(inner.calls()).toBe(3)
        expect(model.stats()).toEqual({ replayed: 2, recorded: 3 })
      })
    )
  )

  itEffect("as a layer, it wraps the LanguageModel in context", () =>
    Effect.gen(function* () {
      const path = freshPath()
      const inner = policy()
      const program = Effect.gen(function* () {
        const model = yield* LanguageModel.LanguageModel
        return yield* model.generate({ messages, n: 2, maxTokens: 20, seed: 4 })
      })
      const provideWith = (mode: Replay.Mode) =>
        Effect.provide(Layer.provide(Replay.layer({ path, mode }), Layer.succeed(LanguageModel.LanguageModel, inner)))
      const recorded = yield* program.pipe(provideWith("auto"))
      const replayed = yield* program.pipe(provideWith("replay"))
      expect(replayed).toEqual(recorded)
      expect(inner.calls()).toBe(1)
    })
  )

  itEffect("rejects an unknown mode naming the field", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const error = yield* Effect.flip(Replay.make(policy(), { path: ":memory:", mode: "nope" as Replay.Mode }))
        expect(error.field).toBe("mode")
      })
    )
  )

  const requestArbitrary = fc.record({
    prefix: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
    stop: fc.uniqueArray(fc.constantFrom("\n\n", "###", "Step", "."), { maxLength: 3 }),
    seed: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    temperature: fc.option(fc.constantFrom(0, 0.5, 1), { nil: undefined }),
    n: fc.integer({ min: 1, max: 4 })
  })

  test.prop([requestArbitrary])("for all requests, the key ignores stop order and duplicates but not the prefix", (shape) => {
    const info = { name: "scripted" }
    const request: LanguageModel.GenerateRequest = { messages, n: shape.n, maxTokens: 10, stop: shape.stop, ...(shape.prefix === undefined ? {} : { prefix: shape.prefix }) }
    const reordered = { ...request, stop: [...shape.stop].reverse().concat(shape.stop), n: shape.n + 1 }
    expect(Replay.requestKey(info, reordered)).toBe(Replay.requestKey(info, request))
    expect(Replay.requestKey(info, { ...request, prefix: `${shape.prefix ?? ""}x` })).not.toBe(Replay.requestKey(info, request))
  })

  test.prop([fc.array(requestArbitrary, { minLength: 1, maxLength: 6 })], { numRuns: 25 })(
    "for all request sequences, a replay returns exactly what was recorded, with the recorded usage",
    (shapes) =>
      run(
        Effect.gen(function* () {
          const path = freshPath()
          const requests = shapes.map(
            (shape): LanguageModel.GenerateRequest => ({
              messages,
              n: shape.n,
              maxTokens: 30,
              stop: shape.stop,
              ...(shape.prefix === undefined ? {} : { prefix: shape.prefix }),
              ...(shape.seed === undefined ? {} : { seed: shape.seed }),
              ...(shape.temperature === undefined ? {} : { temperature: shape.temperature })
            })
          )
          const generateAll = (model: LanguageModel.Service) => Effect.forEach(requests, (request) => model.generate(request))
          const recorded = yield* Effect.scoped(Effect.flatMap(Replay.make(policy(), { path }), generateAll))
          const inner = policy()
          const replayed = yield* Effect.scoped(Effect.flatMap(Replay.make(inner, { path, mode: "replay" }), generateAll))
          expect(replayed).toEqual(recorded)
          expect(inner.calls()).toBe(0)
        })
      )
  )
})
