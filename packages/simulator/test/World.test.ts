import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { Answer, LanguageModel, Problem, ProcessRewardModel, Step, Trajectory } from "@stepwise/core"
import { itEffect } from "@stepwise/testing"
import { Presets, World } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 20, seed: 1 })

const stepRequest = (problem: (typeof problems)[number], steps: ReadonlyArray<string>, extra: Partial<LanguageModel.GenerateRequest> = {}) => ({
  messages: problem.messages,
  ...(steps.length > 0 ? { prefix: `${steps.join("\n\n")}\n\n` } : {}),
  stop: ["\n\n"],
  n: 1,
  maxTokens: 512,
  temperature: 0.8,
  seed: 1,
  ...extra
})

describe("World.problems", () => {
  it("is deterministic, sized, with difficulty 1..5 and a numeric reference", () => {
    const again = World.problems(World.make(Presets.calibrated, { seed: 99 }), { count: 20, seed: 1 })
    expect(again.map((problem) => problem.question)).toEqual(problems.map((problem) => problem.question))
    expect(problems).toHaveLength(20)
    for (const problem of problems) {
      const difficulty = problem.metadata?.difficulty
      expect(typeof difficulty === "number" && difficulty >= 1 && difficulty <= 5).toBe(true)
      expect(Number.isInteger(Number(problem.reference))).toBe(true)
      expect(World.isCorrect(world, problem, problem.reference)).toBe(true)
    }
  })

  it("fixes the difficulty when asked, with more operations at higher levels", () => {
    const easy = World.problems(world, { count: 10, seed: 2, difficulty: 1 })
    const hard = World.problems(world, { count: 10, seed: 2, difficulty: 5 })
    expect(easy.every((problem) => problem.metadata?.difficulty === 1)).toBe(true)
    expect(hard.every((problem) => problem.metadata?.difficulty === 5)).toBe(true)
    const steps = (list: typeof easy) => list.map((problem) => Number(problem.metadata?.steps))
    expect(Math.max(...steps(easy))).toBeLessThan(Math.min(...steps(hard)))
  })
})

describe("World options", () => {
  it("rejects bad options naming the field", () => {
    expect(() => World.problems(world, { count: -1 })).toThrow("count")
    expect(() => World.problems(world, { count: 1, difficulty: 6 })).toThrow("difficulty")
    expect(() => World.make(Presets.calibrated, { seed: 1.5 })).toThrow("seed")
  })
})

describe("World.isCorrect", () => {
  const problem = problems[0]!
  it("accepts the reference in several spellings and rejects others", () => {
    expect(World.isCorrect(world, problem, `\\boxed{${problem.reference}}`)).toBe(true)
    expect(World.isCorrect(world, problem, ` ${problem.reference} `)).toBe(true)
    expect(World.isCorrect(world, problem, String(Number(problem.reference) + 1))).toBe(false)
    expect(World.isCorrect(world, problem, undefined)).toBe(false)
    expect(World.isCorrect(world, problem, "")).toBe(false)
  })
})

