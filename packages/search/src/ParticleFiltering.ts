import { Effect } from "effect"
import { z } from "zod"
import type { LanguageModelError, Problem, SearchResult, VerifierError } from "@stepwise/core"
import { Admission, SearchEvent } from "@stepwise/core"
import type { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as Resampling from "./Resampling.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as SearchOptions from "./SearchOptions.js"
import type { Selected } from "./Selection.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** How the final answer is picked: the highest final weight (its_hub `argmax`), a draw ∝ weight, or a vote. */
export type Pick = "best" | "sample" | "weighted" | "majority"

/** Every pick. */
export const picks = ["best", "sample", "weighted", "majority"] as const satisfies ReadonlyArray<Pick>

/** Linear annealing of the weight temperature: from `weightTemperature` at step 0 to `final` at step `steps − 1`. */
export interface Annealing {
  readonly final: number
  readonly steps: number
}

/** The particle options' fields, shared with Particle Gibbs. */
export const fields = {
  particles: Strategy.sizeOption().default(8).describe("N: number of particles."),
  weightTemperature: z.number().positive().default(1).describe("T in softmax(logit(r) / T)."),
  annealing: z
    .object({
      final: z.number().positive().describe("T at the end of the annealing."),
      steps: z.number().int().min(1).describe("Steps over which T moves linearly to `final`.")
    })
    .strict()
    .optional()
    .describe("Optional linear annealing of T."),
  resampling: z.enum(Resampling.schemes).default("multinomial").describe("Resampling scheme (the reference code: multinomial)."),
  keepFinished: z.boolean().default(true).describe("Finished particles stay in the pool and take part in resampling (the reference code: true)."),
  selection: z.enum(picks).default("best").describe("How the answer is picked among the final finished particles."),
  equivalence: Selection.equivalenceOption,
  ...SearchOptions.sampling,
  ...SearchOptions.steps,
  ...SearchOptions.scoring,
  ...SearchOptions.running
}

/** The options of particle filtering (strict). */
export const options = z.object(fields).strict()

/** Options of particle filtering as a user writes them. */
export type Options = z.input<typeof options>

/** The particle-filtering settings with defaults filled in. */
export type Settings = z.output<typeof options>

/**
 * Emitted after every resampling: the step, the pool's node ids before it, their normalized weights and the
 * surviving pool indices (`pool[survivors[i]]` is the node the i-th new particle continues).
 */
export const resampled = SearchEvent.define<{
  readonly step: number
  readonly pool: ReadonlyArray<number>
  readonly weights: ReadonlyArray<number>
  readonly survivors: ReadonlyArray<number>
}>()("particle-resample")

/** Emitted at the end of every sweep: its index, and the node ids of its final pool (and finished particles that left it). */
export const swept = SearchEvent.define<{ readonly sweep: number; readonly pool: ReadonlyArray<number> }>()("sweep-end")

/**
 * The weight temperature at a step under linear annealing, as the reference code computes it: from
 * `weightTemperature` at step 0 to `final` at step `steps − 1` (fraction step / (steps − 1)), `final` from then on.
 * As in the reference, the k-th resampling of a sweep (after its k-th step) is at step k, so the first uses step 1.
 */
export const temperatureAt = (settings: Settings, step: number): number => {
  if (settings.annealing === undefined) return settings.weightTemperature
  const { final, steps } = settings.annealing
  if (steps <= 1 || step >= steps) return final
  return settings.weightTemperature + (final - settings.weightTemperature) * (Math.max(0, step) / (steps - 1))
}

/** The particles at the end of a sweep: the pool's node ids, and finished particles that left the pool. */
export interface Pool {
  readonly particles: ReadonlyArray<number>
  readonly left: ReadonlyArray<number>
}

/**
 * One sequential-Monte-Carlo sweep: every unfinished particle grows one step (copies of a node batched with `n`),
 * each new step's trajectory is scored (reward = the aggregate, by default the newest step's score), then the
 * pool is resampled with weights softmax(logit(r) / T). With a `reference` path (Particle Gibbs), slot 0 replays
 * it step by step without calls and is never resampled away; the other slots are drawn from all particles.
 */
export const sweep = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  settings: Settings,
  sweepIndex: number,
  reference: ReadonlyArray<number> | undefined
): Effect.Effect<
  Pool,
  LanguageModelError | VerifierError,
  LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel
