import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { Accountant, CostModel } from "@stepwise/accountant"
import type { SearchResult } from "@stepwise/core"
import { InvalidOptions, LanguageModel, ProcessRewardModel, SearchEvent, Step, Trajectory, VerifierError } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { BeamSearch, BestOfN, Combinators, Dvts, Expansion, ParticleFiltering, ParticleGibbs, Resampling, SelfConsistency, TreeRecorder } from "@stepwise/search"
import { Scripted } from "@stepwise/testing"
import * as Toy from "./fixtures/ToyWorld.js"

/** The reference implementations' semantics (search-and-learn, Puri et al., its_hub), one by one. */

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 25 : 12))

const runToy = (strategy: Strategy.Strategy, errorRate = 0.4) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({})
      return yield* strategy.run(Toy.problem).pipe(
        Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(errorRate)),
        Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
        Accountant.provide(accountant)
      )
    })
  )

const make = <A>(made: Effect.Effect<A, unknown>) => Effect.runPromise(made)

// The parent of every candidate, and which of them are siblings from one expansion.
const parentsOf = (result: SearchResult.SearchResult) => result.candidates.map((candidate) => result.tree.nodes[candidate.nodeId]?.parentId)

describe("DVTS vote pool (search-and-learn keeps all M siblings of each subtree's last expansion)", () => {
  property.prop([fc.integer({ min: 0, max: 10_000 })], { numRuns: runs })(
    "every finished sibling of a subtree's last expansion is a candidate; with votePool picks, one per subtree",
    async (seed) => {
      const siblings = await runToy(await make(Dvts.make({ beams: 6, width: 3, seed, stepTokens: 64, maxTokens: 256 })))
      const picks = await runToy(await make(Dvts.make({ beams: 6, width: 3, seed, votePool: "picks", stepTokens: 64, maxTokens: 256 })))
      // Same seed, same tree: only the vote pool differs.
      expect(siblings.tree).toEqual(picks.tree)
      expect(picks.candidates.length).toBeLessThanOrEqual(2)
      // Each subtree's last expansion: every finished child of that parent is a candidate.
      for (const parentId of new Set(parentsOf(siblings))) {
        const finishedChildren = siblings.tree.nodes.filter((node) => node.parentId === parentId && node.finished).map((node) => node.id)
        const candidates = siblings.candidates.filter((candidate) => siblings.tree.nodes[candidate.nodeId]?.parentId === parentId).map((candidate) => candidate.nodeId)
        expect(candidates).toEqual(finishedChildren)
      }
      expect(siblings.candidates.length).toBeGreaterThanOrEqual(picks.candidates.length)
    }
  )
})

describe("beam search (search-and-learn beam_search.py)", () => {
  it("picks among the first N completed beams by default, among the N best with sortCompleted", async () => {
    const first = await runToy(await make(BeamSearch.make({ beams: 4, width: 2, seed: 3, stepTokens: 64, maxTokens: 256, selection: "best" })))
    const sorted = await runToy(
      await make(BeamSearch.make({ beams: 4, width: 2, seed: 3, stepTokens: 64, maxTokens: 256, selection: "best", sortCompleted: true }))
    )
    expect(first.tree).toEqual(sorted.tree)
    const firstFour = first.candidates.slice(0, 4)
    const bestOfFirst = firstFour.reduce((best, candidate) => ((candidate.score ?? -1) > (best.score ?? -1) ? candidate : best))
    expect(first.bestScore).toBe(bestOfFirst.score)
    const bestOverall = Math.max(...sorted.candidates.map((candidate) => candidate.score ?? -1))
    expect(sorted.bestScore).toBe(bestOverall)
  })

  it("drops repeated texts among active beams before pruning with filterDuplicates", () => {
    const recorder = TreeRecorder.make()
    const add = (text: string) => Effect.runSync(TreeRecorder.add(recorder, 0, Step.make({ text }), { finished: false, usage: Step.make({ text }).usage }))
    const a = add("Step 1: x")
    const b = add("Step 1: y")
    const c = add("Step 1: x")
    expect(BeamSearch.distinct(recorder, [{ id: a, score: 0.2 }, { id: b, score: 0.5 }, { id: c, score: 0.9 }]).map((beam) => beam.id)).toEqual([a, b])
    expect(Trajectory.text(TreeRecorder.node(recorder, c).trajectory)).toBe("Step 1: x")
  })
})

