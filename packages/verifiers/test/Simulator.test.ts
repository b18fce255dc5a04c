import { describe, expect } from "vitest"
import { Effect } from "effect"
import { Trajectory } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { Presets, World } from "@stepwise/simulator"
import { itEffect } from "@stepwise/testing"
import { Ensemble, ExactChecker, Judge, PrefixCache, ThinkPrm, TokenLogitPrm } from "@stepwise/verifiers"
import * as Samples from "./support/Samples.js"
import * as Separation from "./support/Separation.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 12, seed: 3 })
const samples = Effect.runSync(Effect.orDie(Samples.solutions(world.languageModel, problems, 4)))
const labelled = samples.map((sample) => ({ ...sample, correct: World.isCorrect(world, sample.problem, sample.answer) }))

describe("verifiers against the simulated world (in process)", () => {
  itEffect("the sample has both right and wrong solutions", () =>
    Effect.sync(() => {
      expect(labelled.some((sample) => sample.correct)).toBe(true)
      expect(labelled.some((sample) => !sample.correct)).toBe(true)
    })
  )

  itEffect("ThinkPRM double-check rounds parse, each round opened by the next of the reference's triggers", () =>
    Effect.gen(function* () {
      const verifier = yield* ThinkPrm.make({ languageModel: world.languageModel, rounds: 3 })
      const sample = labelled[0]!
      const verification = yield* verifier.verify(sample.problem, sample.trajectory)
      expect(verification.chains[0]!.text).toContain("Let me double check")
      expect(verification.chains[0]!.text).toContain("Let's verify again")
      expect(verification.chains[0]!.parse._tag).toBe("Parsed")
      expect(verification.chains[0]!.decisionSource).toBe("logprobs")
    })
  )

  itEffect("ThinkPRM with the think block in the prefix: the world reads the chain after it and judges every step", () =>
    Effect.gen(function* () {
      const verifier = yield* ThinkPrm.make({ languageModel: world.languageModel, thinkBlock: "in-prefix", scoring: "per-step" })
      const sample = labelled[0]!
      const verification = yield* verifier.verify(sample.problem, sample.trajectory)
      const chain = verification.chains[0]!
      expect(chain.parse._tag === "Parsed" && chain.parse.missing).toEqual([])
      expect(chain.decisionSource).toBe("logprobs")
    })
  )

  itEffect("the exact checker flags exactly the world's arithmetic slips", () =>
    Effect.gen(function* () {
      // An independent oracle for the world's "a op b = c" steps, in integers.
      const slipped = (text: string): boolean =>
        [...text.matchAll(/(-?\d+) ([-+*/]) (-?\d+) = (-?\d+)/g)].some(([, a, op, b, c]) => {
          const [x, y, z] = [Number(a), Number(b), Number(c)]
          const value = op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : x / y
          return value !== z
        })
      const checker = yield* ExactChecker.arithmetic()
      let slips = 0
      for (const sample of labelled) {
        const scoring = yield* checker.score(sample.problem, sample.trajectory)
        const expected = Trajectory.stepTexts(sample.trajectory).map((text) => (slipped(text) ? 0 : 1))
        expect(scoring.stepScores).toEqual(expected)
        slips += expected.filter((score) => score === 0).length
      }
      expect(slips).toBeGreaterThan(0)
    })
  )

  itEffect("the cache over the world's PRM: prefixes are hits, scores equal the PRM's own, one call per miss", () =>
    Effect.gen(function* () {
      const cache = yield* PrefixCache.make(world.processRewardModel)
      const accountant = yield* Accountant.make({})
      const subset = labelled.slice(0, 8)
      const prefixes = subset.flatMap((sample) => Array.from({ length: sample.trajectory.length }, (_, index) => Trajectory.prefix(sample.trajectory, index + 1)))
      yield* Accountant.provide(accountant)(Effect.forEach(subset, (sample) => cache.score(sample.problem, sample.trajectory), { concurrency: "unbounded" }))
      const fromCache = yield* Accountant.provide(accountant)(
        Effect.forEach(subset, (sample) => Effect.forEach(Array.from({ length: sample.trajectory.length }, (_, index) => index + 1), (length) => cache.score(sample.problem, Trajectory.prefix(sample.trajectory, length))))
      )
      const direct = yield* Effect.forEach(subset, (sample) => Effect.forEach(Array.from({ length: sample.trajectory.length }, (_, index) => index + 1), (length) => world.processRewardModel.score(sample.problem, Trajectory.prefix(sample.trajectory, length))))
      expect(fromCache.flat().map((scoring) => scoring.stepScores)).toEqual(direct.flat().map((scoring) => scoring.stepScores))
      const distinct = new Set(subset.map((sample) => `${sample.problem.id}/${sample.trajectory.key}`)).size
      const stats = yield* cache.stats
      expect(stats.misses).toBe(distinct)
      expect(stats.hits + stats.shared).toBe(subset.length - distinct + prefixes.length)
      expect((yield* accountant.snapshot).spent.verifierCalls).toBe(distinct)
    })
  )

  itEffect("every verifier call over the world shows up in the accountant exactly once", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({})
      const thinkPrm = yield* ThinkPrm.make({ languageModel: world.languageModel, chains: 2 })
      const judge = yield* Judge.make({ languageModel: world.languageModel, granularity: "solution" })
      const tokenLogit = yield* TokenLogitPrm.make({ languageModel: world.languageModel })
      const exact = yield* ExactChecker.arithmetic()
      const ensemble = yield* Ensemble.make({ members: [{ verifier: world.processRewardModel }, { verifier: exact }] })
      const verifiers = [thinkPrm, judge, tokenLogit, exact, world.processRewardModel, ensemble]
      const subset = labelled.slice(0, 3)
      let reportedTokens = 0
      for (const verifier of verifiers)
        for (const sample of subset) {
          const scoring = yield* Accountant.provide(accountant)(verifier.score(sample.problem, sample.trajectory))
          expect(scoring.stepScores).toHaveLength(sample.trajectory.length)
          for (const score of scoring.stepScores) expect(score >= 0 && score <= 1).toBe(true)
          reportedTokens += (scoring.usage.inputTokens ?? 0) + (scoring.usage.outputTokens ?? 0)
        }
      const snapshot = yield* accountant.snapshot
      // The ensemble is two calls (its members); every other verifier one call per score.
      expect(snapshot.spent.verifierCalls).toBe(subset.length * (verifiers.length + 1))
      expect(snapshot.spent.verifierTokens).toBe(reportedTokens)
      expect(snapshot.spent.totalTokens).toBe(0)
    })
  )
})

