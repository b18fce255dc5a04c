import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { SearchResult } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, Trajectory } from "@stepwise/core"
import { ComputeOptimal } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

const bin = (upTo: number, kind: string, options: Readonly<Record<string, unknown>> = {}) => ({ upTo, choice: { kind, options } })

const candidate = (answer: string | undefined, score: number | undefined): SearchResult.Candidate => ({
  nodeId: 0,
  trajectory: Trajectory.empty,
  answer,
  score
})

describe("ComputeOptimal's policy lookup", () => {
  const policy = {
    table: [
      { budget: 5000, bins: [bin(0.5, "a-star")] },
      { budget: 1000, bins: [bin(0.3, "best-of-n"), bin(1, "rebase")] }
    ]
  }

  it("uses the largest row budget not above the budget, the smallest below all, the largest when unset", () => {
    expect(ComputeOptimal.rowFor(policy, 1000)?.budget).toBe(1000)
    expect(ComputeOptimal.rowFor(policy, 4999)?.budget).toBe(1000)
    expect(ComputeOptimal.rowFor(policy, 9000)?.budget).toBe(5000)
    expect(ComputeOptimal.rowFor(policy, 10)?.budget).toBe(1000)
    expect(ComputeOptimal.rowFor(policy, undefined)?.budget).toBe(5000)
    expect(ComputeOptimal.rowFor({ table: [] }, 1000)).toBeUndefined()
  })

  it("puts a difficulty in the first bin whose edge is not below it, else the last", () => {
    const bins = [bin(1, "rebase"), bin(0.3, "best-of-n"), bin(0.6, "mcts")]
    expect(ComputeOptimal.binFor(bins, 0)).toBe(1)
    expect(ComputeOptimal.binFor(bins, 0.3)).toBe(1)
    expect(ComputeOptimal.binFor(bins, 0.31)).toBe(2)
    expect(ComputeOptimal.binFor(bins, 0.9)).toBe(0)
    expect(ComputeOptimal.binFor([bin(0.5, "mcts")], 0.9)).toBe(0)
  })

  it("estimates difficulty from the verifier's mean score or the answers' agreement", () => {
    const probed = [candidate("4", 0.9), candidate("4", 0.7), candidate("5", 0.2), candidate(undefined, undefined)]
    expect(ComputeOptimal.difficultyOf(probed, "verifier")).toBeCloseTo(1 - 0.6, 12)
    expect(ComputeOptimal.difficultyOf(probed, "agreement")).toBeCloseTo(1 - 2 / 4, 12)
    expect(ComputeOptimal.difficultyOf([], "verifier")).toBe(1)
    expect(ComputeOptimal.difficultyOf([candidate("4", undefined)], "verifier")).toBe(1)
  })
})

const runToy = (options: ComputeOptimal.Options) =>
  Effect.gen(function* () {
    const strategy = yield* ComputeOptimal.make(options)
    const accountant = yield* Accountant.make({ totalTokens: 100_000 })
    return yield* strategy.run(Toy.problem).pipe(
      Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel()),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
      Accountant.provide(accountant),
      Effect.exit
    )
  })

describe("ComputeOptimal runs", () => {
  it("answers with the probe alone when the policy has no row", async () => {
    const exit = await Effect.runPromise(runToy({ probeSamples: 3, seed: 1 }))
    if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
    expect(exit.value.candidates).toHaveLength(3)
    expect(exit.value.outcome._tag).toBe("Answered")
  })

  it("fails with InvalidOptions when the policy names an unknown kind, bad options, or compute-optimal itself", async () => {
    for (const choice of [
      { kind: "beem-search", options: {} },
      { kind: "best-of-n", options: { n: 0 } },
      { kind: "compute-optimal", options: {} }
    ]) {
      const exit = await Effect.runPromise(runToy({ probeSamples: 1, policy: { table: [{ budget: 1, bins: [{ upTo: 1, choice }] }] } }))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("InvalidOptions")
    }
  })
})
