import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Cause, Effect, Exit } from "effect"
import type { LanguageModel as Model, Logprob } from "@stepwise/core"
import { LogprobsUnavailable } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { Confidence, DeepConf, SelfCertainty } from "@stepwise/search"
import { Scripted } from "@stepwise/testing"
import { run } from "./fixtures/RunStrategy.js"
import * as Toy from "./fixtures/ToyWorld.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 40 : 20))

/** A trace the scripted model writes: one character per token, each with the given token confidence, then a box. */
interface ScriptedTrace {
  readonly confidences: ReadonlyArray<number>
  readonly answer: string
  /** The token confidence of the box's tokens (default 10). */
  readonly box?: number
}

// Trace t is its letter repeated, then \boxed{answer}; the box's tokens have confidence `box`.
const textOf = (trace: ScriptedTrace, id: number): string => String.fromCharCode(97 + id).repeat(trace.confidences.length) + `\\boxed{${trace.answer}}`
const confidenceAt = (trace: ScriptedTrace, offset: number): number => trace.confidences[offset] ?? trace.box ?? 10

// k alternatives, each with logprob −c: the token confidence is exactly c.
const positionsOf = (trace: ScriptedTrace, from: number, text: string, k: number): ReadonlyArray<Logprob.TokenLogprob> =>
  Array.from(text, (token, offset) => {
    const confidence = confidenceAt(trace, from + offset)
    return { token, logprob: -confidence, top: Array.from({ length: k }, (_, alternative) => ({ token: `#${alternative}`, logprob: -confidence })) }
  })

/**
 * A scripted backend over fixed traces: a request without prefix starts sample i of it as trace `pick(seed, i)`;
 * a request with a prefix continues the trace its first letter names from where the prefix ends. Every request is
 * logged.
 */
const scripted = (traces: ReadonlyArray<ScriptedTrace>, pick: (seed: number, index: number) => number) => {
  const requests: Array<Model.GenerateRequest> = []
  const locate = (request: Model.GenerateRequest, index: number) => {
    const prefix = request.prefix ?? ""
    const id = prefix === "" ? pick(request.seed ?? 0, index) : prefix.charCodeAt(0) - 97
    return { id, from: prefix.length }
  }
  const model = Scripted.languageModel(
    (request, index) => {
      if (index === 0) requests.push(request)
      const { id, from } = locate(request, index)
      return textOf(traces[id]!, id).slice(from)
    },
    {
      retry: { times: 0, baseMillis: 1, capMillis: 1 },
      logprobs: (request, index, text) => {
        const { id, from } = locate(request, index)
        return positionsOf(traces[id]!, from, text, request.topLogprobs ?? 1)
      }
    }
  )
  return { model, requests }
}

const traceArbitrary = fc.record({
  confidences: fc.array(
    fc.integer({ min: 1, max: 40 }).map((tenths) => tenths / 10),
    { minLength: 1, maxLength: 50 }
  ),
  answer: fc.constantFrom("1", "2", "3")
})

describe("DeepConf online", () => {
  property.prop(
    [
      fc.array(traceArbitrary, { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 16 }),
      fc.constantFrom(0.1, 0.5, 0.9),
      fc.integer({ min: 0, max: 1000 })
    ],
    { numRuns: runs }
  )(
    "never continues a trace after its window fell below the threshold, and continues every other trace until it ends",
    async (traces, warmup, later, window, chunkTokens, keep, seed) => {
      const pick = (requestSeed: number, index: number) => (requestSeed + index * 7919) % traces.length
      const { model, requests } = scripted(traces, pick)
      const strategy = await Effect.runPromise(
        DeepConf.make({ mode: "online", traces: warmup + later, warmup, batch: 3, window, chunkTokens, keep, consensus: false, topLogprobs: 2, seed, maxTokens: 4096 })
      )
      const { exit, events } = await Effect.runPromise(run(strategy, model))
      if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
      const set = events.find(DeepConf.thresholdSet.is)
      expect(set).toBeDefined()
      const threshold = set!.detail.threshold
      expect(threshold).toBe(Confidence.percentile(set!.detail.warmup, 100 * (1 - keep)))
      // Token confidences of trace t's first `length` tokens, and whether a full window among them fell below.
      const fell = (id: number, length: number) => {
        // The token confidences as the strategy reads them from the returned logprobs.
        const values = Confidence.tokenConfidences(positionsOf(traces[id]!, 0, textOf(traces[id]!, id).slice(0, length), 2))
        return length >= window && Confidence.groupConfidences(values, window).some((group) => group < threshold)
      }
      // Every continuation request continues a trace whose windows so far all stayed at or above the threshold.
      const continuations = requests.filter((request) => (request.prefix ?? "") !== "")
      for (const request of continuations) {
        const id = request.prefix!.charCodeAt(0) - 97
        expect(fell(id, request.prefix!.length), `trace ${id} continued after ${request.prefix!.length} tokens`).toBe(false)
      }
      // And every started trace is continued chunk by chunk until it ends or its window falls: the requests expected.
      const starts = requests.filter((request) => (request.prefix ?? "") === "" && request.maxTokens === Math.min(chunkTokens, 4096))
      const expected = new Map<number, number>()
      for (const start of starts)
        for (let index = 0; index < start.n; index++) {
          const id = pick(start.seed ?? 0, index)
          const total = textOf(traces[id]!, id).length
          let generated = Math.min(chunkTokens, total)
          while (generated < total && !fell(id, generated)) {
            expected.set(id, (expected.get(id) ?? 0) + 1)
            generated += Math.min(chunkTokens, total - generated)
          }
        }
      const observed = new Map<number, number>()
      for (const request of continuations) observed.set(request.prefix!.charCodeAt(0) - 97, (observed.get(request.prefix!.charCodeAt(0) - 97) ?? 0) + 1)
      expect(observed).toEqual(expected)
      // A stopped trace never votes: no candidate ends where a trace was stopped.
      const stopped = new Set(events.filter(DeepConf.traceStopped.is).map((event) => event.detail.nodeId))
      for (const candidate of exit.value.candidates) expect(stopped.has(candidate.nodeId)).toBe(false)
    }
  )

  it("stops low-confidence traces on the toy world and spends less than offline with as many traces", async () => {
    const stops = async (mode: "online" | "offline") => {
      const strategy = await Effect.runPromise(DeepConf.make({ mode, traces: 16, warmup: 4, keep: 0.5, window: 8, chunkTokens: 16, topLogprobs: 3, consensus: false, seed: 3 }))
      const { exit, events } = await Effect.runPromise(run(strategy, Toy.languageModel()))
      if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
      return { stopped: events.filter(DeepConf.traceStopped.is).length, output: exit.value.spend.outputTokens }
    }
    const online = await stops("online")
    const offline = await stops("offline")
    expect(online.stopped).toBeGreaterThan(0)
    expect(offline.stopped).toBe(0)
    expect(online.output).toBeLessThan(offline.output)
  })
})

