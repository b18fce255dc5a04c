import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Step, Trajectory } from "@stepwise/core"
import type { Problem } from "@stepwise/core"
import { Environment, Latent, Preset, Presets, Solution, Verification, WordProblem, World } from "../src/index.js"

// Calibration on ≥ 2,000 samples per figure: the measured rates must sit within the tolerances of the
// configured ones. Everything is seeded, so these tests are deterministic.

const run = <A>(effect: Effect.Effect<A, unknown>) => Effect.runSync(effect)

const auroc = (positives: ReadonlyArray<number>, negatives: ReadonlyArray<number>): number => {
  const all = [...positives.map((score) => [score, 1] as const), ...negatives.map((score) => [score, 0] as const)].sort((a, b) => a[0] - b[0])
  let rankSum = 0
  let index = 0
  while (index < all.length) {
    let end = index
    while (end + 1 < all.length && all[end + 1]![0] === all[index]![0]) end++
    const rank = (index + end) / 2 + 1
    for (let k = index; k <= end; k++) if (all[k]![1] === 1) rankSum += rank
    index = end + 1
  }
  return (rankSum - (positives.length * (positives.length + 1)) / 2) / (positives.length * negatives.length)
}

describe("per-step error rates", () => {
  const world = World.make(Presets.calibrated, { seed: 7 })
  const problems = World.problems(world, { count: 200, seed: 5 })
  // Pick (problem, depth) cells spanning low to high configured error rates, away from traps.
  const cells: Array<{ problem: Problem.Problem; truth: WordProblem.WordProblem; depth: number; expected: number }> = []
  for (const problem of problems) {
    const truth = World.groundTruth(problem)!
    const latent = Environment.latentOf(world.environment, truth)
    if (latent.outOfReach) continue
    for (const depth of [0, Math.floor(truth.operations.length / 2)]) {
      if (latent.trapActive && truth.trap?.step === depth) continue
      const expected = Latent.errorProbability(world.preset, truth, latent, depth, 0.8)
      const band = Math.floor(expected * 10)
      if (expected > 0.03 && expected < 0.7 && !cells.some((cell) => Math.floor(cell.expected * 10) === band))
        cells.push({ problem, truth, depth, expected })
    }
  }

  it("covers a range of configured rates", () => {
    expect(cells.length).toBeGreaterThanOrEqual(4)
  })

  it.each(cells.map((cell) => [cell.expected.toFixed(3), cell] as const))(
    "measured error rate matches the configured %s within ±0.02 (4,000 samples)",
    (_label, cell) => {
      const prefixSteps = Solution.reference(cell.truth).slice(0, cell.depth)
      const completions = run(
        world.languageModel.generate({
          messages: cell.problem.messages,
          ...(prefixSteps.length > 0 ? { prefix: `${prefixSteps.join("\n\n")}\n\n` } : {}),
          stop: ["\n\n"],
          n: 4000,
          maxTokens: 256,
          temperature: 0.8,
          seed: 1
        })
      )
      let errors = 0
      let computed = 0
      let digressions = 0
      for (const completion of completions) {
        const states = Solution.readAll(cell.truth, [...prefixSteps, completion.text])
        const before = states[states.length - 2]?.progress ?? 0
        const after = states[states.length - 1]!
        if (after.progress === before) {
          digressions++
          continue
        }
        computed++
        if (after.derailed) errors++
      }
      expect(Math.abs(errors / computed - cell.expected)).toBeLessThanOrEqual(0.02)
      expect(Math.abs(digressions / completions.length - Latent.digressionProbability(world.preset, 0.8))).toBeLessThanOrEqual(0.02)
    }
  )

  it("a trap step errs with pull + (1 − pull) × error rate, and trapped samples share one distractor", () => {
    const trapped = problems
      .map((problem) => ({ problem, truth: World.groundTruth(problem)! }))
      .find(({ truth }) => {
        const latent = Environment.latentOf(world.environment, truth)
        return latent.trapActive && latent.trapPull > 0.3 && latent.trapPull < 0.8 && !latent.outOfReach
      })
    expect(trapped).toBeDefined()
    const { problem, truth } = trapped!
    const latent = Environment.latentOf(world.environment, truth)
    const depth = truth.trap!.step
    const prefixSteps = Solution.reference(truth).slice(0, depth)
    const completions = run(
      world.languageModel.generate({
        messages: problem.messages,
        ...(prefixSteps.length > 0 ? { prefix: `${prefixSteps.join("\n\n")}\n\n` } : {}),
        stop: ["\n\n"],
        n: 4000,
        maxTokens: 256,
        temperature: 0.8,
        seed: 2
      })
    )
    let errors = 0
    let computed = 0
    const wrongValues = new Map<number, number>()
    for (const completion of completions) {
      const states = Solution.readAll(truth, [...prefixSteps, completion.text])
      const after = states[states.length - 1]!
      if (after.progress === depth) continue
      computed++
      if (after.derailed) {
        errors++
        wrongValues.set(after.value, (wrongValues.get(after.value) ?? 0) + 1)
      }
    }
    const error = Latent.errorProbability(world.preset, truth, latent, depth, 0.8)
    expect(Math.abs(errors / computed - (latent.trapPull + (1 - latent.trapPull) * error))).toBeLessThanOrEqual(0.02)
    const [popular] = [...wrongValues.entries()].sort((a, b) => b[1] - a[1])
    expect(popular![0]).toBe(truth.trap!.value)
    expect(popular![1] / errors).toBeGreaterThan(0.5)
  })
})