describe("policy: step protocol", () => {
  itEffect("one step per call with stop \\n\\n, the last one boxed and eos", () =>
    Effect.gen(function* () {
      for (const problem of problems.slice(0, 5)) {
        const steps: Array<string> = []
        let last: LanguageModel.Completion | undefined
        for (let guard = 0; guard < 40; guard++) {
          const [completion] = yield* world.languageModel.generate(stepRequest(problem, steps))
          last = completion!
          expect(last.text).not.toContain("\n\n")
          expect(last.text).toMatch(/^## Step \d+: /)
          steps.push(last.text)
          if (last.finishReason === "eos") break
          expect(last.finishReason).toBe("stop")
          expect(Answer.hasBoxed(last.text)).toBe(false)
        }
        expect(last?.finishReason).toBe("eos")
        expect(Answer.hasBoxed(last?.text ?? "")).toBe(true)
      }
    })
  )

  itEffect("generating to the end equals generating step by step with the same seed and index", () =>
    Effect.gen(function* () {
      for (const problem of problems.slice(0, 5)) {
        const whole = yield* world.languageModel.generate({ messages: problem.messages, n: 3, maxTokens: 4096, temperature: 0.8, seed: 5 })
        for (const completion of whole) {
          expect(completion.finishReason).toBe("eos")
          const steps: Array<string> = []
          for (;;) {
            const list = yield* world.languageModel.generate({ ...stepRequest(problem, steps), n: completion.index + 1, seed: 5 })
            const next = list[completion.index]
            steps.push(next!.text)
            if (next!.finishReason === "eos") break
          }
          expect(steps.join("\n\n")).toBe(completion.text)
        }
      }
    })
  )

  itEffect("sample k is unchanged when more samples are asked (common random numbers)", () =>
    Effect.gen(function* () {
      const problem = problems[3]!
      const few = yield* world.languageModel.generate({ messages: problem.messages, n: 2, maxTokens: 4096, temperature: 1, seed: 11 })
      const many = yield* world.languageModel.generate({ messages: problem.messages, n: 8, maxTokens: 4096, temperature: 1, seed: 11 })
      expect(many.slice(0, 2).map((completion) => completion.text)).toEqual(few.map((completion) => completion.text))
      const other = World.make(Presets.calibrated, { seed: 7 })
      const again = yield* other.languageModel.generate({ messages: problem.messages, n: 8, maxTokens: 4096, temperature: 1, seed: 11 })
      expect(again.map((completion) => completion.text)).toEqual(many.map((completion) => completion.text))
    })
  )

  itEffect("maxTokens cuts with finish reason length; usage counts the prompt once", () =>
    Effect.gen(function* () {
      const problem = problems[1]!
      const completions = yield* world.languageModel.generate({ messages: problem.messages, n: 3, maxTokens: 10, temperature: 0.8 })
      for (const completion of completions) {
        expect(completion.finishReason).toBe("length")
        expect(completion.usage.outputTokens).toBe(10)
      }
      expect(completions[0]!.usage.inputTokens).toBeGreaterThan(50)
      expect(completions[1]!.usage.inputTokens).toBe(0)
    })
  )
})

describe("PRM", () => {
  itEffect("scores every step in [0, 1], the same prefix the same, through the layer", () =>
    Effect.gen(function* () {
      const problem = problems[2]!
      const [completion] = yield* world.languageModel.generate({ messages: problem.messages, n: 1, maxTokens: 4096, temperature: 0.8 })
      const trajectory = Trajectory.fromSteps(completion!.text.split("\n\n").map((text) => Step.make({ text })))
      const scoring = yield* ProcessRewardModel.score(problem, trajectory).pipe(Effect.provide(World.layer(world)))
      expect(scoring.stepScores).toHaveLength(trajectory.length)
      for (const score of scoring.stepScores) expect(score >= 0 && score <= 1).toBe(true)
      const shorter = yield* world.processRewardModel.score(problem, Trajectory.prefix(trajectory, 1))
      expect(shorter.stepScores[0]).toBe(scoring.stepScores[0])
    })
  )
})

describe("free-text problems", () => {
  const sheep = Problem.make({ id: "sheep", question: "A farmer has seventeen sheep. He buys 5 more, then sells 4 and doubles the flock. How many sheep?" })

  itEffect("the policy solves a free-text problem like one of its own: steps on its chain, a boxed answer, PRM scores", () =>
    Effect.gen(function* () {
      const truth = World.groundTruth(sheep)!
      expect(truth.values).toEqual([17, 22, 18, 36])
      expect(World.understand(sheep.question)).toEqual(Result.succeed(truth))
      const completions = yield* world.languageModel.generate({ messages: sheep.messages, n: 32, maxTokens: 4096, temperature: 0.8, seed: 3 })
      const answers = completions.map((completion) => Answer.extractBoxed(completion.text))
      const right = completions.filter((completion) => World.isCorrect(world, sheep, completion.text))
      expect(right.length).toBeGreaterThan(0)
      expect(answers.filter((answer) => answer === "36")).toHaveLength(right.length)
      const steps = right[0]!.text.split("\n\n")
      expect(steps[steps.length - 1]).toMatch(/= 36\. Therefore, the final answer is: \$\\boxed\{36\}\$\.$/)
      const scoring = yield* world.processRewardModel.score(sheep, Trajectory.fromSteps(steps.map((text) => Step.make({ text }))))
      expect(scoring.stepScores).toHaveLength(steps.length)
      // Best-of-32 by the PRM's last-step score lands on the right answer more often than a single sample does.
      const scored = yield* Effect.forEach(completions, (completion) =>
        world.processRewardModel.score(sheep, Trajectory.fromSteps(completion.text.split("\n\n").map((text) => Step.make({ text }))))
      )
      const best = scored.reduce((bestIndex, scoring, index) =>
        (scoring.stepScores.at(-1) ?? 0) > (scored[bestIndex]!.stepScores.at(-1) ?? 0) ? index : bestIndex, 0)
      expect(answers[best]).toBe("36")
    })
  )

  itEffect("text the world cannot model: the PRM fails with the one-line message, the policy too when asked to", () =>
    Effect.gen(function* () {
      const stranger = Problem.make({ id: "capital", question: "What is the capital of France?" })
      const failure = yield* Effect.flip(world.processRewardModel.score(stranger, Trajectory.fromSteps([Step.make({ text: "Paris." })])))
      expect(failure._tag).toBe("VerifierError")
      expect(failure.message).not.toContain("\n")
      expect(failure.message).toContain("--endpoint URL --model NAME")
      expect((failure as { cause?: { _tag?: string } }).cause?._tag).toBe("NotModelled")
      const [answer] = yield* world.languageModel.generate({ messages: stranger.messages, n: 1, maxTokens: 64 })
      expect(answer!.finishReason).toBe("eos")
      const strict = World.make(Presets.calibrated, { unrecognized: "fail" })
      const refused = yield* Effect.flip(strict.languageModel.generate({ messages: stranger.messages, n: 1, maxTokens: 64 }))
      expect(refused._tag).toBe("InvalidRequest")
      expect(refused.message).toContain("the simulator cannot model this problem")
      // A server's client is not told solve's flags (it has none): the reason and what the world models.
      expect(refused.message).toContain("The simulator solves multi-step arithmetic word problems")
      expect(refused.message).not.toContain("--endpoint")
      const solved = yield* strict.languageModel.generate({ messages: sheep.messages, n: 1, maxTokens: 4096 })
      expect(Answer.hasBoxed(solved[0]!.text)).toBe(true)
    })
  )

  it("gives every problem of a large set its own id (32-bit ids repeated within 20,000 problems of seed 1)", () => {
    const world = World.make(Presets.calibrated)
    const ids = World.problems(world, { count: 20_000, seed: 1 }).map((problem) => problem.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})
