import { Context, Effect } from "effect"
import type { BudgetExhausted } from "./Errors.js"
import { BadResponse, Unmetered, VerifierError } from "./Errors.js"
import * as Genuine from "./internal/Genuine.js"
import * as Hook from "./internal/Hook.js"
import * as Meter from "./Meter.js"
import type { Problem } from "./Problem.js"
import type { Trajectory } from "./Trajectory.js"
import type { Usage } from "./Usage.js"
import * as Usage_ from "./Usage.js"

/**
 * A verifier's answer for one trajectory: one score in [0, 1] per step (oldest first), and what it cost.
 * Aggregating the step scores into one number is the caller's choice (see the verifiers package).
 */
export interface Scoring {
  readonly stepScores: ReadonlyArray<number>
  readonly usage: Usage
}

/** Facts about a verifier. */
export interface Info {
  readonly name: string
  /**
   * The model it scores with, when it calls one by name (a served PRM's): cost models price its calls by it (a
   * price or shape table keyed by model name), as they do a language model's.
   */
  readonly model?: string
}

// Type-level brand: only `make` and `wrap` produce a `Service`, so a hand-built object literal is a type error. At
// run time the score functions they built are remembered, and the accessor refuses any other.
declare const metered: unique symbol

/**
 * The process-reward-model contract: score every step of a trajectory. Metered and traced once by `make` (or, for
 * combinators over verifiers that are metered already, built by `wrap`); a hand-built object is a type error and is
 * refused at run time.
 */
export interface Service<S extends Scoring = Scoring> {
  readonly [metered]: "ProcessRewardModel.make"
  readonly info: Info
  readonly score: (problem: Problem, trajectory: Trajectory) => Effect.Effect<S, VerifierError | BudgetExhausted>
}

/** The process-reward-model service. */
export class ProcessRewardModel extends Context.Service<ProcessRewardModel, Service>()(
  "@stepwise/ProcessRewardModel"
) {}

/** The version of the verifier hook this release implements. */
export const specificationVersion = "v1"

/** What a verifier implements: one scoring call (which may return more than a `Scoring`, e.g. a report). */
export interface Backend<S extends Scoring = Scoring> {
  /** The hook's contract version; absent means `"v1"`. `make` refuses a version it does not implement. */
  readonly specificationVersion?: typeof specificationVersion
  readonly info: Info
  readonly score: (problem: Problem, trajectory: Trajectory) => Effect.Effect<S, VerifierError | BudgetExhausted>
  /**
   * Upper bound on the verifier tokens one call reads and writes, reserved before the call (default 0).
   * Leave it 0 for verifiers whose tokens are metered inside, by their own `LanguageModel` under `Meter.asVerifier`.
   */
  readonly maxTokens?: (problem: Problem, trajectory: Trajectory) => number
  /**
   * True when the verifier's tokens are already metered by the language model it calls (a generative verifier);
   * then `make` commits only the call, not the tokens of `Scoring.usage`, so nothing is counted twice.
   */
  readonly tokensMeteredInside?: boolean
}

const checkScores = <S extends Scoring>(name: string, trajectory: Trajectory, scoring: S): Effect.Effect<S, VerifierError> => {
  const shape = scoring as Partial<Scoring> | null | undefined
  if (typeof shape !== "object" || shape === null || !Array.isArray(shape.stepScores) || typeof shape.usage !== "object" || shape.usage === null)
    return Effect.fail(new VerifierError({ verifier: name, detail: `score gave ${shape === null ? "null" : typeof shape}, not { stepScores: an array, usage: an object }` }))
  const invalid = Usage_.invalidCount(scoring.usage)
  if (invalid !== undefined)
    return Effect.fail(
      new VerifierError({
        verifier: name,
        detail: `usage.${invalid.field} is ${String(invalid.value)}, not a count (a finite number ≥ 0)`,
        cause: new BadResponse({ backend: name, detail: `usage.${invalid.field} is ${String(invalid.value)}`, value: invalid.value })
      })
    )
  if (scoring.stepScores.length !== trajectory.length)
    return Effect.fail(
      new VerifierError({
        verifier: name,
        detail: `returned ${scoring.stepScores.length} scores for ${trajectory.length} steps`
      })
    )
  const bad = scoring.stepScores.findIndex((score) => !(score >= 0 && score <= 1))
  if (bad >= 0)
    return Effect.fail(
      new VerifierError({ verifier: name, detail: `score of step ${bad + 1} is ${scoring.stepScores[bad]}, not in [0, 1]` })
    )
  return Effect.succeed(scoring)
}

/**
 * The hook's scoring, with what escapes its contract made a `VerifierError` naming the verifier: a hook that throws,
 * dies (an unexpected failure inside its effect) or returns something that is not an Effect.
 */
const called = <S extends Scoring>(backend: Backend<S>, problem: Problem, trajectory: Trajectory): Effect.Effect<S, VerifierError | BudgetExhausted> => {
  const name = backend.info.name
  return Hook.call<S, VerifierError | BudgetExhausted, never, VerifierError>(
    () => backend.score(problem, trajectory),
    (broken) =>
      broken._tag === "Threw"
        ? new VerifierError({ verifier: name, detail: `score failed unexpectedly: ${Hook.messageOf(broken.defect)}`, cause: broken.defect })
        : new VerifierError({ verifier: name, detail: `score returned ${broken.returned}, not an Effect` })
  )
}

