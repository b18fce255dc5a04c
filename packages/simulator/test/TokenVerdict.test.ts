import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Logprob, Message, Step, Trajectory } from "@stepwise/core"
import type { LanguageModel } from "@stepwise/core"
import { Presets, TokenVerdict, World } from "../src/index.js"

// The two request formats of the verifiers package's TokenLogitPrm (search-and-learn's RLHFlow and Math-Shepherd).
const rlhflow = (question: string, steps: ReadonlyArray<string>): LanguageModel.GenerateRequest => ({
  messages: steps.flatMap((text, index) => [...(index > 0 ? [Message.assistant("+")] : []), Message.user(index === 0 ? `${question} ${text}` : text)]),
  n: 1,
  maxTokens: 1,
  temperature: 0,
  topLogprobs: 20
})
const mathShepherd = (question: string, steps: ReadonlyArray<string>): LanguageModel.GenerateRequest => ({
  messages: [Message.user(question)],
  prefix: ` ${steps.map((text) => `${text} ${TokenVerdict.stepTag}`).join("\n\n")}`,
  n: 1,
  maxTokens: 1,
  temperature: 0,
  topLogprobs: 20
})

const world = World.make(Presets.calibrated, { seed: 5 })
const problems = World.problems(world, { count: 6, seed: 8 })

describe("token-verdict requests (Math-Shepherd / RLHFlow PRMs)", () => {
  it.each([
    ["rlhflow", rlhflow],
    ["math-shepherd", mathShepherd]
  ] as const)("%s: P(+) among the top logprobs is the world's PRM score of the step", (_name, build) => {
    for (const problem of problems) {
      const [sample] = Effect.runSync(world.languageModel.generate({ messages: problem.messages, n: 1, maxTokens: 4096, temperature: 0.8, seed: 2 }))
      const steps = sample!.text.split("\n\n")
      const scores = Effect.runSync(world.processRewardModel.score(problem, Trajectory.fromSteps(steps.map((text) => Step.make({ text }))))).stepScores
      steps.forEach((_step, index) => {
        const request = build(problem.question, steps.slice(0, index + 1))
        expect(TokenVerdict.read(request)?.steps).toHaveLength(index + 1)
        const [completion] = Effect.runSync(world.languageModel.generate(request))
        const position = completion!.logprobs![0]!
        const plus = Logprob.massOf(position, "+")
        const minus = Logprob.massOf(position, "-")
        expect(plus / (plus + minus)).toBeCloseTo(scores[index]!, 9)
        expect(completion!.text).toBe(scores[index]! >= 0.5 ? "+" : "-")
        expect(completion!.finishReason).toBe("length")
      })
    }
  })

  it("math-shepherd: reads the question after a system prompt line (search-and-learn's header)", () => {
    const problem = problems[0]!
    const request = mathShepherd(`Solve the following math problem.\n${problem.question}\n`, ["## Step 1: x.", "## Step 2: y."])
    expect(TokenVerdict.read(request)?.problem.question).toBe(problem.question)
    expect(TokenVerdict.read(request)?.steps).toEqual(["## Step 1: x.", "## Step 2: y."])
    // Cut anywhere but right after a tag, it is not a token-verdict request.
    expect(TokenVerdict.read({ ...request, prefix: `${request.prefix!} ` })).toBeUndefined()
  })

  it("leaves ordinary requests to the policy", () => {
    const problem = problems[0]!
    expect(TokenVerdict.read({ messages: problem.messages, n: 1, maxTokens: 1, temperature: 0, topLogprobs: 5 })).toBeUndefined()
    expect(TokenVerdict.read({ messages: problem.messages, prefix: "## Step 1: x.\n\n", n: 1, maxTokens: 256, temperature: 0 })).toBeUndefined()
    expect(TokenVerdict.read(rlhflow("What is the capital of France?", ["Paris."]))).toBeUndefined()
  })
})
