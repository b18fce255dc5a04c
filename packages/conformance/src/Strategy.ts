import { Duration, Effect, Exit, Fiber } from "effect"
import fc from "fast-check"
import { Accountant } from "@stepwise/accountant"
import type { Budget, Snapshot } from "@stepwise/accountant"
import type { Problem, SearchResult } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, Resource, SearchEvent, SearchTree, Usage } from "@stepwise/core"
import * as TestCase from "./TestCase.js"
import * as ToyWorld from "./ToyWorld.js"

/**
 * The strategy conformance suite: what every search strategy must do, as named test cases — answer within a large
 * budget with start and end events and a consistent tree whose tokens are the accountant's; never pass a budget,
 * from tiny to large (a property over budgets and seeds), releasing every reservation; repeat itself for a seed;
 * never end a trajectory on a step cut by its token limit; end in a typed error when the policy or the verifier
 * always fails; give an explicit no-answer when no step fits; release every reservation when interrupted.
 * It searches the `ToyWorld`.
 *
 * @example
 * Vitest.register({ describe, it }, "my strategy", Strategy.cases({
 *   name: "mine", usesVerifier: true, make: (seed, limits) => Mine.make({ seed, ...limits })
 * }))
 */

/** What the suite needs of a strategy: a `run` over the contracts (the shape of `@stepwise/search`'s `Strategy`). */
export interface Searcher {
  readonly name: string
  readonly run: (
    problem: Problem.Problem
  ) => Effect.Effect<SearchResult.SearchResult, unknown, LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel | Accountant.Accountant>
}

/** The token limits a strategy is made with: one step's, and one whole solution's. */
export interface Limits {
  readonly stepTokens: number
  readonly maxTokens: number
}

/** The strategy under test. */
export interface Subject {
  readonly name: string
  /** Makes the strategy for a seed and token limits (the suite's default limits: 64 per step, 256 per solution). */
  readonly make: (seed: number, limits: Limits) => Effect.Effect<Searcher, unknown>
  /** True when the strategy calls the verifier (false: reward-free, e.g. self-consistency). */
  readonly usesVerifier: boolean
  /** Runs of each property (default 12). */
  readonly propertyRuns?: number
}

const defaultLimits: Limits = { stepTokens: 64, maxTokens: 256 }

interface World {
  readonly model: LanguageModel.Service
  readonly verifier: ProcessRewardModel.Service
}

const toy = (): World => ({ model: ToyWorld.languageModel(), verifier: ToyWorld.verifier(5) })

const runUnder = (strategy: Searcher, limits: Budget.Limits, world: World = toy()) =>
  Effect.gen(function* () {
    const accountant = yield* Accountant.make(limits)
    const exit = yield* strategy.run(ToyWorld.problem).pipe(
      Effect.provideService(LanguageModel.LanguageModel, world.model),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, world.verifier),
      Accountant.provide(accountant),
      Effect.exit
    )
    return { exit, snapshot: yield* accountant.snapshot }
  })

const fingerprint = (result: SearchResult.SearchResult) =>
  JSON.stringify({
    outcome: result.outcome,
    spend: result.spend,
    nodes: result.tree.nodes.map((node) => [node.parentId, node.text, node.score]),
    candidates: result.candidates.map((candidate) => [candidate.nodeId, candidate.answer, candidate.score])
  })