/** Full samples of many problems, cut into steps with their ground truth. */
const sampleSteps = (world: World.World, problems: ReadonlyArray<Problem.Problem>, perProblem: number) => {
  const out: Array<{ problem: Problem.Problem; texts: ReadonlyArray<string> }> = []
  for (const problem of problems) {
    const completions = run(world.languageModel.generate({ messages: problem.messages, n: perProblem, maxTokens: 4096, temperature: 0.8, seed: 3 }))
    for (const completion of completions) out.push({ problem, texts: completion.text.split("\n\n") })
  }
  return out
}

describe("discriminative PRM", () => {
  it.each([0.75, 0.85, 0.95])("measured AUROC matches the configured %s within ±0.02 (biases off, ≥ 2,000 steps)", (target) => {
    const preset = Preset.override(Presets.calibrated, { verifier: { auroc: target, lengthBias: 0, digressionBias: 0, trapFooledRate: 0, errorVisibility: 1 } })
    const world = World.make(preset, { seed: 11 })
    const problems = World.problems(world, { count: 150, seed: 6 })
    const positives: Array<number> = []
    const negatives: Array<number> = []
    for (const { problem, texts } of sampleSteps(world, problems, 4)) {
      const truth = World.groundTruth(problem)!
      const states = Solution.readAll(truth, texts)
      const scores = run(world.processRewardModel.score(problem, Trajectory.fromSteps(texts.map((text) => Step.make({ text }))))).stepScores
      scores.forEach((score, index) => (states[index]!.derailed ? negatives : positives).push(score))
    }
    expect(positives.length + negatives.length).toBeGreaterThanOrEqual(2000)
    expect(negatives.length).toBeGreaterThanOrEqual(300)
    expect(Math.abs(auroc(positives, negatives) - target)).toBeLessThanOrEqual(0.02)
  })

  it("shows its biases: late error detection, lower scores later in long solutions, high scores on digressions, fooled traps score as right", () => {
    const world = World.make(Preset.override(Presets.calibrated, { verifier: { trapFooledRate: 1 } }), { seed: 12 })
    const problems = World.problems(world, { count: 120, seed: 7 })
    const early: Array<number> = []
    const late: Array<number> = []
    const digressions: Array<number> = []
    const computations: Array<number> = []
    const trapped: Array<number> = []
    const wrong: Array<number> = []
    const firstErrors: Array<number> = []
    for (const { problem, texts } of sampleSteps(world, problems, 4)) {
      const truth = World.groundTruth(problem)!
      const states = Solution.readAll(truth, texts)
      const scores = run(world.processRewardModel.score(problem, Trajectory.fromSteps(texts.map((text) => Step.make({ text }))))).stepScores
      scores.forEach((score, index) => {
        const state = states[index]!
        const previous = index === 0 ? 0 : states[index - 1]!.progress
        if (state.trapped) trapped.push(score)
        else if (state.derailed && (index === 0 || !states[index - 1]!.derailed)) firstErrors.push(score)
        else if (state.derailed) wrong.push(score)
        else if (state.progress === previous) digressions.push(score)
        else {
          computations.push(score)
          if (index === 0) early.push(score)
          if (index >= 7) late.push(score)
        }
      })
    }
    const mean = (values: ReadonlyArray<number>) => values.reduce((sum, value) => sum + value, 0) / values.length
    expect(late.length).toBeGreaterThan(100)
    expect(mean(late)).toBeLessThan(mean(early) - 0.03)
    expect(mean(digressions)).toBeGreaterThan(mean(computations))
    expect(trapped.length).toBeGreaterThan(50)
    expect(mean(trapped)).toBeGreaterThan(mean(wrong) + 0.1)
    expect(firstErrors.length).toBeGreaterThan(100)
    expect(mean(firstErrors)).toBeGreaterThan(mean(wrong) + 0.05)
    expect(mean(firstErrors)).toBeLessThan(mean(computations) - 0.05)
  })
})

describe("generative verification", () => {
  it("per-step verdicts are right with the configured accuracy ±0.03 (≥ 2,000 steps), and the decision follows the chain", () => {
    const accuracy = 0.85
    const preset = Preset.override(Presets.calibrated, { generativeVerifier: { accuracy, trapFooledRate: 0 } })
    const world = World.make(preset, { seed: 13 })
    const problems = World.problems(world, { count: 80, seed: 8 })
    let right = 0
    let total = 0
    let decisionsAgree = 0
    let decisions = 0
    for (const { problem, texts } of sampleSteps(world, problems, 4)) {
      const truth = World.groundTruth(problem)!
      const states = Solution.readAll(truth, texts)
      const messages = [{ role: "user" as const, content: Verification.prompt(problem.question, texts) }]
      const [chain] = run(
        world.languageModel.generate({ messages, prefix: Verification.chainOpening, stop: [Verification.decisionQuestion], n: 1, maxTokens: 4096, temperature: 0.4, seed: 1 })
      )
      expect(chain!.finishReason).toBe("stop")
      const verdicts = [...chain!.text.matchAll(/\\boxed\{(correct|incorrect)\}/g)].map((match) => match[1] === "correct")
      expect(verdicts).toHaveLength(texts.length)
      verdicts.forEach((verdict, index) => {
        total++
        if (verdict === !states[index]!.derailed) right++
      })
      if (decisions < 200) {
        const [decision] = run(
          world.languageModel.generate({
            messages,
            prefix: `${Verification.chainOpening}${chain!.text}\n${Verification.decisionQuestion} `,
            n: 1,
            maxTokens: 1,
            temperature: 0,
            topLogprobs: 5
          })
        )
        decisions++
        const allCorrect = verdicts.every((verdict) => verdict)
        if ((decision!.text === "yes") === allCorrect) decisionsAgree++
      }
    }
    expect(total).toBeGreaterThanOrEqual(2000)
    expect(Math.abs(right / total - accuracy)).toBeLessThanOrEqual(0.03)
    expect(decisionsAgree / decisions).toBeGreaterThan(0.9)
  })
})