describe("particle filtering annealing (the reference's linear schedule)", () => {
  it("goes from weightTemperature at step 0 to final at step steps − 1, and stays there", async () => {
    const settings = await make(Effect.succeed(ParticleFiltering.options.parse({ weightTemperature: 1, annealing: { final: 0.2, steps: 5 } })))
    expect([0, 1, 2, 3, 4, 5, 9].map((step) => Number(ParticleFiltering.temperatureAt(settings, step).toFixed(6)))).toEqual([1, 0.8, 0.6, 0.4, 0.2, 0.2, 0.2])
    expect(ParticleFiltering.temperatureAt(ParticleFiltering.options.parse({ annealing: { final: 0.3, steps: 1 } }), 0)).toBe(0.3)
    expect(ParticleFiltering.temperatureAt(ParticleFiltering.options.parse({ weightTemperature: 2 }), 7)).toBe(2)
  })

  it("uses step k at the k-th resampling, the first at step 1 (probabilistic-inference-scaling's particle_gibbs.py sets step = 1 after the first step)", async () => {
    const options = { particles: 4, seed: 2, stepTokens: 64, maxTokens: 256, weightTemperature: 1, annealing: { final: 0.25, steps: 4 } } as const
    const settings = ParticleFiltering.options.parse(options)
    const events: Array<{ readonly pool: ReadonlyArray<number>; readonly weights: ReadonlyArray<number> }> = []
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* ParticleFiltering.make(options)
        const accountant = yield* Accountant.make({})
        return yield* strategy.run(Toy.problem).pipe(
          SearchEvent.withListener((event) => void (ParticleFiltering.resampled.is(event) && events.push(event.detail))),
          Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.4)),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
          Accountant.provide(accountant)
        )
      })
    )
    expect(events.length).toBeGreaterThan(1)
    // With the default aggregation ("last") a particle's reward is its node's step score.
    events.forEach((event, index) => {
      const rewards = event.pool.map((id) => result.tree.nodes[id]!.score)
      const expected = Resampling.weights(rewards, ParticleFiltering.temperatureAt(settings, index + 1))
      event.weights.forEach((weight, position) => expect(weight).toBeCloseTo(expected[position]!, 12))
    })
  })
})

describe("Particle Gibbs (its_hub: the answer comes from the last sweep)", () => {
  property.prop([fc.integer({ min: 0, max: 10_000 })], { numRuns: runs })(
    "the chosen candidate is in the last sweep's final pool",
    async (seed) => {
      const pools: Array<ReadonlyArray<number>> = []
      const strategy = await make(ParticleGibbs.make({ particles: 3, sweeps: 3, seed, stepTokens: 64, maxTokens: 256 }))
      const result = await Effect.runPromise(
        Effect.gen(function* () {
          const accountant = yield* Accountant.make({})
          return yield* strategy.run(Toy.problem).pipe(
            Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.4)),
            Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
            Accountant.provide(accountant),
            SearchEvent.withListener((event) => {
              if (ParticleFiltering.swept.is(event)) pools.push(event.detail.pool)
            })
          )
        })
      )
      expect(pools).toHaveLength(3)
      expect(result.outcome._tag).toBe("Answered")
      const chosen = result.candidates.find((candidate) => candidate.trajectory === result.best)
      expect(pools.at(-1)).toContain(chosen?.nodeId)
    }
  )
})

describe("the answer of a trajectory (search-and-learn reads the completion's last \\boxed)", () => {
  // A model that closes with a line after its boxed answer, recorded by a rollout as a step of its own.
  const trailing = Scripted.languageModel(() => "## Step 1: add\n\n2 + 3 = 5, so the answer is $\\boxed{5}$.\n\nI hope this helps!")
  const flat = Scripted.verifier(() => 0.5)
  const answerWith = (made: Effect.Effect<Strategy.Strategy, unknown>) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* made
        const accountant = yield* Accountant.make({})
        return yield* strategy.run(Toy.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, trailing),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, flat),
          Accountant.provide(accountant)
        )
      })
    )

  it("is the completion's last box even when a line follows it: best-of-n and self-consistency answer 5", async () => {
    for (const made of [BestOfN.make({ n: 3 }), SelfConsistency.make({ n: 3 })]) {
      const result = await answerWith(made)
      expect(result.answer).toBe("5")
      expect(result.candidates.every((candidate) => candidate.answer === "5")).toBe(true)
    }
    // A rollout's pieces after its last boxed one stay with that piece, so the finished step holds the answer.
    expect(Expansion.rolloutSteps("a\n\nso $\\boxed{3}$\n\nthen $\\boxed{4}$\n\ndone\n\nbye")).toEqual(["a", "so $\\boxed{3}$", "then $\\boxed{4}$\n\ndone\n\nbye"])
    expect(Expansion.rolloutSteps("a\n\nb $\\boxed{1}$")).toEqual(["a", "b $\\boxed{1}$"])
    expect(Expansion.rolloutSteps("no box\n\nnone either")).toEqual(["no box", "none either"])
  })
})

