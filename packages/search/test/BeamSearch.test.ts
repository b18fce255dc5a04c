import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { InvalidOptions, LanguageModel, ProcessRewardModel } from "@stepwise/core"
import { BeamSearch } from "@stepwise/search"
import * as Toy from "./fixtures/ToyWorld.js"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 500 : 150))

describe("BeamSearch.keepTop", () => {
  it("keeps the highest scores, ties to the lower node id, unscored last", () => {
    const kept = BeamSearch.keepTop(
      [
        { id: 5, score: 0.5 },
        { id: 2, score: undefined },
        { id: 3, score: 0.5 },
        { id: 9, score: 0.9 }
      ],
      3
    )
    expect(kept.map((beam) => beam.id)).toEqual([9, 3, 5])
  })

  property.prop(
    [fc.uniqueArray(fc.nat({ max: 500 }), { minLength: 1, maxLength: 40 }), fc.array(fc.constantFrom(0.1, 0.5, 0.7, 0.9, undefined), { minLength: 40, maxLength: 40 }), fc.integer({ min: 1, max: 40 })],
    { numRuns: runs }
  )("keeps exactly the top k by score with the documented tie-break", (ids, scores, keep) => {
    const beams = ids.map((id, index) => ({ id, score: scores[index] }))
    const kept = BeamSearch.keepTop(beams, keep)
    expect(kept).toHaveLength(Math.min(keep, beams.length))
    const rank = (beam: { id: number; score: number | undefined }) => [beam.score ?? -Infinity, -beam.id] as const
    const keptIds = new Set(kept.map((beam) => beam.id))
    // Every kept beam ranks at least as high as every dropped one.
    for (const inside of kept)
      for (const outside of beams.filter((beam) => !keptIds.has(beam.id))) {
        const [insideScore, insideId] = rank(inside)
        const [outsideScore, outsideId] = rank(outside)
        expect(insideScore > outsideScore || (insideScore === outsideScore && insideId > outsideId)).toBe(true)
      }
  })

  it("spreads samples over kept beams as (active * repeats)[:N]", () => {
    expect(BeamSearch.copiesOf(4, 16)).toEqual([4, 4, 4, 4])
    expect(BeamSearch.copiesOf(3, 8)).toEqual([3, 3, 2])
  })
})

describe("BeamSearch on the toy world", () => {
  it("expands exactly the top N/M unfinished beams of each depth, M ways", async () => {
    const beams = 8
    const width = 2
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const strategy = yield* BeamSearch.make({ beams, width, stepTokens: 64, maxTokens: 256, seed: 5 })
        const accountant = yield* Accountant.make({})
        return yield* strategy.run(Toy.problem).pipe(
          Effect.provideService(LanguageModel.LanguageModel, Toy.languageModel(0.4)),
          Effect.provideService(ProcessRewardModel.ProcessRewardModel, Toy.verifier()),
          Accountant.provide(accountant)
        )
      })
    )
    const nodes = result.tree.nodes
    const childCount = (id: number) => nodes.filter((node) => node.parentId === id).length
    let checkedDepths = 0
    for (let depth = 1; depth < Toy.depth; depth++) {
      const open = nodes.filter((node) => node.depth === depth && !node.finished)
      if (open.length === 0) continue
      const expanded = open.filter((node) => childCount(node.id) > 0)
      const expected = BeamSearch.keepTop(open.map((node) => ({ id: node.id, score: node.score })), beams / width)
      expect(expanded.map((node) => node.id).sort((a, b) => a - b)).toEqual(expected.map((beam) => beam.id).sort((a, b) => a - b))
      for (const node of expanded) expect(childCount(node.id)).toBe(width)
      checkedDepths++
    }
    expect(checkedDepths).toBeGreaterThan(1)
    expect(nodes.filter((node) => node.depth === 1)).toHaveLength(beams)
  })

  it("rejects a width that does not divide the beams, naming the field", async () => {
    const error = await Effect.runPromise(Effect.flip(BeamSearch.make({ beams: 6, width: 4 })))
    expect(error).toBeInstanceOf(InvalidOptions)
    expect(error.field).toBe("width")
  })
})
