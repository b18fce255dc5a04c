import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import { AStar, Run } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

const runAStar = (totalTokens: number, rescue: boolean) =>
  Effect.gen(function* () {
    const strategy = yield* AStar.make({ expansions: 3, stepTokens: 64, maxTokens: 256, rescue, seed: 2 })
    const accountant = yield* Accountant.make({ totalTokens })
    return yield* strategy.run(Toy.problem).pipe(
      Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.5)),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
      Accountant.provide(accountant)
    )
  })

describe("Run", () => {
  it("outcomeOf says why there is no answer", () => {
    expect(Run.outcomeOf({ answer: "4", best: undefined }, 1, true)).toEqual({ _tag: "Answered", answer: "4" })
    expect(Run.outcomeOf({ answer: undefined, best: undefined }, 0, true)).toMatchObject({ reason: "budget-exhausted" })
    expect(Run.outcomeOf({ answer: undefined, best: undefined }, 0, false)).toMatchObject({ reason: "no-finished-candidate" })
    expect(Run.outcomeOf({ answer: undefined, best: undefined }, 2, false)).toMatchObject({ reason: "no-extractable-answer" })
  })

  it("a budget too small for one call says so: which budget, what the call asked for, what was left", async () => {
    const result = await Effect.runPromise(runAStar(10, false))
    expect(result.outcome).toMatchObject({ _tag: "NoAnswer", reason: "budget-exhausted" })
    const detail = result.outcome._tag === "NoAnswer" ? result.outcome.detail : ""
    expect(detail).toMatch(/^the budget ended before any candidate finished \(budget "[^"]+" exhausted: totalTokens requested \d+, remaining 10\)$/)
    expect(result.spend.totalTokens ?? 0).toBe(0)
  })

  it("rescues a search that ran out of budget with one rollout from its best unfinished node", async () => {
    let rescued = 0
    for (let totalTokens = 400; totalTokens <= 2400; totalTokens += 100) {
      const [off, on] = await Effect.runPromise(Effect.all([runAStar(totalTokens, false), runAStar(totalTokens, true)]))
      const extra = on.tree.nodes.slice(off.tree.nodes.length)
      // The rescue only ever appends one rollout chain hanging from an unfinished node of the search.
      expect(on.tree.nodes.slice(0, off.tree.nodes.length).map((node) => node.text)).toEqual(off.tree.nodes.map((node) => node.text))
      if (extra.length > 0) {
        expect(off.budgetExhausted).toBe(true)
        expect(off.answer).toBeUndefined()
        const hook = off.tree.nodes[extra[0]?.parentId ?? -1]
        expect(hook?.finished).toBe(false)
        expect(extra.filter((node) => node.finished)).toHaveLength(1)
        if (on.answer !== undefined) rescued++
      } else expect(on.answer).toBe(off.answer)
    }
    expect(rescued).toBeGreaterThan(0)
  })
})
