import { Effect } from "effect"
import type { ProcessRewardModel } from "@stepwise/core"
import { Trajectory } from "@stepwise/core"
import { Auroc, Solution, World } from "@stepwise/simulator"
import type * as Samples from "./Samples.js"

/**
 * How well a verifier's step scores separate right steps from wrong ones on a simulated world's samples. A step is
 * right when the solution is still on the ground-truth chain after it (the world's own reading of the step texts:
 * a step after a derailment is wrong too, as process labels count it).
 */

/** A sampled solution with its per-step labels (true: right so far). */
export interface Labelled extends Samples.Sample {
  readonly rightSoFar: ReadonlyArray<boolean>
}

/** Labels every step of each sample by the world's ground truth (samples of problems it does not know are dropped). */
export const label = (samples: ReadonlyArray<Samples.Sample>): ReadonlyArray<Labelled> =>
  samples.flatMap((sample) => {
    const truth = World.groundTruth(sample.problem)
    if (truth === undefined) return []
    const states = Solution.readAll(truth, Trajectory.stepTexts(sample.trajectory))
    return [{ ...sample, rightSoFar: states.map((state) => !state.derailed) }]
  })

/** Scores of right and of wrong steps. */
export interface Split {
  readonly right: ReadonlyArray<number>
  readonly wrong: ReadonlyArray<number>
}

/**
 * The step scores of a verifier, split by label. `causal`: one call per trajectory, step k's score as given.
 * `prefix`: one call per prefix 1..k, the score of its last step (how a search asks a whole-prefix verifier).
 */
export const split = (
  verifier: ProcessRewardModel.Service,
  samples: ReadonlyArray<Labelled>,
  mode: "causal" | "prefix"
): Effect.Effect<Split, unknown> =>
  Effect.gen(function* () {
    const right: Array<number> = []
    const wrong: Array<number> = []
    const add = (score: number, isRight: boolean) => (isRight ? right : wrong).push(score)
    for (const sample of samples) {
      if (mode === "causal") {
        const scoring = yield* verifier.score(sample.problem, sample.trajectory)
        scoring.stepScores.forEach((score, index) => add(score, sample.rightSoFar[index]!))
      } else {
        for (let length = 1; length <= sample.trajectory.length; length++) {
          const scoring = yield* verifier.score(sample.problem, Trajectory.prefix(sample.trajectory, length))
          add(scoring.stepScores[length - 1]!, sample.rightSoFar[length - 1]!)
        }
      }
    }
    return { right, wrong }
  })

/** A separation: the AUROC of right against wrong steps, the counts, and how many standard errors it is above chance. */
export interface Separation {
  readonly auroc: number
  readonly right: number
  readonly wrong: number
  /** (AUROC − 0.5) / its standard error under Hanley and McNeil's (1982) approximation. */
  readonly z: number
}

/** The separation of a split (Hanley–McNeil standard error of the AUROC). */
export const separation = (scores: Split): Separation => {
  const auroc = Auroc.of(scores.right, scores.wrong)
  const positives = scores.right.length
  const negatives = scores.wrong.length
  const q1 = auroc / (2 - auroc)
  const q2 = (2 * auroc * auroc) / (1 + auroc)
  const variance = (auroc * (1 - auroc) + (positives - 1) * (q1 - auroc * auroc) + (negatives - 1) * (q2 - auroc * auroc)) / (positives * negatives)
  return { auroc, right: positives, wrong: negatives, z: (auroc - 0.5) / Math.sqrt(Math.max(variance, 1e-12)) }
}
