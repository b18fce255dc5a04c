import type { Preset } from "./Preset.js"
import * as Seeded from "./Seeded.js"
import type { WordProblem } from "./WordProblem.js"

/**
 * The hidden facts a world holds about one problem: how hard the model finds it, whether the model is drawn to
 * its trap (and how strongly), whether the verifiers are fooled by that trap. A pure function of the world seed,
 * the preset and the question, so every process agrees.
 */
export interface Latent {
  /** The per-problem shift of the error logit (latent difficulty). */
  readonly shift: number
  /** The per-step shifts of the error logit, one per operation (the crux step's includes the out-of-reach shift). */
  readonly stepShifts: ReadonlyArray<number>
  /** True when the problem is out of the model's reach. */
  readonly outOfReach: boolean
  /** The step (operation index) where an out-of-reach problem defeats the model. */
  readonly cruxStep: number | undefined
  /** True when the problem has a trap and the model is drawn to it. */
  readonly trapActive: boolean
  /** Probability of taking the trap when at its step on the right track (0 when no active trap). */
  readonly trapPull: number
  /** True when the discriminative PRM scores this problem's trap steps as right. */
  readonly rewardModelFooled: boolean
  /** True when the generative verifier calls this problem's trap steps correct. */
  readonly verificationFooled: boolean
}

/** Computes the latent facts of a problem in a world. */
export const of = (preset: Preset, worldSeed: number, problem: WordProblem): Latent => {
  const next = Seeded.stream(Seeded.key(worldSeed, problem.key, "latent"))
  const policy = preset.policy
  const level = problem.difficulty - 3
  const outOfReach = next() < policy.outOfReachShare * Math.max(0, 1 + policy.outOfReachSlope * level)
  const shift = policy.latentSpread * Seeded.normal(next(), next())
  const cruxStep = outOfReach ? Math.floor(next() * problem.operations.length) : undefined
  // At the crux step an easy latent draw does not soften the out-of-reach shift.
  const stepShifts = problem.operations.map((_operation, index) => {
    const own = policy.stepSpread * Seeded.normal(next(), next())
    return index === cruxStep ? Math.max(0, own) - Math.min(0, shift) + policy.outOfReachShift : own
  })
  const trapActive = problem.trap !== undefined && next() < policy.trapRate
  const pull = Seeded.sigmoid(
    policy.trapPullLogit + policy.difficultySlope * level + policy.trapPullSpread * Seeded.normal(next(), next())
  )
  const rewardModelFooled = next() < preset.verifier.trapFooledRate
  const verificationFooled = next() < preset.generativeVerifier.trapFooledRate
  return {
    shift,
    stepShifts,
    outOfReach,
    cruxStep,
    trapActive,
    trapPull: trapActive ? pull : 0,
    rewardModelFooled: trapActive && rewardModelFooled,
    verificationFooled: trapActive && verificationFooled
  }
}

/**
 * The probability that a step at this depth (operations already applied) is an error, outside the trap, at a
 * temperature. Use to check calibration or to reason about a problem's difficulty.
 */
export const errorProbability = (
  preset: Preset,
  problem: WordProblem,
  latent: Latent,
  depth: number,
  temperature: number
): number => {
  const policy = preset.policy
  return Seeded.sigmoid(
    policy.baseErrorLogit +
      policy.difficultySlope * (problem.difficulty - 3) +
      policy.depthSlope * depth +
      latent.shift +
      (latent.stepShifts[depth] ?? 0) +
      policy.temperatureSlope * (temperature - policy.referenceTemperature)
  )
}

/** The probability that a step is a digression at a temperature (more at higher temperatures, none when greedy). */
export const digressionProbability = (preset: Preset, temperature: number): number =>
  Math.min(0.5, preset.policy.digressionRate * (temperature / Math.max(preset.policy.referenceTemperature, 1e-6)))

/**
 * The probability that one sample solves the problem with a correct chain (no error, no trap), at a temperature.
 * Lucky answers from derailed chains come on top.
 */
export const solveProbability = (preset: Preset, problem: WordProblem, latent: Latent, temperature: number): number => {
  let probability = 1
  for (let depth = 0; depth < problem.operations.length; depth++) {
    const trap = latent.trapActive && problem.trap?.step === depth ? latent.trapPull : 0
    probability *= (1 - trap) * (1 - errorProbability(preset, problem, latent, depth, temperature))
  }
  return probability
}
