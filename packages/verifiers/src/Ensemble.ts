import { Effect } from "effect"
import { z } from "zod"
import type { InvalidOptions } from "@stepwise/core"
import { Options as OptionSchemas, ProcessRewardModel, Usage } from "@stepwise/core"
import * as Verifier from "./Verifier.js"

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
  readonly combine?: "mean" | "min" | undefined
  readonly name?: string | undefined
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

const combineOption = z.enum(["mean", "min"]).default("mean").describe("Weighted mean of the members' step scores, or their minimum (weights ignored).")
const weightOption = z.number().positive().default(1).describe("Weight in the mean.")

/** The options of `make` (members are verifier services; code only). */
export const options = z
  .object({
    members: z
      .array(
        z
          .object({
            verifier: z.custom<ProcessRewardModel.Service>((value) => ProcessRewardModel.isMetered(value), {
              message: "must be a verifier built by ProcessRewardModel.make (or wrap)"
            }),
            weight: weightOption
          })
          .strict()
      )
      .min(1)
      .describe("The verifiers, each with a weight."),
    combine: combineOption,
    name: z.string().min(1).optional()
  })
  .strict()

/** The ensemble's options in the verifier registry: members named by kind, made from the same registry. */
export const entryOptions = z
  .object({
    members: z
      .array(
        Verifier.specOption.extend({ weight: weightOption }).strict()
      )
      .min(1)
      .describe("The member verifiers as { kind, options, weight }."),
    combine: combineOption,
    name: z.string().min(1).optional().describe("Name reported to traces (default ensemble(combine: members)).")
  })
  .strict()

const build = (members: ReadonlyArray<{ readonly verifier: ProcessRewardModel.Service; readonly weight: number }>, how: "mean" | "min", name: string | undefined): ProcessRewardModel.Service => {
  const weights = members.map((member) => member.weight)
  // Not metered again: every member is a metered verifier of its own.
  return ProcessRewardModel.wrap({
    info: { name: name ?? `ensemble(${how}: ${members.map((member) => member.verifier.info.name).join(", ")})` },
    score: (problem, trajectory) =>
      Effect.map(
        Effect.forEach(members, (member) => member.verifier.score(problem, trajectory), { concurrency: "unbounded" }),
        (scorings) => ({
          stepScores: combine(
            scorings.map((scoring) => scoring.stepScores),
            weights,
            how
          ),
          usage: Usage.sum(scorings.map((scoring) => scoring.usage))
        })
      )
  })
}

/** Makes the ensemble over verifier services (validated options). */
export const make = (given: Options): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.map(OptionSchemas.parse(options, given, "ensemble"), (settings) => build(settings.members, settings.combine, settings.name))

/** The ensemble's entry of the verifier registry: each member is made from the registry by kind. */
export const entry = Verifier.define({
  kind: "ensemble",
  description: "Combines member verifiers step by step: weighted mean or minimum of their scores.",
  options: entryOptions,
  build: (settings, context) =>
    Effect.map(
      Effect.forEach(settings.members, (member, index) =>
        Effect.map(
          Effect.mapError(
            context.verifierOf({ kind: member.kind, ...(member.options === undefined ? {} : { options: member.options }) }),
            Verifier.nestedAt(`members.${index}`)
          ),
          (verifier) => ({ verifier, weight: member.weight })
        )
      ),
      (members) => build(members, settings.combine, settings.name)
    )
})
