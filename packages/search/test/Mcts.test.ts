import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Exit } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { SearchEvent } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, SearchEvent as SearchEvents } from "@stepwise/core"
import { Mcts } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"
import * as Toy from "./fixtures/ToyWorld.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 100 : 50))

const statistics = fc.record({
  visits: fc.integer({ min: 0, max: 200 }),
  valueSum: fc.double({ min: 0, max: 200, noNaN: true }),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
  prior: fc.double({ min: 0, max: 1, noNaN: true })
})

// The UCB scores written out by hand, from the formulas of the references (not from the module).
const uctByHand = (parentVisits: number, child: Mcts.ChildStatistics, w: number): number => {
  const q = child.visits === 0 ? child.score : child.valueSum / child.visits
  const n = child.visits === 0 ? 1 : child.visits
  const bigN = parentVisits === 0 ? 1 : parentVisits
  return q + w * Math.sqrt(Math.log(bigN) / n)
}

const puctByHand = (parentVisits: number, child: Mcts.ChildStatistics, cInit: number, cBase: number): number => {
  const q = child.visits === 0 ? child.score : child.valueSum / child.visits
  const c = Math.log((parentVisits + cBase + 1) / cBase) + cInit
  return q + (c * child.prior * Math.sqrt(parentVisits)) / (child.visits + 1)
}

// The first index holding the maximum.
const argmax = (values: ReadonlyArray<number>): number => values.reduce((best, value, index) => (value > (values[best] ?? -Infinity) ? index : best), 0)

describe("MCTS selection", () => {
  property.prop(
    [fc.array(statistics, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 400 }), fc.double({ min: 0, max: 4, noNaN: true })],
    { numRuns: runs }
  )("UCT picks the child with the largest hand-computed UCB (ties: the first)", (children, parentVisits, w) => {
    const picked = Mcts.selectChild(parentVisits, children, { rule: "uct", exploration: w, puctBase: 19652 })
    const scores = children.map((child) => uctByHand(parentVisits, child, w))
    expect(picked).toBe(argmax(scores))
    for (const score of scores) expect(scores[picked]).toBeGreaterThanOrEqual(score)
    children.forEach((child, index) =>
      expect(Mcts.selectionScore(parentVisits, child, { rule: "uct", exploration: w, puctBase: 19652 })).toBeCloseTo(scores[index]!, 10)
    )
  })

  property.prop(
    [
      fc.array(statistics, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 400 }),
      fc.double({ min: 0, max: 4, noNaN: true }),
      fc.double({ min: 1, max: 30_000, noNaN: true })
    ],
    { numRuns: runs }
  )("PUCT picks the child with the largest hand-computed score", (children, parentVisits, cInit, cBase) => {
    const picked = Mcts.selectChild(parentVisits, children, { rule: "puct", exploration: cInit, puctBase: cBase })
    const scores = children.map((child) => puctByHand(parentVisits, child, cInit, cBase))
    expect(picked).toBe(argmax(scores))
    children.forEach((child, index) =>
      expect(Mcts.selectionScore(parentVisits, child, { rule: "puct", exploration: cInit, puctBase: cBase })).toBeCloseTo(scores[index]!, 10)
    )
  })

  it("prefers an unvisited child by its verifier score, and exploration overturns a higher mean", () => {
    const policy = { rule: "uct", exploration: 1, puctBase: 19652 } as const
    // Unvisited children: the verifier's score decides.
    expect(Mcts.selectChild(1, [{ visits: 0, valueSum: 0, score: 0.3, prior: 0.5 }, { visits: 0, valueSum: 0, score: 0.8, prior: 0.5 }], policy)).toBe(1)
    // Mean 0.9 over 50 visits against mean 0.6 over 1 visit, parent visited 51 times: √(ln 51) ≈ 1.98 wins.
    expect(Mcts.selectChild(51, [{ visits: 50, valueSum: 45, score: 0, prior: 0.5 }, { visits: 1, valueSum: 0.6, score: 0, prior: 0.5 }], policy)).toBe(1)
    expect(Mcts.selectChild(3, [], policy)).toBe(-1)
  })

  it("makes PUCT priors from mean token logprobs, normalized over siblings", () => {
    const priors = Mcts.logprobPriors([
      { logprobs: [{ logprob: Math.log(0.5) }, { logprob: Math.log(0.5) }] },
      { logprobs: [{ logprob: Math.log(0.25) }] }
    ])
    expect(priors?.[0]).toBeCloseTo(2 / 3, 12)
    expect(priors?.[1]).toBeCloseTo(1 / 3, 12)
    expect(Mcts.logprobPriors([{ logprobs: [] }, {}])).toBeUndefined()
  })
})

