import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Duration, Effect, Exit, Fiber } from "effect"
import type { Budget } from "@stepwise/accountant"
import { Accountant } from "@stepwise/accountant"
import type { SearchResult } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, Resource, SearchEvent, SearchTree, Usage } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { AStar, BeamSearch, BestOfN, Combinators, Dvts, ParticleFiltering, ParticleGibbs, SelfConsistency } from "@stepwise/search"
import { ComputeOptimal, Mcts, Rebase } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 25 : 12))
/** The token limits an entry is made with: a step's, and a whole solution's. */
interface Limits {
  readonly stepTokens: number
  readonly maxTokens: number
}

const defaultLimits: Limits = { stepTokens: 64, maxTokens: 256 }

/** The strategies under the conformance suite: adding one is one line. */
const entries: ReadonlyArray<{
  readonly label: string
  readonly make: (seed: number, limits?: Limits) => Effect.Effect<Strategy.Strategy, unknown>
  readonly usesVerifier: boolean
}> = [
  { label: "BestOfN", usesVerifier: true, make: (seed, { maxTokens } = defaultLimits) => BestOfN.make({ n: 6, batch: 4, seed, maxTokens }) },
  { label: "SelfConsistency", usesVerifier: false, make: (seed, { maxTokens } = defaultLimits) => SelfConsistency.make({ n: 6, batch: 4, seed, maxTokens }) },
  { label: "BeamSearch", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => BeamSearch.make({ beams: 4, width: 2, seed, stepTokens, maxTokens }) },
  { label: "BeamSearch+lookahead", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => BeamSearch.make({ beams: 4, width: 2, lookahead: 1, seed, stepTokens, maxTokens }) },
  { label: "Dvts", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Dvts.make({ beams: 4, width: 2, seed, stepTokens, maxTokens }) },
  { label: "ParticleFiltering", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => ParticleFiltering.make({ particles: 4, seed, stepTokens, maxTokens }) },
  {
    label: "ParticleFiltering systematic",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) => ParticleFiltering.make({ particles: 4, resampling: "systematic", keepFinished: false, annealing: { final: 0.5, steps: 3 }, seed, stepTokens, maxTokens })
  },
  { label: "ParticleGibbs", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => ParticleGibbs.make({ particles: 3, sweeps: 2, seed, stepTokens, maxTokens }) },
  { label: "AStar", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => AStar.make({ expansions: 3, seed, stepTokens, maxTokens }) },
  { label: "Mcts", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Mcts.make({ simulations: 12, expansions: 3, seed, stepTokens, maxTokens }) },
  { label: "Mcts puct rollout", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Mcts.make({ simulations: 8, expansions: 2, rule: "puct", rolloutDepth: "end", selection: "weighted", seed, stepTokens, maxTokens }) },
  { label: "Mcts rollout 2 steps", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Mcts.make({ simulations: 6, expansions: 2, rolloutDepth: 2, seed, stepTokens, maxTokens }) },
  { label: "Rebase", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => Rebase.make({ width: 6, seed, stepTokens, maxTokens }) },
  {
    label: "ComputeOptimal",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) =>
      ComputeOptimal.make({
        probeSamples: 2,
        seed,
        maxTokens,
        policy: {
          table: [
            {
              budget: 1000,
              bins: [
                { upTo: 0.5, choice: { kind: "best-of-n", options: { n: 2, maxTokens } } },
                { upTo: 1, choice: { kind: "rebase", options: { width: 3, stepTokens, maxTokens } } }
              ]
            }
          ]
        }
      })
  },
  { label: "AStar m=2 logScore", usesVerifier: true, make: (seed, { stepTokens, maxTokens } = defaultLimits) => AStar.make({ expansions: 3, goals: 2, pathCost: "logScore", selection: "weighted", seed, stepTokens, maxTokens }) },
  {
    label: "withBudget",
    usesVerifier: true,
    make: (seed, { maxTokens } = defaultLimits) => Effect.flatMap(BestOfN.make({ n: 4, seed, maxTokens }), (inner) => Combinators.withBudget(inner, { totalTokens: 3000 }))
  },
  {
    label: "fallback",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) =>
      Effect.flatMap(
        Effect.all([AStar.make({ expansions: 2, seed, maxSteps: 2, stepTokens, maxTokens }), BestOfN.make({ n: 3, seed, maxTokens })]),
        (inner) => Combinators.fallback(inner)
      )
  },
  {
    label: "portfolio",
    usesVerifier: true,
    make: (seed, { stepTokens, maxTokens } = defaultLimits) =>
      Effect.flatMap(
        Effect.all([BestOfN.make({ n: 3, seed, maxTokens }), ParticleFiltering.make({ particles: 3, seed, stepTokens, maxTokens })]),
        (inner) => Combinators.portfolio(inner, { shares: [1, 2] })
      )
  }
]

