import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Answer } from "@stepwise/core"
import { Environment, Presets, Solution, WordProblem, World } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 40, seed: 3 })
const runs = process.env["CI"] ? 200 : 50
const generate = (request: Parameters<typeof world.languageModel.generate>[0]) => Effect.runSync(world.languageModel.generate(request))

describe("policy", () => {
  test.prop([fc.integer({ min: 0, max: 39 }), fc.integer({ min: 1, max: 300 }), fc.integer()], { numRuns: runs })(
    "never passes maxTokens; `length` exactly when cut",
    (problemIndex, maxTokens, seed) => {
      const problem = problems[problemIndex]!
      const full = generate({ messages: problem.messages, n: 2, maxTokens: 4096, temperature: 0.8, seed })
      const cut = generate({ messages: problem.messages, n: 2, maxTokens, temperature: 0.8, seed })
      cut.forEach((completion, index) => {
        const whole = full[index]!
        expect(completion.usage.outputTokens).toBeLessThanOrEqual(maxTokens)
        if (completion.finishReason === "length") expect(whole.text.startsWith(completion.text)).toBe(true)
        else expect(completion.text).toBe(whole.text)
        expect(completion.finishReason === "length").toBe((whole.usage.outputTokens ?? 0) > maxTokens)
      })
    }
  )

  it("honours the caller's own stop sequences", () => {
    const problem = problems[0]!
    const [completion] = generate({ messages: problem.messages, n: 1, maxTokens: 4096, temperature: 0.8, stop: ["## Step 2:"] })
    expect(completion!.finishReason).toBe("stop")
    expect(completion!.text).not.toContain("## Step 2:")
    expect(completion!.text.endsWith("\n\n")).toBe(true)
  })

  it("makes each kind of error, digressions that cost tokens without progress, and more errors on harder problems", () => {
    const kinds = new Set<string>()
    const accuracyByLevel = [1, 3, 5].map((difficulty) => {
      const set = World.problems(world, { count: 40, seed: 9, difficulty })
      let right = 0
      let total = 0
      for (const problem of set) {
        const truth = World.groundTruth(problem)!
        for (const completion of generate({ messages: problem.messages, n: 16, maxTokens: 4096, temperature: 0.8, seed: 1 })) {
          const texts = completion.text.split("\n\n")
          let state = Solution.initial(truth)
          for (const text of texts) {
            const next = Solution.read(truth, state, text)
            if (next.progress === state.progress) kinds.add("digression")
            else if (!state.derailed && next.derailed) {
              if (next.trapped) kinds.add("trap")
              else if (/ = (-?\d+)\./.exec(text) && WordProblem.apply(truth.operations[state.progress]!.kind, state.value, truth.operations[state.progress]!.operand) !== next.value) {
                const match = /(-?\d+) [-+*/] (-?\d+) = (-?\d+)/.exec(text)!
                kinds.add(Number(match[2]) === truth.operations[state.progress]!.operand ? "slip" : "operand")
              }
            }
            state = next
          }
          total++
          if (World.isCorrect(world, problem, Answer.extractBoxed(completion.text))) right++
        }
      }
      return right / total
    })
    expect([...kinds].sort()).toEqual(["digression", "operand", "slip", "trap"])
    expect(accuracyByLevel[0]!).toBeGreaterThan(accuracyByLevel[1]!)
    expect(accuracyByLevel[1]!).toBeGreaterThan(accuracyByLevel[2]!)
  })

  it("errs more at higher temperature", () => {
    const accuracy = (temperature: number) => {
      let right = 0
      for (const problem of problems)
        for (const completion of generate({ messages: problem.messages, n: 16, maxTokens: 4096, temperature, seed: 2 }))
          if (World.isCorrect(world, problem, Answer.extractBoxed(completion.text))) right++
      return right / (problems.length * 16)
    }
    expect(accuracy(0.4)).toBeGreaterThan(accuracy(1.2))
  })

  it("lets majority vote lock onto a popular distractor on a problem whose trap pulls hard", () => {
    const strong = World.problems(world, { count: 300, seed: 4 }).find((problem) => {
      const facts = World.latent(world, problem)!
      return facts.trapActive && facts.trapPull > 0.7 && !facts.outOfReach && World.groundTruth(problem)!.difficulty <= 2
    })
    expect(strong).toBeDefined()
    const truth = World.groundTruth(strong!)!
    let trapped = truth.trap!.value
    for (const operation of truth.operations.slice(truth.trap!.step + 1)) trapped = WordProblem.apply(operation.kind, trapped, operation.operand)
    const votes = new Map<string, number>()
    for (const completion of generate({ messages: strong!.messages, n: 64, maxTokens: 4096, temperature: 0.8, seed: 5 })) {
      const answer = Answer.extractBoxed(completion.text) ?? ""
      votes.set(answer, (votes.get(answer) ?? 0) + 1)
    }
    const [winner] = [...votes.entries()].sort((a, b) => b[1] - a[1])
    expect(winner![0]).toBe(String(trapped))
    expect(World.isCorrect(world, strong!, winner![0])).toBe(false)
  })

  it("has latent per-problem difficulty: some problems nearly always solved, some almost never", () => {
    const rates = World.problems(world, { count: 200, seed: 5 }).map((problem) => World.latent(world, problem)!.solveProbability)
    expect(rates.filter((rate) => rate > 0.8).length).toBeGreaterThan(10)
    expect(rates.filter((rate) => rate < 0.01).length).toBeGreaterThan(20)
    expect(rates.filter((rate) => rate > 0.1 && rate < 0.6).length).toBeGreaterThan(40)
    const cached = Environment.latentOf(world.environment, World.groundTruth(problems[0]!)!)
    expect(World.latent(world, problems[0]!)!.trapPull).toBe(cached.trapPull)
  })

  it("defeats every branch at the crux step of an out-of-reach problem", () => {
    const hard = World.problems(world, { count: 300, seed: 6 }).find((problem) => World.latent(world, problem)!.outOfReach)!
    const truth = World.groundTruth(hard)!
    const crux = World.latent(world, hard)!.cruxStep!
    const prefixSteps = Solution.reference(truth).slice(0, crux)
    const completions = generate({
      messages: hard.messages,
      ...(prefixSteps.length > 0 ? { prefix: `${prefixSteps.join("\n\n")}\n\n` } : {}),
      stop: ["\n\n"],
      n: 500,
      maxTokens: 256,
      temperature: 0.8,
      seed: 3
    })
    const right = completions.filter((completion) => {
      const states = Solution.readAll(truth, [...prefixSteps, completion.text])
      const after = states[states.length - 1]!
      return after.progress > crux && !after.derailed
    }).length
    expect(right / completions.length).toBeLessThan(0.01)
  })

  it("answers a prompt that is not a problem of the world with a short finished answer", () => {
    const [completion] = generate({ messages: [{ role: "user", content: "What is the capital of France?" }], n: 1, maxTokens: 100 })
    expect(completion!.finishReason).toBe("eos")
    expect(Answer.hasBoxed(completion!.text)).toBe(true)
  })

  it("returns token logprobs that spell the text when asked", () => {
    const [completion] = generate({ messages: problems[0]!.messages, n: 1, maxTokens: 4096, topLogprobs: 3, stop: ["\n\n"] })
    expect(completion!.logprobs!.map((position) => position.token).join("")).toBe(completion!.text)
    for (const position of completion!.logprobs!) {
      expect(position.logprob).toBeLessThanOrEqual(0)
      expect(position.top.length).toBeGreaterThanOrEqual(1)
      expect(position.top.reduce((total, entry) => total + Math.exp(entry.logprob), 0)).toBeLessThanOrEqual(1 + 1e-9)
    }
  })
})
