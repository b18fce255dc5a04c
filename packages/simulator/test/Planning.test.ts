import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Answer, Message } from "@stepwise/core"
import type { LanguageModel } from "@stepwise/core"
import { Planning, Preset, Presets, Solution, World } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 40, seed: 4 })
const generate = (target: World.World, request: LanguageModel.GenerateRequest) => Effect.runSync(target.languageModel.generate(request))
const plan = (target: World.World, question: string, temperature: number, n = 1, seed = 1) =>
  generate(target, { messages: [Message.user(Planning.planPrompt(question))], n, maxTokens: 2048, temperature, seed })

/** Asks each sub-question in turn with the previous answers as context; returns the answers and the texts. */
const answerAll = (target: World.World, question: string, subQuestions: ReadonlyArray<string>, temperature: number) => {
  const answered: Array<Planning.Answered> = []
  const texts: Array<string> = []
  for (const subQuestion of subQuestions) {
    const [completion] = generate(target, {
      messages: [Message.user(Planning.subQuestionPrompt(question, answered, subQuestion))],
      n: 1,
      maxTokens: 1024,
      temperature,
      seed: 2
    })
    texts.push(completion!.text)
    answered.push({ subQuestion, answer: Answer.extractBoxed(completion!.text) ?? "" })
  }
  return { answered, texts }
}

describe("planning prompts", () => {
  it("greedy plans have one sub-question per operation; each sub-answer computes from the previous one, like a step", () => {
    let allRight = 0
    for (const problem of problems.slice(0, 20)) {
      const truth = World.groundTruth(problem)!
      const [completion] = plan(world, problem.question, 0)
      const subQuestions = Planning.parsePlan(completion!.text)
      expect(subQuestions).toHaveLength(truth.operations.length)
      expect(completion!.finishReason).toBe("eos")
      const { answered, texts } = answerAll(world, problem.question, subQuestions, 0.8)
      texts.forEach((text, index) => {
        const computations = text.split("\n\n").map(Solution.computationOf).filter((computation) => computation !== undefined)
        expect(computations).toHaveLength(1)
        expect(computations[0]!.input).toBe(index === 0 ? truth.start : Number(answered[index - 1]!.answer))
        // The operation of that depth, or the problem's trap when the sub-answer falls for it.
        expect([truth.operations[index]!.kind, index === truth.trap?.step ? truth.trap.kind : undefined]).toContain(computations[0]!.kind)
        expect(Number(answered[index]!.answer)).toBe(computations[0]!.result)
      })
      if (answered.every((entry, index) => Number(entry.answer) === truth.values[index + 1])) allRight++
    }
    // The sub-answers err like steps: some plans are answered right throughout, some are not.
    expect(allRight).toBeGreaterThan(0)
    expect(allRight).toBeLessThan(20)
  })

  it("answers a sub-question with the problem's operations from the previous sub-answer, ending boxed", () => {
    const problem = problems.find((candidate) => World.groundTruth(candidate)!.operations.length >= 3)!
    const truth = World.groundTruth(problem)!
    const subQuestions = Planning.parsePlan(plan(world, problem.question, 0)[0]!.text)
    const answered = [{ subQuestion: subQuestions[0]!, answer: "1000" }]
    const [completion] = generate(world, {
      messages: [Message.user(Planning.subQuestionPrompt(problem.question, answered, subQuestions[1]!))],
      n: 1,
      maxTokens: 1024,
      temperature: 0
    })
    const operation = truth.operations[1]!
    expect(completion!.text).toMatch(new RegExp(`^## Step 1: .*1000 [-+*/] ${operation.operand} = -?\\d+`))
    expect(Answer.hasBoxed(completion!.text)).toBe(true)
  })

  it("merges and skips operations at the configured rates (at the reference temperature), never when greedy", () => {
    const noisy = World.make(Preset.override(Presets.calibrated, { planning: { mergeRate: 0.3, skipRate: 0.1 } }), { seed: 7 })
    let operations = 0
    let planned = 0
    let subQuestions = 0
    let plans = 0
    for (const problem of problems) {
      const truth = World.groundTruth(problem)!
      for (const completion of plan(noisy, problem.question, noisy.preset.policy.referenceTemperature, 8)) {
        const listed = Planning.parsePlan(completion.text)
        operations += truth.operations.length
        subQuestions += listed.length
        plans++
        planned += listed.reduce((total, text) => total + text.split(", then ").length, 0)
      }
      expect(Planning.parsePlan(plan(noisy, problem.question, 0)[0]!.text)).toHaveLength(truth.operations.length)
    }
    // Every operation draws once: merged into the sub-question before it (0.3), left out (0.1), else its own; the
    // first one kept in a plan opens its first sub-question. So among the others kept, 0.3 / 0.9 are merged.
    const skipped = 1 - planned / operations
    const merged = (planned - subQuestions) / (planned - plans)
    expect(Math.abs(skipped - 0.1)).toBeLessThan(0.025)
    expect(Math.abs(merged - 0.3 / 0.9)).toBeLessThan(0.04)
  })

  it("plans a question it cannot model as that one question", () => {
    const [completion] = plan(world, "What is the capital of France?", 0)
    expect(Planning.parsePlan(completion!.text)).toEqual(["What is the capital of France?"])
  })
})