interface Backends {
  readonly model: LanguageModel.Service
  readonly verifier: ProcessRewardModel.Service
}

const toy = (): Backends => ({ model: Toy.languageModel(), verifier: Toy.verifier(5) })

const runUnder = (
  strategy: Strategy.Strategy,
  limits: Budget.Limits,
  backends: Backends = toy()
) =>
  Effect.gen(function* () {
    const accountant = yield* Accountant.make(limits)
    const exit = yield* strategy.run(Toy.problem).pipe(
      Effect.provideService(LanguageModel.LanguageModel, backends.model),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, backends.verifier),
      Accountant.provide(accountant),
      Effect.exit
    )
    return { exit, snapshot: yield* accountant.snapshot }
  })

const checkTree = (result: SearchResult.SearchResult) => {
  expect(SearchTree.isConsistent(result.tree)).toBe(true)
  // Policy tokens in the tree are exactly what the accountant charged.
  expect(Usage.totalTokens(result.usage)).toBe(result.spend.totalTokens)
  for (const candidate of result.candidates) expect(result.tree.nodes[candidate.nodeId]?.finished).toBe(true)
}

const fingerprint = (result: SearchResult.SearchResult) => ({
  outcome: result.outcome,
  spend: result.spend,
  nodes: result.tree.nodes.map((node) => [node.parentId, node.text, node.score]),
  candidates: result.candidates.map((candidate) => [candidate.nodeId, candidate.answer, candidate.score])
})