// The verifier's token bound for a call: its `maxTokens` hook (0 without one), which must give a count.
const boundOf = <S extends Scoring>(backend: Backend<S>, problem: Problem, trajectory: Trajectory): Effect.Effect<number, VerifierError> => {
  const name = backend.info.name
  if (backend.maxTokens === undefined) return Effect.succeed(0)
  let bound: unknown
  try {
    bound = backend.maxTokens(problem, trajectory)
  } catch (defect) {
    return Effect.fail(new VerifierError({ verifier: name, detail: `maxTokens failed unexpectedly: ${Hook.messageOf(defect)}`, cause: defect }))
  }
  return Usage_.isCount(bound)
    ? Effect.succeed(bound)
    : Effect.fail(new VerifierError({ verifier: name, detail: `maxTokens gave ${String(bound)}, not a count of tokens (a finite number ≥ 0)` }))
}

const genuine = Genuine.make("score")
const nameOf = Genuine.nameOf

/** True when a value is a service built by `make` or `wrap`. */
export const isMetered = (service: unknown): service is Service => genuine.has(service)

/** The error of an unmetered verifier: a `VerifierError` (the contract's error) whose cause is `Unmetered`. */
const unmetered = (service: unknown): VerifierError => {
  const cause = new Unmetered({ contract: "ProcessRewardModel", name: nameOf(service) })
  return new VerifierError({ verifier: cause.name, detail: cause.message, cause })
}

/**
 * The service itself when `make` or `wrap` built it; otherwise `Unmetered`. Use where a verifier enters from user
 * code (the Promise API, a plugin) to refuse an unmetered one before anything runs.
 */
export const check = <S extends Scoring>(service: Service<S>): Effect.Effect<Service<S>, Unmetered> =>
  isMetered(service) ? Effect.succeed(service) : Effect.fail(new Unmetered({ contract: "ProcessRewardModel", name: nameOf(service) }))

const register = <S extends Scoring>(info: Info, score: Service<S>["score"]): Service<S> => {
  genuine.add(score)
  return { info, score } as Omit<Service<S>, typeof metered> as Service<S>
}

/**
 * Wraps a verifier's scoring hook into the contract: meters one verifier call (and its tokens) against the
 * current `Meter`, checks there is one score in [0, 1] per step and that the usage counts are counts, and traces
 * the call.
 *
 * @example
 * const exact = ProcessRewardModel.make({ info: { name: "exact" }, score: (problem, trajectory) => ... })
 */
export const make = <S extends Scoring = Scoring>(backend: Backend<S>): Service<S> => {
  const version = backend.specificationVersion ?? specificationVersion
  if (version !== specificationVersion)
    throw new Error(`verifier ${backend.info.name} implements hook version ${String(version)}; this release implements "${specificationVersion}"`)
  return register<S>(backend.info, (problem, trajectory) =>
    // Data-first: effect 4.0.6 reads `captureStackTrace` only there. Every span starts here, so a stack trace of
    // its creation says nothing and would cost a capture per call.
    Effect.withSpan(Effect.gen(function* () {
      const meter = yield* Meter.Meter
      const tokens = yield* boundOf(backend, problem, trajectory)
      const claim: Meter.Claim = {
        role: "verifier",
        label: backend.info.name,
        ...(backend.info.model === undefined ? {} : { model: backend.info.model }),
        inputTokens: tokens,
        samples: 1,
        maxTokensPerSample: 0,
        minTokensPerSample: 0,
        verifierCalls: 1,
        ...(backend.maxTokens === undefined && backend.tokensMeteredInside !== true ? { tokensUnbounded: true } : {})
      }
      return yield* meter.metered(
        claim,
        () =>
          Effect.flatMap(Meter.asVerifier(called(backend, problem, trajectory)), (scoring) =>
            checkScores(backend.info.name, trajectory, scoring)
          ),
        (scoring) => (backend.tokensMeteredInside === true ? Usage_.zero : scoring.usage)
      )
    }), "ProcessRewardModel.score", { attributes: { verifier: backend.info.name, steps: trajectory.length }, captureStackTrace: false })
  )
}

/**
 * Builds a verifier that is *not* metered again: for combinators whose every call goes through verifiers that are
 * themselves services (a cache answering from stored scores, an ensemble of members). The scores are still
 * checked (one per step, in [0, 1]). Never use it around a scoring function of your own: that is what `make` is for.
 *
 * @example
 * const cached = ProcessRewardModel.wrap({ info: { name: "cached(prm)" }, score: (problem, trajectory) => lookup(...) })
 */
export const wrap = <S extends Scoring = Scoring>(combinator: {
  readonly info: Info
  readonly score: (problem: Problem, trajectory: Trajectory) => Effect.Effect<S, VerifierError | BudgetExhausted>
}): Service<S> =>
  register<S>(combinator.info, (problem, trajectory) =>
    Effect.flatMap(combinator.score(problem, trajectory), (scoring) => checkScores(combinator.info.name, trajectory, scoring))
  )

/**
 * Calls `score` on the `ProcessRewardModel` in context; a service that `make` or `wrap` did not build fails with a
 * `VerifierError` whose cause is `Unmetered` (its calls would escape the accountant).
 */
export const score = (
  problem: Problem,
  trajectory: Trajectory
): Effect.Effect<Scoring, VerifierError | BudgetExhausted, ProcessRewardModel> =>
  Effect.flatMap(ProcessRewardModel, (model) => (isMetered(model) ? model.score(problem, trajectory) : Effect.fail(unmetered(model))))