const runToy = (options: Mcts.Options) =>
  Effect.gen(function* () {
    const strategy = yield* Mcts.make(options)
    const accountant = yield* Accountant.make({ totalTokens: 200_000 })
    const events: Array<SearchEvent.SearchEvent> = []
    const exit = yield* strategy.run(Toy.problem).pipe(
      Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel()),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
      Accountant.provide(accountant),
      SearchEvents.withListener((event) => events.push(event)),
      Effect.exit
    )
    return { exit, events }
  })

describe("MCTS runs", () => {
  it("backs up every simulation's value along its path: visits and value sums add up at the root", async () => {
    const { exit, events } = await Effect.runPromise(runToy({ simulations: 10, expansions: 3, seed: 4 }))
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    const backups = events.flatMap((event) => (event._tag === "strategy-event" && event.name === "value-backup" ? [event.detail as { path: ReadonlyArray<number>; value: number }] : []))
    expect(backups).toHaveLength(10)
    for (const backup of backups) {
      expect(backup.path[0]).toBe(0)
      expect(backup.value).toBeGreaterThanOrEqual(0)
      expect(backup.value).toBeLessThanOrEqual(1)
    }
    // Each path goes parent to child in the explored tree.
    const parents = new Map(exit.value.tree.nodes.map((node) => [node.id, node.parentId]))
    for (const backup of backups) for (let index = 1; index < backup.path.length; index++) expect(parents.get(backup.path[index]!)).toBe(backup.path[index - 1])
    expect(exit.value.outcome._tag).toBe("Answered")
  })

  it("fails at the first expansion with a typed error when PUCT asks for logprob priors and the backend gives none", async () => {
    const { exit } = await Effect.runPromise(runToy({ simulations: 4, rule: "puct", priors: "logprob" }))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      expect(String(exit.cause)).toContain("InvalidOptions")
      expect(String(exit.cause)).toContain("priors")
    }
  })

  it("runs PUCT with logprob priors on the simulator, which returns token logprobs", async () => {
    const world = World.make(Presets.calibrated, { seed: 3 })
    const [problem] = World.problems(world, { count: 1, seed: 5 })
    if (problem === undefined) throw new Error("no problem")
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* Mcts.make({ simulations: 16, rule: "puct", priors: "logprob", seed: 1, stepTokens: 128, maxTokens: 512 })
        const accountant = yield* Accountant.make({ totalTokens: 400_000 })
        return yield* strategy.run(problem).pipe(Effect.provide(World.layer(world)), Accountant.provide(accountant))
      })
    )
    expect(result.outcome._tag).toBe("Answered")
  })

  it("with rollouts, every simulation that reaches an unfinished leaf adds a rolled-out candidate", async () => {
    const bootstrap = await Effect.runPromise(runToy({ simulations: 6, expansions: 2, seed: 9 }))
    const rolled = await Effect.runPromise(runToy({ simulations: 6, expansions: 2, seed: 9, rolloutDepth: "end" }))
    if (!Exit.isSuccess(bootstrap.exit) || !Exit.isSuccess(rolled.exit)) throw new Error("failed")
    expect(rolled.exit.value.candidates.length).toBeGreaterThan(bootstrap.exit.value.candidates.length)
    expect(rolled.exit.value.spend.verifierCalls).toBeGreaterThan(bootstrap.exit.value.spend.verifierCalls)
  })
})