describe("DeepConf offline", () => {
  // Five traces with constant token confidence (one group each, window larger than a trace):
  // answer 1 at 2.0, 2.0, 2.0 (sum 6.0) and answer 2 at 2.9, 3.0 (sum 5.9).
  const traces: ReadonlyArray<ScriptedTrace> = [2.0, 2.9, 2.0, 3.0, 2.0].map((confidence, index) => ({
    confidences: [confidence, confidence, confidence],
    answer: index % 2 === 1 ? "2" : "1",
    box: confidence
  }))
  const answerWith = async (keep: number) => {
    const { model } = scripted(traces, (_seed, index) => index)
    const strategy = await Effect.runPromise(DeepConf.make({ mode: "offline", traces: 5, keep, window: 64, topLogprobs: 2 }))
    const { exit } = await Effect.runPromise(run(strategy, model))
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    return exit.value
  }

  it("keeps the traces at or above the (1 − η) percentile and votes weighted by confidence, hand-computed", async () => {
    // η = 1: everyone votes, 6.0 against 5.9.
    expect((await answerWith(1)).answer).toBe("1")
    // η = 0.4: the 60th percentile of [2, 2, 2, 2.9, 3] is 2 + 0.4 · 0.9 = 2.36: only the answer-2 traces vote.
    expect((await answerWith(0.4)).answer).toBe("2")
  })

  it("scores each finished trace by its confidence", async () => {
    const result = await answerWith(1)
    const scores = result.candidates.map((candidate) => candidate.score ?? Number.NaN)
    ;[2.0, 2.9, 2.0, 3.0, 2.0].forEach((expected, index) => expect(scores[index]).toBeCloseTo(expected, 12))
  })
})

describe("a backend without logprobs", () => {
  const cases: ReadonlyArray<readonly [string, Effect.Effect<Strategy.Strategy, unknown>]> = [
    ["deepconf online", DeepConf.make({ mode: "online", traces: 8, warmup: 2, batch: 1 })],
    ["deepconf offline", DeepConf.make({ mode: "offline", traces: 8, batch: 1 })],
    ["self-certainty", SelfCertainty.make({ n: 8, batch: 1 })]
  ]
  for (const [label, make] of cases)
    it(`fails ${label} at its first call with LogprobsUnavailable naming the strategy and the backend`, async () => {
      const model = Toy.languageModelWithoutLogprobs()
      const strategy = await Effect.runPromise(make)
      const { exit } = await Effect.runPromise(run(strategy, model))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = Cause.squash(exit.cause)
        expect(error).toBeInstanceOf(LogprobsUnavailable)
        expect(String((error as LogprobsUnavailable).message)).toContain(strategy.name)
        expect(String((error as LogprobsUnavailable).message)).toContain("scripted")
      }
      expect(model.calls()).toBe(1)
    })

  it("says so when a backend gives logprobs without the top alternatives", async () => {
    const model = Scripted.languageModel((request, index) => Toy.respond(request, index), {
      retry: { times: 0, baseMillis: 1, capMillis: 1 },
      logprobs: (_request, _index, text) => Array.from(text, (token) => ({ token, logprob: -0.1, top: [] }))
    })
    const strategy = await Effect.runPromise(DeepConf.make({ mode: "offline", traces: 4 }))
    const { exit } = await Effect.runPromise(run(strategy, model))
    expect(Exit.isFailure(exit) && String(exit.cause)).toContain("no top-20 alternatives")
  })
})
