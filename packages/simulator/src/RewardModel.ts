import type { Environment } from "./Environment.js"
import * as Environment_ from "./Environment.js"
import * as Seeded from "./Seeded.js"
import * as Solution from "./Solution.js"
import * as Tokens from "./Tokens.js"
import type { WordProblem } from "./WordProblem.js"

/**
 * The simulated discriminative PRM: one score per step, separating correct-so-far steps from wrong ones with the
 * configured AUROC (scores are logistic of a Gaussian whose mean depends on the step's ground truth), plus the
 * biases real PRMs show: longer trajectories score lower, digressions score high, some traps fool it.
 * A step's score depends only on the problem and the steps up to it, so a shared prefix scores the same.
 */

/** The distance between the means of right and wrong steps, in noise units, that gives an AUROC. */
export const separation = (auroc: number): number => Math.SQRT2 * Seeded.inverseNormal(auroc)

/** What the PRM saw at each step (for calibration and tests). */
export interface StepTruth {
  readonly right: boolean
  /** True for the step that first goes wrong. */
  readonly firstError: boolean
  readonly trapped: boolean
  readonly digression: boolean
}

/** Reads the ground truth of each step. */
export const truths = (problem: WordProblem, texts: ReadonlyArray<string>): ReadonlyArray<StepTruth> => {
  let state = Solution.initial(problem)
  return texts.map((text) => {
    const before = state
    state = Solution.read(problem, state, text)
    return {
      right: !state.derailed,
      firstError: state.derailed && !before.derailed,
      trapped: state.trapped,
      digression: state.progress === before.progress
    }
  })
}

/** Scores every step of a solution to a problem of the world. */
export const scores = (environment: Environment, problem: WordProblem, texts: ReadonlyArray<string>): ReadonlyArray<number> => {
  const verifier = environment.preset.verifier
  const latent = Environment_.latentOf(environment, problem)
  const half = separation(verifier.auroc) / 2
  let hash = Seeded.key(environment.seed, problem.key, "reward-model")
  let tokens = 0
  return truths(problem, texts).map((truth, index) => {
    const text = texts[index] ?? ""
    hash = Seeded.hashText(text, hash)
    const looksRight = truth.right || (truth.trapped && latent.rewardModelFooled)
    const noise = Seeded.normal(Seeded.uniform(hash), Seeded.uniform(Seeded.combine(hash, 0x5bd1)))
    const logit =
      verifier.offset +
      verifier.scale * ((looksRight ? half : truth.firstError ? half - 2 * half * verifier.errorVisibility : -half) + noise) -
      verifier.lengthBias * (tokens / 100) +
      (truth.digression ? verifier.digressionBias : 0)
    tokens += Tokens.count(text) + 1
    return Seeded.sigmoid(logit)
  })
}

/** Tokens a PRM call reads: the question and the steps. */
export const tokensOf = (question: string, texts: ReadonlyArray<string>): number => {
  let total = Tokens.count(question) + 2 * Tokens.perMessage
  for (const text of texts) total += Tokens.count(text) + 1
  return total
}
