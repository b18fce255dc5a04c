import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Logprob, Message } from "@stepwise/core"
import { Auroc, Judging, Presets, Solution, Verification, World } from "../src/index.js"

// The judge prompt as the verifiers package's Judge builds it (its documented format).
const judgePrompt = (question: string, steps: ReadonlyArray<string>, mode: "yes-no" | "scale", step?: number): string => {
  const shown = step === undefined ? steps : steps.slice(0, step)
  const subject = step === undefined ? "the solution" : `Step ${step}, given the steps before it`
  return (
    `${Verification.opening}\n\n[Math Problem]\n\n${question}\n\n[Solution]\n\n` +
    shown.map((text, index) => `Step ${index + 1}: ${text.replace(/\r?\n/g, " ")}`).join("\n") +
    "\n\n" +
    (mode === "yes-no"
      ? `Is ${subject} correct? Answer with yes or no.`
      : `Rate the correctness of ${subject} from 0 (completely wrong) to 10 (completely correct). Answer with a single integer.`)
  )
}

const world = World.make(Presets.calibrated, { seed: 5 })
const problems = World.problems(world, { count: 40, seed: 6 })
const samples = problems.flatMap((problem) =>
  Effect.runSync(world.languageModel.generate({ messages: problem.messages, n: 3, maxTokens: 4096, temperature: 0.8, seed: 1 })).map((completion) => ({
    problem,
    steps: completion.text.split("\n\n")
  }))
)
const ask = (content: string, topLogprobs?: number) =>
  Effect.runSync(world.languageModel.generate({ messages: [Message.user(content)], n: 1, maxTokens: 16, temperature: 0, ...(topLogprobs === undefined ? {} : { topLogprobs }) }))[0]!

describe("judge prompts", () => {
  it("are recognised, and told from ThinkPRM verification prompts", () => {
    const { problem, steps } = samples[0]!
    expect(Judging.isPrompt(judgePrompt(problem.question, steps, "yes-no", 2))).toBe(true)
    expect(Judging.isPrompt(judgePrompt(problem.question, steps, "scale"))).toBe(true)
    expect(Judging.isPrompt(Verification.prompt(problem.question, steps))).toBe(false)
  })

  it("answer yes or no per step with P(yes) in the top logprobs, separating right-so-far steps from wrong ones", () => {
    const right: Array<number> = []
    const wrong: Array<number> = []
    let agree = 0
    let total = 0
    for (const { problem, steps } of samples) {
      const states = Solution.readAll(World.groundTruth(problem)!, steps)
      steps.forEach((_step, index) => {
        const completion = ask(judgePrompt(problem.question, steps, "yes-no", index + 1), 5)
        expect(["yes", "no"]).toContain(completion.text)
        const position = completion.logprobs![0]!
        const yes = Logprob.massOf(position, "yes")
        const no = Logprob.massOf(position, "no")
        const probability = yes / (yes + no)
        ;(states[index]!.derailed ? wrong : right).push(probability)
        if ((completion.text === "yes") === !states[index]!.derailed) agree++
        total++
      })
    }
    // Verdicts are right with the generative verifier's accuracy (0.85), a little less where traps fool it.
    expect(agree / total).toBeGreaterThan(0.75)
    expect(agree / total).toBeLessThan(0.9)
    expect(Auroc.of(right, wrong)).toBeGreaterThan(0.75)
  })

  it("grade a whole solution 0–10, higher for right solutions", () => {
    const right: Array<number> = []
    const wrong: Array<number> = []
    for (const { problem, steps } of samples) {
      const grade = Number(ask(judgePrompt(problem.question, steps, "scale")).text)
      expect(Number.isInteger(grade) && grade >= 0 && grade <= 10).toBe(true)
      ;(World.isCorrect(world, problem, steps[steps.length - 1]) ? right : wrong).push(grade)
    }
    expect(Auroc.of(right, wrong)).toBeGreaterThan(0.7)
  })
})

describe("ThinkPRM double-check rounds", () => {
  const { problem, steps } = samples.find((sample) => sample.steps.length >= 4)!
  const messages = [Message.user(Verification.prompt(problem.question, steps))]
  const chain = (prefix: string) =>
    Effect.runSync(world.languageModel.generate({ messages, prefix, stop: [Verification.decisionQuestion], n: 1, maxTokens: 4096, temperature: 0.4, seed: 3 }))[0]!

  it("judge every step again after 'Let me double check', with fresh draws", () => {
    const first = chain(Verification.chainOpening)
    const again = chain(`${Verification.chainOpening}${first.text}\n${Verification.doubleCheck}`)
    expect(again.text.length).toBeGreaterThan(0)
    expect([...again.text.matchAll(/\nStep (\d+): [^\n]*\\boxed\{(?:in)?correct\}/g)].map((match) => Number(match[1]))).toEqual(steps.map((_, index) => index + 1))
    const third = chain(`${Verification.chainOpening}${first.text}\n${Verification.doubleCheck}${again.text}\n${Verification.doubleCheck}`)
    expect(third.text).not.toBe(again.text)
  })

  it("judge every step again after each of ThinkPRM's other triggers, appended as the reference does (no newline)", () => {
    const first = chain(Verification.chainOpening)
    for (const trigger of Verification.doubleCheckTriggers.slice(1)) {
      const again = chain(`${Verification.chainOpening}${first.text}${trigger}`)
      expect([...again.text.matchAll(/\nStep (\d+): [^\n]*\\boxed\{(?:in)?correct\}/g)].map((match) => Number(match[1]))).toEqual(steps.map((_, index) => index + 1))
      expect(Verification.chainFindsError(`Step 1: x \\boxed{incorrect}${trigger}\nStep 1: x \\boxed{correct}`)).toBe(false)
    }
  })

  it("decide by the last judgement of each step once a chain has double-checked", () => {
    expect(Verification.chainFindsError("Step 1: x \\boxed{incorrect}\nStep 2: y \\boxed{correct}")).toBe(true)
    expect(
      Verification.chainFindsError(
        `Step 1: x \\boxed{incorrect}\nStep 2: y \\boxed{correct}\n${Verification.doubleCheck}:\nStep 1: x \\boxed{correct}\nStep 2: y \\boxed{correct}`
      )
    ).toBe(false)
  })
})
