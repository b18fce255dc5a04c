import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { InvalidOptions, Step, Trajectory } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import {
  AStar,
  BeamSearch,
  BestOfN,
  Combinators,
  Dvts,
  Expansion,
  Frontier,
  ParticleFiltering,
  ParticleGibbs,
  SelfConsistency,
  TreeRecorder
} from "@stepwise/search"
import * as Seed from "../src/internal/Seed.js"

describe("Seed", () => {
  property.prop([fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 4 })])("is a deterministic 31-bit integer", (parts) => {
    const seed = Seed.derive(...parts)
    expect(seed).toBe(Seed.derive(...parts))
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31).toBe(true)
  })

  it("separates nodes and purposes, and seeded uniforms repeat", () => {
    expect(Seed.derive(1, "expand", 2)).not.toBe(Seed.derive(1, "expand", 3))
    expect(Seed.derive(1, "a", 2)).not.toBe(Seed.derive(1, "b", 2))
    const draws = Effect.runSync(Seed.uniforms(9, 5))
    expect(Effect.runSync(Seed.uniforms(9, 5))).toEqual(draws)
    expect(Effect.runSync(Seed.uniforms(10, 5))).not.toEqual(draws)
  })
})

describe("Frontier", () => {
  property.prop([fc.array(fc.constantFrom(0.1, 0.2, 0.3), { minLength: 1, maxLength: 50 })])(
    "pops the lowest f first, ties first-in",
    (priorities) => {
      const frontier = Frontier.make<number>()
      priorities.forEach((f, index) => Frontier.push(frontier, index, f))
      const popped: Array<Frontier.Entry<number>> = []
      for (let entry = Frontier.pop(frontier); entry !== undefined; entry = Frontier.pop(frontier)) popped.push(entry)
      const expected = priorities.map((f, index) => ({ f, index })).sort((a, b) => a.f - b.f || a.index - b.index)
      expect(popped.map((entry) => entry.item)).toEqual(expected.map((each) => each.index))
    }
  )

  it("drops the worst entry past its cap", () => {
    const frontier = Frontier.make<string>(2)
    Frontier.push(frontier, "a", 0.5)
    Frontier.push(frontier, "b", 0.2)
    const dropped = Frontier.push(frontier, "c", 0.5)
    expect(dropped?.item).toBe("c")
    expect(Frontier.entries(frontier).map((entry) => entry.item)).toEqual(["b", "a"])
    expect(frontier.dropped).toBe(1)
  })

  property.prop([
    fc.integer({ min: 1, max: 8 }),
    fc.array(fc.oneof(fc.constant<"pop">("pop"), fc.constantFrom(0, 0.25, 0.5, 0.75, 1)), { maxLength: 300, size: "max" })
  ])("behaves like a sorted list cut at its cap, for any pushes and pops", (cap, operations) => {
    const frontier = Frontier.make<number>(cap)
    let model: Array<{ item: number; f: number }> = []
    const sort = () => model.sort((left, right) => left.f - right.f || left.item - right.item)
    operations.forEach((operation, item) => {
      if (operation === "pop") {
        expect(Frontier.pop(frontier)?.item).toBe(model.shift()?.item)
        return
      }
      model.push({ item, f: operation })
      sort()
      const expectedDrop = model.length > cap ? model.pop() : undefined
      expect(Frontier.push(frontier, item, operation)?.item).toBe(expectedDrop?.item)
      expect(Frontier.size(frontier)).toBe(model.length)
      // Dead slots never outnumber the live ones past the compaction slack: memory stays O(size).
      expect(frontier.best.size()).toBeLessThanOrEqual(2 * Frontier.size(frontier) + 16)
      expect(frontier.worst.size()).toBeLessThanOrEqual(2 * Frontier.size(frontier) + 16)
    })
    expect(Frontier.entries(frontier).map((entry) => entry.item)).toEqual(model.map((each) => each.item))
    model = []
  })
})

