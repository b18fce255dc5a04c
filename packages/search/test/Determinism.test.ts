import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Duration, Effect, Layer, Result } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import type { Problem } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { BestOfN, SelfConsistency } from "@stepwise/search"
import { Presets, Recognition, RewardModel, Router, Tokens, World } from "@stepwise/simulator"
import { contenders } from "../bench/strategies.js"

// Tight budgets over a deterministic backend (the simulator): whatever the latency of each call, a seeded search
// gives the same answer, the same tree and the same spend. The latency is injected around the meter, before a call
// is admitted and inside the call, so lanes reach the meter and finish in a different order on every latency seed.
const world = World.make(Presets.medium, { seed: 7 })
const problems = World.problems(world, { count: 3, seed: 1 })
// Budgets well under what the strategies are sized for (1,600 output tokens): clamped and refused calls are common.
const limits = { outputTokens: 260, verifierCalls: 10 }

/** A seeded stream of delays of 0–`most` ms (mulberry32); the order they are drawn in depends on timing. */
const delays = (seed: number, most: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)
    return Duration.millis(Math.floor((((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296) * (most + 1)))
  }
}

/**
 * The world's policy and PRM as backends that answer the same as the world's, each call after a random delay
 * (inside the metered call, so calls finish in a different order on every latency seed).
 */
const jittered = (seed: number, most: number): Layer.Layer<LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel> => {
  const delay = delays(seed, most)
  const languageModel = LanguageModel.make({
    info: { name: "jittered simulator", model: World.modelName },
    countInputTokens: (request) => Tokens.prompt(request.messages, request.prefix),
    generate: (request) => Effect.andThen(Effect.sleep(delay()), Effect.sync(() => Router.complete(world.environment, request)))
  })
  const processRewardModel = ProcessRewardModel.make({
    info: { name: "jittered simulator-prm" },
    maxTokens: (target, trajectory) => RewardModel.tokensOf(target.question, Trajectory.stepTexts(trajectory)),
    score: (target, trajectory) =>
      Effect.andThen(
        Effect.sleep(delay()),
        Effect.sync(() => {
          const known = Result.getOrThrow(Recognition.understand(target.question))
          const texts = Trajectory.stepTexts(trajectory)
          return {
            stepScores: RewardModel.scores(world.environment, known, texts),
            usage: Usage.make({ inputTokens: RewardModel.tokensOf(target.question, texts), outputTokens: 0, cachedInputTokens: 0 })
          }
        })
      )
  })
  return Layer.merge(Layer.succeed(LanguageModel.LanguageModel, languageModel), Layer.succeed(ProcessRewardModel.ProcessRewardModel, processRewardModel))
}

/**
 * An accountant whose meter (and its children's) waits a random delay before each call reaches the meter, so
 * lanes arrive at the meter in a different order on every latency seed.
 */
const late = (accountant: Accountant.Service, delay: () => Duration.Duration): Accountant.Service => ({
  ...accountant,
  meter: { metered: (claim, call, usageOf) => Effect.andThen(Effect.sleep(delay()), accountant.meter.metered(claim, call, usageOf)) },
  child: (limits, label) => Effect.map(accountant.child(limits, label), (child) => late(child, delay))
})

/** What a run must reproduce: the answer, every node of the tree, and the spend. */
const outcomeOf = (strategy: Strategy.Strategy, problem: Problem.Problem, latency: { readonly seed: number; readonly most: number } | undefined) =>
  Effect.gen(function* () {
    const accountant = yield* Accountant.make(limits)
    const backends = latency === undefined ? World.layer(world) : jittered(latency.seed, latency.most)
    const metering = latency === undefined ? accountant : late(accountant, delays(latency.seed + 1, latency.most))
    const result = yield* strategy.run(problem).pipe(Effect.provide(backends), Accountant.provide(metering))
    const snapshot = yield* accountant.snapshot
    for (const resource of ["outputTokens", "verifierCalls"] as const) expect(snapshot.spent[resource]).toBeLessThanOrEqual(limits[resource])
    expect(snapshot.reserved.outputTokens).toBe(0)
    expect(snapshot.held.outputTokens).toBe(0)
    return {
      answer: result.answer,
      nodes: result.tree.nodes.map((node) => `${node.id}<${node.parentId ?? "-"}:${node.text}:${node.score ?? ""}:${node.usage.outputTokens ?? ""}`),
      spent: snapshot.spent
    }
  })

// The step-level searches as the simulator benchmark sizes them, and sampling strategies with one sample a request
// (so a round has lanes to order).
const strategies = await Effect.runPromise(
  Effect.all([
    SelfConsistency.make({ n: 12, batch: 1, seed: 3, maxTokens: 64 }),
    BestOfN.make({ n: 12, batch: 1, selection: "weighted", seed: 3, maxTokens: 64 }),
    ...(await Effect.runPromise(contenders(1600, 3))).slice(2).map((strategy) => Effect.succeed(strategy))
  ])
)
const reference = await Effect.runPromise(
  Effect.forEach(strategies, (strategy) => Effect.forEach(problems, (problem) => outcomeOf(strategy, problem, undefined)))
)

describe("a seeded search under a tight budget", () => {
  it("runs out of budget in the reference runs (so the property below is about tight budgets)", () => {
    const outcomes = reference.flat()
    const tight = outcomes.filter((outcome) => outcome.spent.outputTokens >= 0.9 * limits.outputTokens)
    expect(tight.length).toBeGreaterThan(outcomes.length / 2)
  })

  property.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(1, 3)], { numRuns: 4 })(
    "gives the same answer, tree and spend whatever each call's latency",
    async (seed, most) => {
      const outcomes = await Effect.runPromise(
        Effect.forEach(
          strategies,
          (strategy) => Effect.forEach(problems, (problem) => outcomeOf(strategy, problem, { seed, most }), { concurrency: "unbounded" }),
          { concurrency: "unbounded" }
        )
      )
      strategies.forEach((strategy, index) => expect(outcomes[index], strategy.name).toEqual(reference[index]))
    },
    120_000
  )
})