// Each model-based verifier, run for real over the world's language model (which answers ThinkPRM chains, judge
// prompts and +/- verdicts from its ground truth), must separate right steps from wrong ones better than chance:
// the AUROC of right against wrong steps at least 3 standard errors above 0.5 (Hanley–McNeil). The AUROCs measured
// are in the README (`npx tsx packages/verifiers/bench/separation.ts`); no threshold here is set from them.
describe("model-based verifiers over the world's language model separate right steps from wrong ones", () => {
  const steps = Separation.label(samples)
  const chance = 3

  itEffect("the sample has both right and wrong steps", () =>
    Effect.sync(() => {
      expect(steps.some((sample) => sample.rightSoFar.includes(true))).toBe(true)
      expect(steps.some((sample) => sample.rightSoFar.includes(false))).toBe(true)
    })
  )

  itEffect("TokenLogitPrm, both styles: P(+) at the reference's position, the same reading in either layout", () =>
    Effect.gen(function* () {
      const rlhflow = yield* TokenLogitPrm.make({ languageModel: world.languageModel })
      const mathShepherd = yield* TokenLogitPrm.make({ languageModel: world.languageModel, style: "math-shepherd" })
      const first = yield* Separation.split(rlhflow, steps, "causal")
      const second = yield* Separation.split(mathShepherd, steps, "causal")
      expect(Separation.separation(first).z).toBeGreaterThan(chance)
      expect(second.right).toEqual(first.right)
      expect(second.wrong).toEqual(first.wrong)
    })
  )

  itEffect("Judge, step by step (yes/no)", () =>
    Effect.gen(function* () {
      const judge = yield* Judge.make({ languageModel: world.languageModel })
      expect(Separation.separation(yield* Separation.split(judge, steps, "causal")).z).toBeGreaterThan(chance)
    })
  )

  itEffect("ThinkPRM with two rounds, one P(yes) per prefix (the default scoring)", () =>
    Effect.gen(function* () {
      const thinkPrm = yield* ThinkPrm.make({ languageModel: world.languageModel, rounds: 2, seed: 1 })
      expect(Separation.separation(yield* Separation.split(thinkPrm, steps, "prefix")).z).toBeGreaterThan(chance)
    })
  )
})
