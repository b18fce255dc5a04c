import { Effect } from "effect"
import type { InvalidOptions } from "@stepwise/core"
import { ProcessRewardModel, Usage } from "@stepwise/core"
import * as OptionCheck from "./OptionCheck.js"

/**
 * An ensemble of verifiers: each member scores the trajectory (concurrently), and step k's score is the weighted
 * mean of the members' step-k scores (`combine: "mean"`, default) or their minimum (`"min"`, weights ignored).
 * Use to combine a cheap discriminative PRM with an exact checker or a judge.
 *
 * Spend: not metered again — each member is its own verifier and counts its own calls and tokens, so one
 * ensemble score with m members shows m verifier calls.
 *
 * @example
 * const both = yield* Ensemble.make({ members: [{ verifier: prm, weight: 2 }, { verifier: exact }] })
 */
export interface Member {
  readonly verifier: ProcessRewardModel.Service
  /** Weight in the mean (default 1; must be > 0). */
  readonly weight?: number
}

/** Options of `make`. */
export interface Options {
  readonly members: ReadonlyArray<Member>
  readonly combine?: "mean" | "min"
  readonly name?: string
}

/** Combines the members' step scores (pure; `scores[m][k]` is member m's score of step k). */
export const combine = (scores: ReadonlyArray<ReadonlyArray<number>>, weights: ReadonlyArray<number>, how: "mean" | "min"): ReadonlyArray<number> => {
  const steps = scores[0]?.length ?? 0
  const totalWeight = weights.reduce((total, weight) => total + weight, 0)
  return Array.from({ length: steps }, (_, step) => {
    if (how === "min") return Math.min(...scores.map((member) => member[step] ?? 0))
    const value = scores.reduce((total, member, index) => total + (weights[index] ?? 0) * (member[step] ?? 0), 0) / totalWeight
    return Math.min(1, Math.max(0, value))
  })
}

/** Makes the ensemble (validated options). */
export const make = (options: Options): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    yield* OptionCheck.require("Ensemble", "members", Array.isArray(options.members) && options.members.length > 0, "must hold at least one verifier")
    yield* OptionCheck.require("Ensemble", "combine", options.combine === undefined || options.combine === "mean" || options.combine === "min", `must be "mean" or "min"`)
    for (const [index, member] of options.members.entries())
      yield* OptionCheck.positive("Ensemble", `members[${index}].weight`, member.weight)
    const weights = options.members.map((member) => member.weight ?? 1)
    const how = options.combine ?? "mean"
    const service: ProcessRewardModel.Service = {
      info: { name: options.name ?? `ensemble(${how}: ${options.members.map((member) => member.verifier.info.name).join(", ")})` },
      score: (problem, trajectory) =>
        Effect.map(
          Effect.forEach(options.members, (member) => member.verifier.score(problem, trajectory), { concurrency: "unbounded" }),
          (scorings) => ({
            stepScores: combine(
              scorings.map((scoring) => scoring.stepScores),
              weights,
              how
            ),
            usage: Usage.sum(scorings.map((scoring) => scoring.usage))
          })
        )
    }
    return service
  })