> =>
  Effect.gen(function* () {
    const isFinished = (id: number) => TreeRecorder.node(recorder, id).finished
    const fixed = reference === undefined || reference.length === 0 ? 0 : 1
    let pool: Array<number> = Array.from({ length: settings.particles }, () => 0)
    const left: Array<number> = []
    for (let step = 0; step < settings.maxSteps; step++) {
      const free = pool.map((id, slot) => ({ id, slot })).filter(({ id, slot }) => slot >= fixed && !isFinished(id))
      const referenceMoves = fixed === 1 && !isFinished(pool[0] ?? 0)
      if (free.length === 0 && !referenceMoves) break
      // One request per distinct node, n = its copies, in order of first appearance.
      const copies = new Map<number, Array<number>>()
      for (const { id, slot } of free) {
        const slots = copies.get(id)
        if (slots === undefined) copies.set(id, [slot])
        else slots.push(slot)
      }
      const parents = [...copies.entries()]
      const generated = yield* Admission.forEach(
        parents,
        ([id, slots]) =>
          Expansion.requestNextSteps(problem, recorder, id, {
            n: slots.length,
            seed: Seed.derive(settings.seed, "particle", sweepIndex, id, step),
            sampling: settings
          }),
        { concurrency: settings.concurrency }
      )
      const fresh: Array<number> = []
      for (let index = 0; index < parents.length; index++) {
        const entry = parents[index]
        const each = generated[index]
        if (entry === undefined || each === undefined) continue
        const children = yield* Expansion.recordNextSteps(recorder, entry[0], each, settings)
        entry[1].forEach((slot, position) => {
          const child = children[position]
          if (child !== undefined) {
            pool[slot] = child
            fresh.push(child)
          }
        })
      }
      if (fixed === 1 && reference !== undefined) pool[0] = reference[Math.min(step, reference.length - 1)] ?? 0
      yield* Scoring.scoreNodes(problem, recorder, fresh, settings)
      if (TreeRecorder.isExhausted(recorder)) break
      if (!settings.keepFinished) {
        for (let slot = fixed; slot < pool.length; slot++) {
          const id = pool[slot]
          if (id !== undefined && isFinished(id)) left.push(id)
        }
        pool = pool.filter((id, slot) => slot < fixed || !isFinished(id))
      }
      if (pool.every(isFinished) || pool.length <= fixed) break
      const rewards = pool.map((id) => TreeRecorder.node(recorder, id).aggregate)
      // The reference counts its first resampling (after the first step) as step 1, so T starts one step in.
      const normalized = Resampling.weights(rewards, temperatureAt(settings, step + 1))
      const count = pool.length - fixed
      const uniforms = yield* Seed.uniforms(Seed.derive(settings.seed, "resample", sweepIndex, step), count)
      const survivors = Resampling.resample(settings.resampling, normalized, count, uniforms)
      yield* resampled.emit({ step, pool: [...pool], weights: normalized, survivors })
      pool = [...pool.slice(0, fixed), ...survivors.map((index) => pool[index] ?? 0)]
    }
    yield* swept.emit({ sweep: sweepIndex, pool: [...pool, ...left] })
    return { particles: pool, left }
  })

/** Picks the answer among the finished particles of a pool by the settings' `selection`. */
export const pickFrom = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  ids: ReadonlyArray<number>,
  settings: Settings,
  uniform: number
): Selected => {
  const wanted = new Set(ids)
  const inPool = candidates.filter((candidate) => wanted.has(candidate.nodeId))
  // A rescue rollout (the budget ended mid-sweep) is not in the pool: consider every candidate then.
  const finalists = inPool.some((candidate) => candidate.answer !== undefined) ? inPool : candidates
  const equivalence = settings.equivalence ?? Selection.defaultEquivalence
  if (settings.selection !== "sample") return Selection.select(finalists, settings.selection, equivalence)
  const answered = finalists.filter((candidate) => candidate.answer !== undefined)
  if (answered.length === 0) return Selection.select(finalists, "best", equivalence)
  const normalized = Resampling.weights(
    answered.map((candidate) => candidate.score),
    settings.weightTemperature
  )
  const chosen = answered[Resampling.multinomial(normalized, [uniform])[0] ?? 0]
  return { answer: chosen?.answer, best: chosen }
}

/**
 * Particle filtering (Puri et al. 2025; its_hub): N particles grow one step at a time, are weighted by
 * softmax(logit(r) / T) of the verifier's reward and resampled (multinomial or systematic) after every step;
 * finished particles stay in the pool by default; T may be annealed linearly. The answer is the finished
 * particle with the highest final weight (or a draw, or a vote).
 */
export const entry = Strategy.define({
  kind: "particle-filtering",
  description: "N particles grown a step at a time, resampled by softmax(logit(r)/T) after every step (Puri et al. 2025).",
  options,
  size: { option: "particles", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution) },
  build: (settings) => {
    const name = `particle-filtering-${settings.particles}`
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              const pool = yield* sweep(problem, recorder, settings, 0, undefined)
              const uniform = (yield* Seed.uniforms(Seed.derive(settings.seed, "pick"), 1))[0] ?? 0
              return { finalIds: [...pool.particles, ...pool.left], uniform }
            }),
          select: ({ candidates, state, recorder }) =>
            pickFrom(
              candidates,
              state !== undefined && state.finalIds.length > 0 ? state.finalIds : recorder.nodes.map((each) => each.id),
              settings,
              state?.uniform ?? 0
            ),
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

/**
 * Makes particle filtering from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* ParticleFiltering.make({ particles: 8 })
 */
export const make = Strategy.maker(entry)
