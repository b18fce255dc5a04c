import { Effect } from "effect"
import type { InvalidOptions, LanguageModelError, Problem, SearchResult, VerifierError } from "@stepwise/core"
import { SearchEvent } from "@stepwise/core"
import type { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import * as Common from "./Common.js"
import * as Expansion from "./Expansion.js"
import * as Resampling from "./Resampling.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as Seed from "./Seed.js"
import type { Normalizer, Selected } from "./Selection.js"
import * as Selection from "./Selection.js"
import type { Strategy } from "./Strategy.js"
import { describe } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"
import * as Validate from "./Validate.js"

/** How the final answer is picked: the highest final weight (its_hub `argmax`), a draw ∝ weight, or a vote. */
export type Pick = "best" | "sample" | "weighted" | "majority"

/** Every pick. */
export const picks: ReadonlyArray<Pick> = ["best", "sample", "weighted", "majority"]

/** Linear annealing of the weight temperature: from `weightTemperature` at step 0 to `final` at step `steps`. */
export interface Annealing {
  readonly final: number
  readonly steps: number
}

/** Options of particle filtering. */
export interface Options extends Common.Options {
  /** N: number of particles (default 8). */
  readonly particles?: number
  /** T in softmax(logit(r) / T) (default 1). */
  readonly weightTemperature?: number
  /** Optional linear annealing of T. */
  readonly annealing?: Annealing
  /** Resampling scheme (default `multinomial`, as the reference code). */
  readonly resampling?: Resampling.Scheme
  /** Finished particles stay in the pool and take part in resampling (default true, as the reference code). */
  readonly keepFinished?: boolean
  /** How the answer is picked among the final finished particles (default `best`). */
  readonly selection?: Pick
  /** Groups equal answers for the votes (default `Answer.normalize`). */
  readonly normalize?: Normalizer
}

/** The particle-filtering settings with defaults filled in. */
export interface Settings extends Common.Resolved {
  readonly particles: number
  readonly weightTemperature: number
  readonly annealing: Annealing | undefined
  readonly resampling: Resampling.Scheme
  readonly keepFinished: boolean
  readonly selection: Pick
  readonly normalize: Normalizer
}

/** Field checks of the particle options (shared with Particle Gibbs). */
export const checks = (options: Options): ReadonlyArray<Validate.Check> => [
  Validate.integerAtLeast("particles", options.particles, 1),
  Validate.positive("weightTemperature", options.weightTemperature),
  Validate.that(
    "annealing",
    options.annealing === undefined ||
      (options.annealing.final > 0 && Number.isFinite(options.annealing.final) && Number.isInteger(options.annealing.steps) && options.annealing.steps >= 1),
    "must have final > 0 and an integer steps ≥ 1"
  ),
  Validate.oneOf("resampling", options.resampling, Resampling.schemes),
  Validate.that("keepFinished", options.keepFinished === undefined || typeof options.keepFinished === "boolean", "must be a boolean"),
  Validate.oneOf("selection", options.selection, picks),
  Validate.that("normalize", options.normalize === undefined || typeof options.normalize === "function", "must be a function"),
  ...Common.checks(options)
]

/** Fills in the defaults. */
export const resolve = (options: Options): Settings => ({
  ...Common.resolve(options),
  particles: options.particles ?? 8,
  weightTemperature: options.weightTemperature ?? 1,
  annealing: options.annealing,
  resampling: options.resampling ?? "multinomial",
  keepFinished: options.keepFinished ?? true,
  selection: options.selection ?? "best",
  normalize: options.normalize ?? Selection.defaultNormalizer
})

/** The weight temperature at a step under linear annealing. */
export const temperatureAt = (settings: Settings, step: number): number => {
  if (settings.annealing === undefined) return settings.weightTemperature
  const progress = Math.min(1, step / settings.annealing.steps)
  return settings.weightTemperature + (settings.annealing.final - settings.weightTemperature) * progress
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
      const generated = yield* Effect.forEach(
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
      const normalized = Resampling.weights(rewards, temperatureAt(settings, step))
      const count = pool.length - fixed
      const uniforms = yield* Seed.uniforms(Seed.derive(settings.seed, "resample", sweepIndex, step), count)
      const survivors = Resampling.resample(settings.resampling, normalized, count, uniforms)
      yield* SearchEvent.emit({ _tag: "particle-resample", step, weights: normalized, survivors })
      pool = [...pool.slice(0, fixed), ...survivors.map((index) => pool[index] ?? 0)]
    }
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
  if (settings.selection !== "sample") return Selection.select(finalists, settings.selection, settings.normalize)
  const answered = finalists.filter((candidate) => candidate.answer !== undefined)
  if (answered.length === 0) return Selection.select(finalists, "best", settings.normalize)
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
 *
 * @example
 * const strategy = yield* ParticleFiltering.make({ particles: 8 })
 */
export const make = (options: Options = {}): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Validate.all("ParticleFiltering", checks(options))
    const settings = resolve(options)
    const name = `particle-filtering-${settings.particles}`
    return {
      name,
      options: describe(settings),
      run: (problem: Problem.Problem) => {
        let finalIds: ReadonlyArray<number> = []
        let uniform = 0
        return Run.search(
          name,
          problem,
          (recorder) =>
            Effect.gen(function* () {
              const pool = yield* sweep(problem, recorder, settings, 0, undefined)
              finalIds = [...pool.particles, ...pool.left]
              uniform = (yield* Seed.uniforms(Seed.derive(settings.seed, "pick"), 1))[0] ?? 0
            }),
          (candidates, recorder) =>
            pickFrom(candidates, finalIds.length > 0 ? finalIds : recorder.nodes.map((each) => each.id), settings, uniform),
          Common.rescueOf(settings)
        )
      }
    }
  })
