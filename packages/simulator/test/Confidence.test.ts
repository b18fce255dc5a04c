import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Answer } from "@stepwise/core"
import type { LanguageModel } from "@stepwise/core"
import { Auroc, Confidence, Preset, Presets, Solution, World } from "../src/index.js"

const runs = process.env["CI"] ? 100 : 30
const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 30, seed: 2 })
const generate = (target: World.World, request: LanguageModel.GenerateRequest) => Effect.runSync(target.languageModel.generate(request))

/** Traces of a world: whether each final answer is right, and its mean and lowest-group confidence. */
const traces = (target: World.World, count: number) =>
  World.problems(target, { count, seed: 1 }).flatMap((problem) =>
    generate(target, { messages: problem.messages, n: 8, maxTokens: 4096, temperature: 0.8, seed: 1, topLogprobs: 5 }).map((completion) => {
      const positions = completion.logprobs ?? []
      const boxed = Answer.hasBoxed(completion.text) ? Answer.extractBoxed(completion.text) : undefined
      return {
        right: World.isCorrect(target, problem, boxed),
        mean: Confidence.meanConfidence(positions),
        lowest: Confidence.lowestGroupConfidence(positions, 32)
      }
    })
  )

const aurocOf = (all: ReturnType<typeof traces>, score: (trace: ReturnType<typeof traces>[number]) => number) =>
  Auroc.of(all.filter((trace) => trace.right).map(score), all.filter((trace) => !trace.right).map(score))

describe("token logprobs", () => {
  test.prop([fc.integer({ min: 0, max: 29 }), fc.integer(), fc.integer({ min: 1, max: 20 }), fc.boolean()], { numRuns: runs })(
    "spell the text, one sorted top-k list of distinct tokens per token, and never change what is generated",
    (problemIndex, seed, topLogprobs, stepwise) => {
      const problem = problems[problemIndex]!
      const request: LanguageModel.GenerateRequest = {
        messages: problem.messages,
        n: 2,
        maxTokens: 1024,
        temperature: 0.8,
        seed,
        ...(stepwise ? { stop: ["\n\n"] } : {})
      }
      const plain = generate(world, request)
      const withLogprobs = generate(world, { ...request, topLogprobs })
      expect(withLogprobs.map((completion) => [completion.text, completion.finishReason, completion.usage])).toEqual(
        plain.map((completion) => [completion.text, completion.finishReason, completion.usage])
      )
      for (const completion of withLogprobs) {
        const positions = completion.logprobs!
        expect(positions.map((position) => position.token).join("")).toBe(completion.text)
        for (const position of positions) {
          expect(position.top).toHaveLength(topLogprobs)
          expect(new Set(position.top.map((entry) => entry.token)).size).toBe(topLogprobs)
          expect(position.top.find((entry) => entry.token === position.token)?.logprob).toBe(position.logprob)
          for (let index = 1; index < position.top.length; index++)
            expect(position.top[index]!.logprob).toBeLessThanOrEqual(position.top[index - 1]!.logprob)
          expect(position.top.reduce((total, entry) => total + Math.exp(entry.logprob), 0)).toBeLessThanOrEqual(1 + 1e-9)
        }
      }
      expect(generate(world, { ...request, topLogprobs })).toEqual(withLogprobs)
    }
  )

  it("are less confident on the tokens of a step that errs than on sound steps", () => {
    const sound: Array<number> = []
    const erring: Array<number> = []
    for (const problem of problems) {
      const truth = World.groundTruth(problem)!
      for (const completion of generate(world, { messages: problem.messages, n: 8, maxTokens: 256, temperature: 0.8, seed: 3, stop: ["\n\n"], topLogprobs: 5 })) {
        const [weight] = Confidence.stepWeights(world.preset.confidence, truth, Solution.initial(truth), [completion.text])
        ;(weight === 1 ? erring : weight === 0 ? sound : []).push(Confidence.meanConfidence(completion.logprobs!))
      }
    }
    expect(erring.length).toBeGreaterThan(10)
    expect(Auroc.of(sound, erring)).toBeGreaterThan(0.8)
  })

  it("make trace confidence informative about the final answer on the calibrated preset, and uninformative without separation", () => {
    const informative = traces(world, 80)
    const flat = traces(World.make(Preset.override(Presets.calibrated, { confidence: { separation: 0 } }), { seed: 7 }), 80)
    expect(aurocOf(informative, (trace) => trace.mean)).toBeGreaterThan(0.7)
    expect(aurocOf(informative, (trace) => trace.lowest)).toBeGreaterThan(aurocOf(informative, (trace) => trace.mean))
    expect(Math.abs(aurocOf(flat, (trace) => trace.mean) - 0.5)).toBeLessThan(0.06)
  })
})

describe("confidence measures", () => {
  const position = (logprobs: ReadonlyArray<number>) => ({
    token: "a",
    logprob: logprobs[0]!,
    top: logprobs.map((logprob, index) => ({ token: `t${index}`, logprob }))
  })
  it("token confidence is the negative mean of the top-k logprobs; lowest group is the worst window mean", () => {
    expect(Confidence.tokenConfidence(position([-0.1, -2, -3]))).toBeCloseTo(5.1 / 3, 12)
    const trace = [position([-1]), position([-3]), position([-5]), position([-1])]
    expect(Confidence.meanConfidence(trace)).toBe(2.5)
    expect(Confidence.lowestGroupConfidence(trace, 2)).toBe(2)
    expect(Confidence.lowestGroupConfidence([position([-5]), ...trace], 2)).toBe(2)
    expect(Confidence.lowestGroupConfidence(trace, 10)).toBe(2.5)
  })
})
