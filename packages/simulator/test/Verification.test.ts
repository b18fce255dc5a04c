import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Logprob, Meter } from "@stepwise/core"
import { Preset, Presets, Solution, Verification, World } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 5 })
const problems = World.problems(world, { count: 10, seed: 2 })
const generate = (request: Parameters<typeof world.languageModel.generate>[0]) => Effect.runSync(world.languageModel.generate(request))

const solutionOf = (index: number) => {
  const problem = problems[index]!
  const truth = World.groundTruth(problem)!
  return { problem, truth, steps: Solution.reference(truth) }
}

describe("ThinkPRM-style verification", () => {
  it("parses its own prompt back", () => {
    const { problem, steps } = solutionOf(0)
    const parsed = Verification.parsePrompt(Verification.prompt(problem.question, ["a\nb", ...steps]))
    expect(parsed.question).toBe(problem.question)
    expect(parsed.steps).toEqual(["a b", ...steps])
  })

  it("writes one verdict per step and stops where it would ask 'Is the solution correct?'", () => {
    const { problem, steps } = solutionOf(1)
    const messages = [{ role: "user" as const, content: Verification.prompt(problem.question, steps) }]
    const [chain] = generate({ messages, prefix: Verification.chainOpening, stop: [Verification.decisionQuestion], n: 1, maxTokens: 4096, temperature: 0.4 })
    expect(chain!.finishReason).toBe("stop")
    expect([...chain!.text.matchAll(/\\boxed\{(?:in)?correct\}/g)]).toHaveLength(steps.length)
    expect(chain!.text).toMatch(/^\nStep 1: /)
    const [whole] = generate({ messages, prefix: Verification.chainOpening, n: 1, maxTokens: 4096, temperature: 0.4 })
    expect(whole!.finishReason).toBe("eos")
    expect(whole!.text.startsWith(chain!.text)).toBe(true)
    expect(whole!.text).toMatch(/Is the solution correct\? (Yes|No)$/)
  })

  it("continues a partial chain from the next unjudged step", () => {
    const { problem, steps } = solutionOf(2)
    const messages = [{ role: "user" as const, content: Verification.prompt(problem.question, steps) }]
    const [rest] = generate({
      messages,
      prefix: `${Verification.chainOpening}\nStep 1: fine. \\boxed{correct}`,
      stop: [Verification.decisionQuestion],
      n: 1,
      maxTokens: 4096,
      temperature: 0.4
    })
    expect(rest!.text).toMatch(/^\nStep 2: /)
    expect([...rest!.text.matchAll(/\\boxed\{(?:in)?correct\}/g)]).toHaveLength(steps.length - 1)
  })

  it("answers the decision with yes/no logprobs consistent with the chain", () => {
    const { problem, steps } = solutionOf(3)
    const messages = [{ role: "user" as const, content: Verification.prompt(problem.question, steps) }]
    const decide = (chain: string) => {
      const [decision] = generate({ messages, prefix: `${Verification.chainOpening}${chain}\n${Verification.decisionQuestion} `, n: 1, maxTokens: 1, temperature: 0, topLogprobs: 5 })
      const position = decision!.logprobs![0]!
      expect(position.top.length).toBeGreaterThanOrEqual(2)
      return { text: decision!.text, yes: Logprob.massOf(position, "yes"), no: Logprob.massOf(position, "no"), finish: decision!.finishReason }
    }
    const good = decide(steps.map((_, index) => `\nStep ${index + 1}: ok \\boxed{correct}`).join("") + "\n")
    const bad = decide(`\nStep 1: ok \\boxed{correct}\nStep 2: wrong \\boxed{incorrect}\n`)
    expect(good.yes).toBeGreaterThan(good.no)
    expect(bad.no).toBeGreaterThan(bad.yes)
    expect(good.yes + good.no).toBeGreaterThan(0.95)
    expect(good.finish).toBe("length")
    expect([good.text, bad.text]).toEqual(["yes", "no"])
  })

  it("calls a wrong step incorrect far more often than a right one", () => {
    const { problem, truth, steps } = solutionOf(4)
    const broken = [...steps]
    broken[0] = broken[0]!.replace(/= (\d+)\./, (_match, value: string) => `= ${Number(value) + 1}.`)
    const states = Solution.readAll(truth, broken)
    expect(states[0]!.derailed).toBe(true)
    const messages = (texts: ReadonlyArray<string>) => [{ role: "user" as const, content: Verification.prompt(problem.question, texts) }]
    const firstVerdicts = (texts: ReadonlyArray<string>) =>
      generate({ messages: messages(texts), prefix: Verification.chainOpening, stop: [Verification.decisionQuestion], n: 400, maxTokens: 4096, temperature: 0.4 }).map(
        (completion) => /\\boxed\{correct\}/.test(completion.text.split("\n")[1] ?? "")
      )
    const rightCalledCorrect = firstVerdicts(steps).filter(Boolean).length / 400
    const wrongCalledCorrect = firstVerdicts(broken).filter(Boolean).length / 400
    expect(rightCalledCorrect).toBeGreaterThan(0.75)
    expect(wrongCalledCorrect).toBeLessThan(0.25)
  })

  it("is metered as verifier spend when run under Meter.asVerifier", () => {
    const roles: Array<Meter.Role> = []
    const meter: Meter.Service = {
      metered: (claim, call) => {
        roles.push(claim.role)
        return call({ maxTokensPerSample: claim.maxTokensPerSample })
      }
    }
    const { problem, steps } = solutionOf(5)
    Effect.runSync(
      Meter.asVerifier(
        world.languageModel.generate({ messages: [{ role: "user", content: Verification.prompt(problem.question, steps) }], prefix: Verification.chainOpening, n: 1, maxTokens: 512 })
      ).pipe(Effect.provideService(Meter.Meter, meter))
    )
    expect(roles).toEqual(["verifier"])
  })

  it("can be fooled by traps when configured", () => {
    const fooled = World.make(Preset.override(Presets.calibrated, { policy: { trapRate: 1 }, generativeVerifier: { trapFooledRate: 1, accuracy: 1 } }), { seed: 5 })
    const problem = World.problems(fooled, { count: 50, seed: 3 }).find((candidate) => World.latent(fooled, candidate)?.trapActive === true)!
    const truth = World.groundTruth(problem)!
    const trap = truth.trap!
    const reference = Solution.reference(truth)
    const operand = truth.operations[trap.step]!.operand
    const trapStep = `## Step ${trap.step + 1}: so ${truth.values[trap.step]} ${trap.kind === "add" ? "+" : "-"} ${operand} = ${trap.value}.`
    const steps = [...reference.slice(0, trap.step), trapStep]
    const [chain] = Effect.runSync(
      fooled.languageModel.generate({ messages: [{ role: "user", content: Verification.prompt(problem.question, steps) }], prefix: Verification.chainOpening, stop: [Verification.decisionQuestion], n: 1, maxTokens: 4096, temperature: 0.4 })
    )
    expect(chain!.text).not.toContain("incorrect")
  })
})