describe("Expansion (step protocol)", () => {
  it("builds prefixes with a trailing delimiter and splits rollouts into steps", () => {
    const trajectory = Trajectory.fromSteps([Step.make({ text: "Step 1: a" }), Step.make({ text: "Step 2: b" })])
    expect(Expansion.prefixOf(Trajectory.empty)).toBe("")
    expect(Expansion.prefixOf(trajectory)).toBe("Step 1: a\n\nStep 2: b\n\n")
    const recorder = TreeRecorder.make()
    const leaf = Effect.runSync(
      Expansion.recordRollout(recorder, 0, {
        index: 0,
        text: "Step 1: x\n\nStep 2: \\boxed{3}",
        finishReason: "eos",
        usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0 }
      })
    )
    expect(TreeRecorder.node(recorder, leaf).depth).toBe(2)
    expect(TreeRecorder.candidates(recorder).map((candidate) => candidate.answer)).toEqual(["3"])
  })

  it("ends a trajectory on eos, an empty step, a boxed answer, max steps or the token cap; not on a cut step", () => {
    const sampling = { temperature: 1, stepTokens: 10, maxTokens: 100, maxSteps: 5 }
    const tokens = (outputTokens: number) => ({ inputTokens: 0, outputTokens, cachedInputTokens: 0 })
    expect(Expansion.endsTrajectory(Step.make({ text: "x", finishReason: "eos" }), 1, 0, sampling)).toBe(true)
    expect(Expansion.endsTrajectory(Step.make({ text: "x", finishReason: "length", usage: tokens(10) }), 1, 0, sampling)).toBe(false)
    expect(Expansion.endsTrajectory(Step.make({ text: "x", finishReason: "length", usage: tokens(10) }), 1, 0, { ...sampling, lengthEnds: true })).toBe(true)
    expect(Expansion.endsTrajectory(Step.make({ text: "  " }), 1, 0, sampling)).toBe(true)
    expect(Expansion.endsTrajectory(Step.make({ text: "so \\boxed{4}" }), 1, 0, sampling)).toBe(true)
    expect(Expansion.endsTrajectory(Step.make({ text: "x" }), 5, 0, sampling)).toBe(true)
    expect(Expansion.endsTrajectory(Step.make({ text: "x" }), 4, 0, sampling)).toBe(false)
    expect(Expansion.endsTrajectory(Step.make({ text: "x", usage: tokens(10) }), 4, 89, sampling)).toBe(false)
    expect(Expansion.endsTrajectory(Step.make({ text: "x", usage: tokens(10) }), 4, 90, sampling)).toBe(true)
  })
})

describe("options validation", () => {
  const cases: ReadonlyArray<readonly [string, Effect.Effect<Strategy.Strategy, InvalidOptions>]> = [
    ["n", BestOfN.make({ n: 0 })],
    ["selection", BestOfN.make({ selection: "best-ever" as never })],
    ["aggregation", BestOfN.make({ aggregation: "max" as never })],
    ["temperature", SelfConsistency.make({ temperature: -1 })],
    ["beams", BeamSearch.make({ beams: 2.5 })],
    ["lookahead", Dvts.make({ lookahead: -1 })],
    ["particles", ParticleFiltering.make({ particles: 0 })],
    ["annealing.final", ParticleFiltering.make({ annealing: { final: 0, steps: 2 } })],
    ["resampling", ParticleFiltering.make({ resampling: "stratified" as never })],
    ["sweeps", ParticleGibbs.make({ sweeps: 0 })],
    ["pathCost", AStar.make({ pathCost: "euclid" as never })],
    ["frontierCap", AStar.make({ frontierCap: 0 })],
    ["concurrency", AStar.make({ concurrency: 0 })],
    ["strategies", Combinators.fallback([])],
    ["shares", Effect.flatMap(BestOfN.make({}), (inner) => Combinators.portfolio([inner], { shares: [1, 2] }))],
    ["totalTokens", Effect.flatMap(BestOfN.make({}), (inner) => Combinators.withBudget(inner, { totalTokens: -5 }))]
  ]
  for (const [field, made] of cases)
    it(`fails with InvalidOptions naming "${field}"`, async () => {
      const error = await Effect.runPromise(Effect.flip(made))
      expect(error).toBeInstanceOf(InvalidOptions)
      expect(error.field).toBe(field)
    })

  it("accepts the defaults of every strategy and reports options", async () => {
    const strategies = await Effect.runPromise(
      Effect.all([BestOfN.make(), SelfConsistency.make(), BeamSearch.make(), Dvts.make(), ParticleFiltering.make(), ParticleGibbs.make(), AStar.make()])
    )
    expect(new Set(strategies.map((strategy) => strategy.name)).size).toBe(strategies.length)
    for (const strategy of strategies) expect(strategy.options?.["seed"]).toBe(0)
  })
})