for (const entry of entries) {
  describe(`conformance: ${entry.label}`, () => {
    it("answers within a large budget, emits start and end events, and returns a consistent tree", async () => {
      const events: Array<SearchEvent.SearchEvent> = []
      const { exit, snapshot } = await Effect.runPromise(
        Effect.flatMap(entry.make(1), (strategy) =>
          runUnder(strategy, { totalTokens: 200_000, verifierCalls: 2_000 }).pipe(SearchEvent.withListener((event) => events.push(event)))
        )
      )
      if (!Exit.isSuccess(exit)) throw new Error(`failed: ${String(exit.cause)}`)
      const result = exit.value
      expect(result.outcome._tag).toBe("Answered")
      expect(result.answer).toBeDefined()
      expect(result.budgetExhausted).toBe(false)
      expect(snapshot.spent.totalTokens).toBe(result.spend.totalTokens)
      expect(snapshot.spent.verifierCalls).toBe(result.spend.verifierCalls)
      if (entry.usesVerifier) expect(result.spend.verifierCalls).toBeGreaterThan(0)
      else expect(result.spend.verifierCalls).toBe(0)
      checkTree(result)
      expect(events[0]?._tag).toBe("search-start")
      expect(events[events.length - 1]?._tag).toBe("search-end")
      expect(events.some((event) => event._tag === "step-generate")).toBe(true)
      expect(events.some((event) => event._tag === "node-expand")).toBe(true)
      expect(events.some((event) => event._tag === "step-score")).toBe(entry.usesVerifier)
      expect(events.filter((event) => event._tag === "candidate-finish").length).toBeGreaterThanOrEqual(result.candidates.length)
    })

    property.prop(
      [fc.integer({ min: 0, max: 6_000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1000 })],
      { numRuns: runs }
    )("never passes the budget, from tiny to large, and always returns a result", async (totalTokens, verifierCalls, seed) => {
      const { exit, snapshot } = await Effect.runPromise(
        Effect.flatMap(entry.make(seed), (strategy) => runUnder(strategy, { totalTokens, verifierCalls }))
      )
      if (!Exit.isSuccess(exit)) throw new Error(`failed: ${String(exit.cause)}`)
      expect(snapshot.spent.totalTokens).toBeLessThanOrEqual(totalTokens)
      expect(snapshot.spent.verifierCalls).toBeLessThanOrEqual(verifierCalls)
      for (const resource of Resource.all) expect(snapshot.reserved[resource]).toBe(0)
      const result = exit.value
      if (result.outcome._tag === "NoAnswer") expect(result.answer).toBeUndefined()
      else expect(result.answer).toBe(result.outcome.answer)
      checkTree(result)
    })

    it("gives the same result for the same seed", async () => {
      const once = () =>
        Effect.runPromise(
          Effect.flatMap(entry.make(7), (strategy) => runUnder(strategy, { totalTokens: 2_500, verifierCalls: 30 }))
        )
      const [first, second] = [await once(), await once()]
      if (!Exit.isSuccess(first.exit) || !Exit.isSuccess(second.exit)) throw new Error("failed")
      expect(fingerprint(second.exit.value)).toEqual(fingerprint(first.exit.value))
      expect(first.exit.value.tree.nodes.length).toBeGreaterThan(1)
    })

    property.prop([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 40, max: 90 })], { numRuns: runs })(
      "never ends a trajectory on a step cut by its token limit, unless the step or token cap is hit",
      async (seed, stepLength) => {
        // Steps of 40–90 characters against a 32-token step limit: most steps come back cut and must be continued.
        const limits = { stepTokens: 32, maxTokens: 1_000 }
        const { exit } = await Effect.runPromise(
          Effect.flatMap(entry.make(seed, limits), (strategy) =>
            runUnder(strategy, { totalTokens: 200_000 }, { model: Toy.languageModel(0.3, stepLength), verifier: Toy.verifier() })
          )
        )
        if (!Exit.isSuccess(exit)) throw new Error(`failed: ${String(exit.cause)}`)
        // Every recorded step is whole: the toy world's steps are padded to `stepLength` characters, so a step
        // recorded shorter than that was cut by the 32-token limit and not continued.
        for (const node of exit.value.tree.nodes) if (node.parentId !== undefined) expect(node.text.length).toBeGreaterThanOrEqual(stepLength)
        expect(exit.value.outcome._tag).toBe("Answered")
      }
    )

    it("ends in a typed error when the model always fails", async () => {
      const { exit, snapshot } = await Effect.runPromise(
        Effect.flatMap(entry.make(1), (strategy) =>
          runUnder(strategy, { totalTokens: 50_000 }, { model: Toy.failingModel(), verifier: Toy.verifier() })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("Unavailable")
      for (const resource of Resource.all) expect(snapshot.reserved[resource]).toBe(0)
    })

    it("ends in a typed error when the verifier always fails (or answers without it)", async () => {
      const { exit } = await Effect.runPromise(
        Effect.flatMap(entry.make(1), (strategy) =>
          runUnder(strategy, { totalTokens: 50_000 }, { model: Toy.languageModel(), verifier: Toy.failingVerifier() })
        )
      )
      if (entry.usesVerifier) {
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("VerifierError")
      } else {
        expect(Exit.isSuccess(exit) && exit.value.outcome._tag).toBe("Answered")
      }
    })

    it("gives an explicit no-answer when the budget is too small for one step", async () => {
      const { exit, snapshot } = await Effect.runPromise(
        Effect.flatMap(entry.make(1), (strategy) => runUnder(strategy, { totalTokens: 20 }))
      )
      if (!Exit.isSuccess(exit)) throw new Error(`failed: ${String(exit.cause)}`)
      expect(exit.value.outcome).toMatchObject({ _tag: "NoAnswer", reason: "budget-exhausted" })
      expect(exit.value.budgetExhausted).toBe(true)
      expect(snapshot.spent.totalTokens).toBe(0)
    })

    it("releases every reservation when interrupted mid-search", async () => {
      const snapshot = await Effect.runPromise(
        Effect.gen(function* () {
          const strategy = yield* entry.make(3)
          const accountant = yield* Accountant.make({ totalTokens: 1_000_000 })
          const fiber = yield* strategy.run(Toy.problem).pipe(
            Effect.provideService(LanguageModel.LanguageModel, Toy.slowModel()),
            Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
            Accountant.provide(accountant),
            Effect.forkChild
          )
          // Interrupt while a reservation is open: wait (a bounded number of ticks) until one is.
          let during = yield* accountant.snapshot
          for (let tick = 0; tick < 5_000 && during.reserved.totalTokens === 0; tick++) {
            yield* Effect.sleep(Duration.millis(1))
            during = yield* accountant.snapshot
          }
          yield* Fiber.interrupt(fiber)
          const after = yield* accountant.snapshot
          return { during, after }
        })
      )
      expect(snapshot.during.reserved.totalTokens).toBeGreaterThan(0)
      for (const resource of Resource.all) expect(snapshot.after.reserved[resource]).toBe(0)
    })
  })
}
