import { Context, Effect } from "effect"
import type { BudgetExhausted } from "./Errors.js"
import { VerifierError } from "./Errors.js"
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
}

/** The process-reward-model contract: score every step of a trajectory. Metered and traced once by `make`. */
export interface Service<S extends Scoring = Scoring> {
  readonly info: Info
  readonly score: (problem: Problem, trajectory: Trajectory) => Effect.Effect<S, VerifierError | BudgetExhausted>
}

/** The process-reward-model service. */
export class ProcessRewardModel extends Context.Service<ProcessRewardModel, Service>()(
  "@stepwise/ProcessRewardModel"
) {}

/** What a verifier implements: one scoring call (which may return more than a `Scoring`, e.g. a report). */
export interface Backend<S extends Scoring = Scoring> {
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
 * Wraps a verifier's scoring hook into the contract: meters one verifier call (and its tokens) against the
 * current `Meter`, checks there is one score in [0, 1] per step, and traces the call.
 *
 * @example
 * const exact = ProcessRewardModel.make({ info: { name: "exact" }, score: (problem, trajectory) => ... })
 */
export const make = <S extends Scoring = Scoring>(backend: Backend<S>): Service<S> => ({
  info: backend.info,
  score: (problem, trajectory) =>
    Effect.gen(function* () {
      const meter = yield* Meter.Meter
      const tokens = backend.maxTokens?.(problem, trajectory) ?? 0
      const claim: Meter.Claim = {
        role: "verifier",
        label: backend.info.name,
        inputTokens: tokens,
        samples: 1,
        maxTokensPerSample: 0,
        minTokensPerSample: 0,
        verifierCalls: 1
      }
      return yield* meter.metered(
        claim,
        () =>
          Effect.flatMap(Meter.asVerifier(backend.score(problem, trajectory)), (scoring) =>
            checkScores(backend.info.name, trajectory, scoring)
          ),
        (scoring) => (backend.tokensMeteredInside === true ? Usage_.zero : scoring.usage)
      )
    }).pipe(Effect.withSpan("ProcessRewardModel.score", { attributes: { verifier: backend.info.name, steps: trajectory.length } }))
})

/** Calls `score` on the `ProcessRewardModel` in context. */
export const score = (
  problem: Problem,
  trajectory: Trajectory
): Effect.Effect<Scoring, VerifierError | BudgetExhausted, ProcessRewardModel> =>
  Effect.flatMap(ProcessRewardModel, (model) => model.score(problem, trajectory))