describe("portfolio (splits what is left of the budget by the shares)", () => {
  it("gives each strategy a child budget of its share of what the caller's budget has left, and each spends within it", async () => {
    const seen: Array<{ readonly name: string; readonly limit: number | undefined; readonly spent: number }> = []
    const watched = (inner: Strategy.Strategy): Strategy.Strategy => ({
      ...inner,
      run: (problem) =>
        Effect.gen(function* () {
          const limit = (yield* Accountant.snapshot).limits.totalTokens
          const result = yield* inner.run(problem)
          seen.push({ name: inner.name, limit, spent: result.spend.totalTokens })
          return result
        })
    })
    await Effect.runPromise(
      Effect.gen(function* () {
        const members = [watched(yield* BestOfN.make({ n: 16, maxTokens: 256 })), watched(yield* SelfConsistency.make({ n: 32, maxTokens: 256 }))]
        const mix = yield* Combinators.portfolio(members, { shares: [1, 3], concurrency: 1 })
        const accountant = yield* Accountant.make({ totalTokens: 4000 })
        return yield* mix.run(Toy.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.4)),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
          Accountant.provide(accountant)
        )
      })
    )
    expect(seen.map(({ limit }) => limit)).toEqual([1000, 3000])
    for (const { limit, spent } of seen) expect(spent).toBeLessThanOrEqual(limit!)
  })
})

describe("fallback (runs strategies in order until one answers)", () => {
  it("passes a failing strategy's turn to the next (a verifier that is down), and fails with the last's error when all fail", async () => {
    const down = ProcessRewardModel.make({ info: { name: "down" }, score: () => Effect.fail(new VerifierError({ verifier: "down", detail: "503" })) })
    const run = (made: Effect.Effect<Strategy.Strategy, unknown>) =>
      Effect.runPromise(
        Effect.exit(
          Effect.gen(function* () {
            const strategy = yield* made
            const accountant = yield* Accountant.make({})
            return yield* strategy.run(Toy.problem).pipe(
              Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.4)),
              Effect.provideService(ProcessRewardModel.ProcessRewardModel, down),
              Accountant.provide(accountant)
            )
          })
        )
      )
    const needsVerifier = BestOfN.make({ n: 2, maxTokens: 256, selection: "best" })
    const sturdy = await run(Effect.flatMap(Effect.all([needsVerifier, SelfConsistency.make({ n: 3, maxTokens: 256 })]), (members) => Combinators.fallback(members)))
    expect(sturdy._tag).toBe("Success")
    if (sturdy._tag === "Success") expect(sturdy.value.answer).toBeDefined()
    const allDown = await run(Effect.flatMap(Effect.all([needsVerifier, needsVerifier]), (members) => Combinators.fallback(members)))
    expect(allDown._tag === "Failure" && String(allDown.cause)).toContain("VerifierError")
    // A strategy set up wrongly is no transient failure: it fails the fallback rather than being skipped unseen.
    const misconfigured: Strategy.Strategy = { name: "misconfigured", options: {}, run: () => Effect.fail(new InvalidOptions({ subject: "misconfigured", field: "x", detail: "is wrong" })) }
    const wrong = await run(Effect.flatMap(SelfConsistency.make({ n: 3, maxTokens: 256 }), (sturdier) => Combinators.fallback([misconfigured, sturdier])))
    expect(wrong._tag === "Failure" && String(wrong.cause)).toContain("InvalidOptions")
  })
})

describe("portfolio under a budget in dollars", () => {
  it("splits a fractional cost exactly (whole units only for counts)", async () => {
    const limits: Array<number | undefined> = []
    const watched = (inner: Strategy.Strategy): Strategy.Strategy => ({
      ...inner,
      run: (problem) => Effect.flatMap(Accountant.snapshot, (snapshot) => (limits.push(snapshot.limits.cost), inner.run(problem)))
    })
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const members = [watched(yield* SelfConsistency.make({ n: 2, maxTokens: 256 })), watched(yield* SelfConsistency.make({ n: 2, maxTokens: 256, seed: 1 }))]
        const mix = yield* Combinators.portfolio(members, { shares: [1, 1], concurrency: 1 })
        const accountant = yield* Accountant.make({ cost: 0.5 }, "root", { costModel: CostModel.price({ inputPerMillion: 100, outputPerMillion: 100 }) })
        return yield* mix.run(Toy.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.4)),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
          Accountant.provide(accountant)
        )
      })
    )
    expect(limits).toEqual([0.25, 0.25])
    expect(result.answer).toBeDefined()
  })
})
