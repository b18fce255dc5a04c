import { Cause, Deferred, Effect, Exit, Layer } from "effect"
import { z } from "zod"
import type { BudgetExhausted, Problem, VerifierError } from "@stepwise/core"
import type { InvalidOptions } from "@stepwise/core"
import { Options as OptionSchemas, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import * as Verifier from "./Verifier.js"

/**
 * A prefix-score cache around any verifier.
 *
 * Keyed by the problem's id and the trajectory's structural key (equal step texts, equal key). What it reuses:
 * - **Exact hits.** A trajectory scored before (same problem, same step texts) is answered from the cache,
 *   with no call and no spend.
 * - **Shared calls.** Concurrent requests for the same trajectory share one call: the first makes it, the others
 *   wait on its result (a `Deferred`). If the first is interrupted, a waiter takes over and makes the call.
 *   Failures are not cached; every waiter of a failed call gets its error.
 * - **Prefixes** (with `prefixes: true`, the default). A PRM's contract scores every step of the whole
 *   prefix, so one call on a trajectory of n steps also yields the scores of its n − 1 shorter prefixes,
 *   provided the verifier is *causal* — the score of step i depends only on steps 1..i, as for discriminative
 *   PRMs (Qwen2.5-Math-PRM, Math-Shepherd, RLHFlow) and the exact checkers. Then every prefix is stored, and a
 *   later request for any of them is a hit. When a trajectory extends a cached prefix, a call is still needed
 *   for its new steps (the contract has no "score only these steps"), but the steps already scored keep their
 *   cached scores: a step's score, once given, never changes. Turn it off for verifiers whose early-step
 *   scores depend on later steps or whose last step carries a whole-solution score (ThinkPRM, a whole-solution
 *   judge): then only exact trajectories are reused.
 *
 * The cache holds at most `capacity` trajectories (oldest dropped first). Spend: a hit or a shared wait makes
 * no verifier call, so the accountant sees one call per miss, exactly.
 *
 * @example
 * const cached = yield* PrefixCache.make(prm)
 * // ... use `cached` as the ProcessRewardModel; then
 * const { hits, misses, shared } = yield* cached.stats
 */
export const options = z
  .object({
    prefixes: z.boolean().default(true).describe("Reuse the scores of prefixes (requires a causal verifier)."),
    capacity: z.number().int().min(1).default(100_000).describe("Most trajectories kept (oldest dropped first).")
  })
  .strict()

/** Options of `make` as a user writes them (every field optional). */
export type Options = z.input<typeof options>

/** Counts since the cache was made; every request counts in exactly one of `hits`, `shared`, `misses`. */
export interface Stats {
  /** Requests answered from a finished entry (no call). */
  readonly hits: number
  /** Requests that waited on an identical request's call in flight (no call of their own). */
  readonly shared: number
  /** Requests that made a call. */
  readonly misses: number
  /** Trajectories held now. */
  readonly entries: number
}

/** A cached verifier: the contract, plus its counts and a way to empty it. */
export interface Cached extends ProcessRewardModel.Service {
  readonly stats: Effect.Effect<Stats>
  readonly clear: Effect.Effect<void>
}

type Failure = VerifierError | BudgetExhausted
/** What a waiter learns: the call's exit, or that its maker was interrupted (then the waiter retries). */
type Outcome = Exit.Exit<ProcessRewardModel.Scoring, Failure> | "abandoned"

const keyOf = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): string =>
  `${problem.id.length}:${problem.id}:${trajectory.key}`

/**
 * Wraps a verifier in a prefix-score cache. The result is itself a `ProcessRewardModel.Service`; it is not
 * metered again (the wrapped verifier already is).
 */