/** The suite's cases for a strategy. */
export const cases = (subject: Subject): ReadonlyArray<TestCase.TestCase> => {
  const suite = `strategy ${subject.name}`
  const check = (holds: boolean, detail: string) => TestCase.check(suite, holds, detail)
  const runs = subject.propertyRuns ?? 12
  const make = (seed: number, limits: Limits = defaultLimits) => subject.make(seed, limits)
  const succeeded = <A>(exit: Exit.Exit<A, unknown>): Effect.Effect<A, TestCase.ConformanceFailure> =>
    Exit.isSuccess(exit) ? Effect.succeed(exit.value) : Effect.fail(new TestCase.ConformanceFailure(suite, `failed: ${String(exit.cause)}`))
  const noneReserved = (snapshot: Snapshot.Snapshot) =>
    check(
      Resource.all.every((resource) => snapshot.reserved[resource] === 0),
      `reservations left open: ${JSON.stringify(snapshot.reserved)}`
    )
  const consistent = (result: SearchResult.SearchResult) =>
    Effect.gen(function* () {
      yield* check(SearchTree.isConsistent(result.tree), "the search tree is inconsistent")
      yield* check(
        Usage.totalTokens(result.usage) === result.spend.totalTokens,
        `the tree's usage (${Usage.totalTokens(result.usage)} tokens) is not the accountant's charge (${result.spend.totalTokens})`
      )
      for (const candidate of result.candidates)
        yield* check(result.tree.nodes[candidate.nodeId]?.finished === true, `candidate ${candidate.nodeId} is not a finished node`)
    })
  // Runs a fast-check property whose body is an Effect; a counterexample fails the case with fast-check's report.
  const property = <T extends ReadonlyArray<unknown>>(arbitraries: { [K in keyof T]: fc.Arbitrary<T[K]> }, body: (...values: T) => Effect.Effect<void, unknown>) =>
    Effect.tryPromise({
      try: () =>
        fc.assert(
          fc.asyncProperty(...(arbitraries as unknown as [fc.Arbitrary<unknown>]), (...values: Array<unknown>) =>
            Effect.runPromise(body(...(values as unknown as T)))
          ),
          { numRuns: runs }
        ),
      catch: (error) => new TestCase.ConformanceFailure(suite, error instanceof Error ? error.message : String(error))
    })

  return [
    TestCase.make(suite, "answers within a large budget, emits start and end events, and returns a consistent tree", () =>
      Effect.gen(function* () {
        const events: Array<SearchEvent.SearchEvent> = []
        const strategy = yield* make(1)
        const { exit, snapshot } = yield* runUnder(strategy, { totalTokens: 200_000, verifierCalls: 2_000 }).pipe(
          SearchEvent.withListener((event) => events.push(event))
        )
        const result = yield* succeeded(exit)
        yield* check(result.outcome._tag === "Answered" && result.answer !== undefined, `no answer: ${JSON.stringify(result.outcome)}`)
        yield* check(!result.budgetExhausted, "the budget was exhausted")
        yield* check(snapshot.spent.totalTokens === result.spend.totalTokens, "the result's spend is not the accountant's")
        yield* check(snapshot.spent.verifierCalls === result.spend.verifierCalls, "the result's verifier calls are not the accountant's")
        yield* check(
          subject.usesVerifier ? result.spend.verifierCalls > 0 : result.spend.verifierCalls === 0,
          `${result.spend.verifierCalls} verifier calls (usesVerifier: ${subject.usesVerifier})`
        )
        yield* consistent(result)
        const tags = events.map((event) => event._tag)
        yield* check(tags[0] === "search-start" && tags[tags.length - 1] === "search-end", `events start ${tags[0]} and end ${tags[tags.length - 1]}`)
        yield* check(tags.includes("step-generate") && tags.includes("node-expand"), "no step-generate or node-expand event")
        yield* check(tags.includes("step-score") === subject.usesVerifier, `step-score events: ${tags.includes("step-score")}`)
        yield* check(
          tags.filter((tag) => tag === "candidate-finish").length >= result.candidates.length,
          "fewer candidate-finish events than candidates"
        )
      })
    ),

    TestCase.make(suite, "never passes the budget, from tiny to large, and always returns a result", () =>
      property([fc.integer({ min: 0, max: 6_000 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1000 })], (totalTokens, verifierCalls, seed) =>
        Effect.gen(function* () {
          const strategy = yield* make(seed)
          const { exit, snapshot } = yield* runUnder(strategy, { totalTokens, verifierCalls })
          const result = yield* succeeded(exit)
          yield* check(snapshot.spent.totalTokens <= totalTokens, `spent ${snapshot.spent.totalTokens} of ${totalTokens} tokens`)
          yield* check(snapshot.spent.verifierCalls <= verifierCalls, `spent ${snapshot.spent.verifierCalls} of ${verifierCalls} verifier calls`)
          yield* noneReserved(snapshot)
          yield* check(
            result.outcome._tag === "NoAnswer" ? result.answer === undefined : result.answer === result.outcome.answer,
            "the answer is not the outcome's"
          )
          yield* consistent(result)
        })
      )
    ),

    TestCase.make(suite, "gives the same result for the same seed", () =>
      Effect.gen(function* () {
        const once = Effect.flatMap(Effect.suspend(() => make(7)), (strategy) => runUnder(strategy, { totalTokens: 2_500, verifierCalls: 30 }))
        const first = yield* succeeded((yield* once).exit)
        const second = yield* succeeded((yield* once).exit)
        yield* check(fingerprint(first) === fingerprint(second), "two runs with seed 7 differ")
        yield* check(first.tree.nodes.length > 1, "the search expanded nothing")
      })
    ),

    TestCase.make(suite, "never ends a trajectory on a step cut by its token limit, unless the step or token cap is hit", () =>
      property([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 40, max: 90 })], (seed, stepLength) =>
        Effect.gen(function* () {
          // Steps of 40–90 characters against a 32-token step limit: most come back cut and must be continued.
          const strategy = yield* make(seed, { stepTokens: 32, maxTokens: 1_000 })
          const { exit } = yield* runUnder(strategy, { totalTokens: 200_000 }, { model: ToyWorld.languageModel({ stepLength }), verifier: ToyWorld.verifier() })
          const result = yield* succeeded(exit)
          // The world pads every step to `stepLength` characters: a recorded step shorter than that was cut and not continued.
          for (const node of result.tree.nodes)
            if (node.parentId !== undefined) yield* check(node.text.length >= stepLength, `node ${node.id} is a cut step: ${JSON.stringify(node.text)}`)
          yield* check(result.outcome._tag === "Answered", `no answer: ${JSON.stringify(result.outcome)}`)
        })
      )
    ),

    TestCase.make(suite, "ends in a typed error when the model always fails", () =>
      Effect.gen(function* () {
        const strategy = yield* make(1)
        const { exit, snapshot } = yield* runUnder(strategy, { totalTokens: 50_000 }, { model: ToyWorld.failingModel(), verifier: ToyWorld.verifier() })
        yield* check(Exit.isFailure(exit) && String(exit.cause).includes("Unavailable"), "did not fail with the model's Unavailable")
        yield* noneReserved(snapshot)
      })
    ),

    TestCase.make(suite, "ends in a typed error when the verifier always fails (or answers without it)", () =>
      Effect.gen(function* () {
        const strategy = yield* make(1)
        const { exit } = yield* runUnder(strategy, { totalTokens: 50_000 }, { model: ToyWorld.languageModel(), verifier: ToyWorld.failingVerifier() })
        if (subject.usesVerifier) yield* check(Exit.isFailure(exit) && String(exit.cause).includes("VerifierError"), "did not fail with VerifierError")
        else yield* check(Exit.isSuccess(exit) && exit.value.outcome._tag === "Answered", "a reward-free strategy did not answer")
      })
    ),

    TestCase.make(suite, "gives an explicit no-answer when the budget is too small for one step", () =>
      Effect.gen(function* () {
        const strategy = yield* make(1)
        const { exit, snapshot } = yield* runUnder(strategy, { totalTokens: 20 })
        const result = yield* succeeded(exit)
        yield* check(
          result.outcome._tag === "NoAnswer" && result.outcome.reason === "budget-exhausted" && result.budgetExhausted,
          `outcome ${JSON.stringify(result.outcome)}`
        )
        yield* check(snapshot.spent.totalTokens === 0, `spent ${snapshot.spent.totalTokens} tokens on nothing`)
      })
    ),

    TestCase.make(suite, "releases every reservation when interrupted mid-search", () =>
      Effect.gen(function* () {
        const strategy = yield* make(3)
        const accountant = yield* Accountant.make({ totalTokens: 1_000_000 })
        const fiber = yield* strategy.run(ToyWorld.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, ToyWorld.languageModel({ delayMillis: 3 })),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, ToyWorld.verifier()),
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
        yield* check(during.reserved.totalTokens > 0, "no reservation was ever open")
        yield* noneReserved(yield* accountant.snapshot)
      })
    )
  ]
}