export const make = (verifier: ProcessRewardModel.Service, given: Options = {}): Effect.Effect<Cached, InvalidOptions> =>
  Effect.gen(function* () {
    const settings = yield* OptionSchemas.parse(options, given, "prefix-cache")
    const usePrefixes = settings.prefixes
    const capacity = settings.capacity
    const done = new Map<string, ReadonlyArray<number>>()
    const inFlight = new Map<string, Deferred.Deferred<Outcome>>()
    let hits = 0
    let shared = 0
    let misses = 0

    const remember = (problem: Problem.Problem, trajectory: Trajectory.Trajectory, scores: ReadonlyArray<number>) => {
      const store = (node: Trajectory.Trajectory) => {
        const key = keyOf(problem, node)
        if (done.has(key)) return
        done.set(key, scores.slice(0, node.length))
        if (done.size > capacity) {
          const oldest = done.keys().next()
          if (oldest.done !== true) done.delete(oldest.value)
        }
      }
      if (!usePrefixes) return store(trajectory)
      for (let node: Trajectory.Trajectory | undefined = trajectory; node !== undefined && node.length > 0; node = node.parent)
        store(node)
    }

    // The longest cached strict prefix's scores, to keep steps' scores stable across calls.
    const cachedPrefixScores = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): ReadonlyArray<number> => {
      if (!usePrefixes) return []
      for (let node = trajectory.parent; node !== undefined && node.length > 0; node = node.parent) {
        const scores = done.get(keyOf(problem, node))
        if (scores !== undefined) return scores
      }
      return []
    }

    const score = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<ProcessRewardModel.Scoring, Failure> =>
      Effect.suspend(() => {
        const key = keyOf(problem, trajectory)
        const cached = done.get(key)
        if (cached !== undefined) {
          hits++
          return Effect.succeed({ stepScores: cached, usage: Usage.zero })
        }
        const pending = inFlight.get(key)
        if (pending !== undefined) {
          shared++
          return Effect.flatMap(Deferred.await(pending), (outcome) =>
            outcome === "abandoned"
              ? Effect.suspend(() => {
                  shared--
                  return score(problem, trajectory)
                })
              : Effect.map(outcome, (scoring) => ({ stepScores: scoring.stepScores, usage: Usage.zero }))
          )
        }
        misses++
        const deferred = Deferred.makeUnsafe<Outcome>()
        inFlight.set(key, deferred)
        const settle = (outcome: Outcome) =>
          Effect.suspend(() => {
            if (inFlight.get(key) === deferred) inFlight.delete(key)
            return Deferred.succeed(deferred, outcome)
          })
        return Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(Effect.exit(restore(verifier.score(problem, trajectory))), (exit) => {
            if (Exit.isSuccess(exit)) {
              const kept = cachedPrefixScores(problem, trajectory)
              const stepScores = kept.length === 0 ? exit.value.stepScores : [...kept, ...exit.value.stepScores.slice(kept.length)]
              const scoring = { stepScores, usage: exit.value.usage }
              remember(problem, trajectory, stepScores)
              return Effect.as(settle(Exit.succeed(scoring)), scoring)
            }
            const interrupted = Cause.hasInterruptsOnly(exit.cause)
            return Effect.andThen(settle(interrupted ? "abandoned" : exit), exit)
          })
        )
      })

    // Not metered again: a miss calls the wrapped verifier, which is metered; a hit or a shared wait costs nothing.
    return {
      ...ProcessRewardModel.wrap({ info: { name: `cached(${verifier.info.name})` }, score }),
      stats: Effect.sync(() => ({ hits, shared, misses, entries: done.size })),
      clear: Effect.sync(() => {
        done.clear()
      })
    }
  })

/**
 * A layer that wraps the `ProcessRewardModel` in context with a cache.
 *
 * @example
 * Layer.provide(PrefixCache.layer(), world.layer)
 */
export const layer = (given: Options = {}): Layer.Layer<ProcessRewardModel.ProcessRewardModel, InvalidOptions, ProcessRewardModel.ProcessRewardModel> =>
  Layer.effect(ProcessRewardModel.ProcessRewardModel, Effect.flatMap(ProcessRewardModel.ProcessRewardModel, (verifier) => make(verifier, given)))

/** The cache's entry of the verifier registry: `{ verifier: { kind, options }, prefixes, capacity }`. */
export const entry = Verifier.define({
  kind: "prefix-cache",
  description: "A prefix-score cache around another verifier: exact hits, shared in-flight calls, prefix reuse for causal verifiers.",
  options: options.extend({ verifier: Verifier.specOption.describe("The verifier to cache, as { kind, options }.") }).strict(),
  build: ({ verifier, ...settings }, context) =>
    Effect.flatMap(
      Effect.mapError(
        context.verifierOf({ kind: verifier.kind, ...(verifier.options === undefined ? {} : { options: verifier.options }) }),
        Verifier.nestedAt("verifier")
      ),
      (inner) => make(inner, settings)
    )
})
