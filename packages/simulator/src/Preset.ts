import { InvalidOptions } from "@stepwise/core"

/**
 * The knobs of a simulated world: which problems it poses, how its policy errs, how good its verifiers are.
 * Start from a named preset (`Presets.calibrated`, …) and override what you study.
 */

/** How the policy writes solutions and where it goes wrong. All error settings are in logit units. */
export interface Policy {
  /** Logit of the per-step error probability at difficulty 3, depth 0, latent 0 and the reference temperature. */
  readonly baseErrorLogit: number
  /** Added to the error logit, and to the trap pull's logit, per difficulty level above 3 (subtracted below). */
  readonly difficultySlope: number
  /** Added to the error logit per operation already applied (later steps are harder). */
  readonly depthSlope: number
  /** Standard deviation of the per-problem latent difficulty, added to the error logit of every step. */
  readonly latentSpread: number
  /**
   * Standard deviation of a per-step latent difficulty (each operation of each problem has its own): difficulty
   * concentrates in a few hard steps, where every sample tends to fail alike, as real models do.
   */
  readonly stepSpread: number
  /**
   * Share of difficulty-3 problems that are out of the model's reach: one crux step's error logit is shifted by
   * `outOfReachShift`, so nearly every sample (and every branch of a search) fails there. The share changes by
   * `outOfReachSlope` (relative) per level.
   */
  readonly outOfReachShare: number
  /** Relative change of the out-of-reach share per difficulty level (0.3: level 5 has 1.6× the share of level 3). */
  readonly outOfReachSlope: number
  /** The shift of the error logit at the crux step of an out-of-reach problem. */
  readonly outOfReachShift: number
  /** Added to the error logit per unit of temperature above `referenceTemperature`. */
  readonly temperatureSlope: number
  /** The temperature at which the error settings hold as stated. */
  readonly referenceTemperature: number
  /** Share of errors that are arithmetic slips; the rest use a wrong operand. */
  readonly slipShare: number
  /** Probability that a step is a digression (no progress, costs tokens), at the reference temperature. */
  readonly digressionRate: number
  /** Share of problems with a trap whose trap the model is drawn to. */
  readonly trapRate: number
  /** Mean logit of the probability of taking the trap when at its step on the right track. */
  readonly trapPullLogit: number
  /** Spread (standard deviation, logit units) of the trap pull across problems. */
  readonly trapPullSpread: number
  /** Probability that a derailed solution still lands on the right final answer. */
  readonly luckyRate: number
}

/** The discriminative PRM: quality and biases. */
export interface Verifier {
  /** Target AUROC of step scores, correct-so-far steps against wrong ones, before biases (0.5 < auroc < 1). */
  readonly auroc: number
  /** Logit offset of every score: positive makes the PRM generous, as most are. */
  readonly offset: number
  /** Spread of scores in logit units (the noise's standard deviation). */
  readonly scale: number
  /** Logit subtracted per 100 tokens of trajectory before the step: the length bias of real PRMs. */
  readonly lengthBias: number
  /** Logit added to digressions: overconfidence on steps that make no progress. */
  readonly digressionBias: number
  /** Share of trapped problems on which the PRM is fooled: trap steps (and correct work after them) score as right. */
  readonly trapFooledRate: number
  /**
   * How visible an error is at the step that makes it, as a share of the full separation (1: as visible as any
   * wrong step; 0.5: half the separation). Real PRMs spot a subtle error late, once later steps build on it.
   */
  readonly errorVisibility: number
}

/** The generative (ThinkPRM-style) verification the policy answers. */
export interface GenerativeVerifier {
  /** Probability that the verdict on one step is right. */
  readonly accuracy: number
  /** Share of trapped problems on which the verification chain calls trap steps correct. */
  readonly trapFooledRate: number
  /** Logit of P(yes) after an all-correct chain (and minus it after a chain with an incorrect step). */
  readonly confidence: number
}

/** How sure the policy is of the tokens it writes: the token logprobs it returns when asked. */
export interface Confidence {
  /** Mean logit of the sampled token's probability on the tokens of a sound step. */
  readonly sound: number
  /** Logit lowered on every token of a step that makes an error (a slip, a wrong operand, a lucky guess). */
  readonly separation: number
  /** Share of the separation a trap step shows: a move the model is drawn to is made with more confidence. */
  readonly trapVisibility: number
  /** Standard deviation of a per-step shift of the logit, shared by the step's tokens. */
  readonly stepSpread: number
  /** Standard deviation of each token's logit around its step's. */
  readonly tokenSpread: number
}

/** How the policy answers a planning prompt (`Planning`): the noise of its decomposition. */
export interface Planning {
  /** Probability that an operation is merged into the sub-question before it. */
  readonly mergeRate: number
  /** Probability that an operation is left out of the plan (the composed answer then goes wrong). */
  readonly skipRate: number
}

/** A whole world's settings. */
export interface Preset {
  readonly name: string
  readonly description: string
  /** Relative weights of difficulty levels 1..5 among generated problems. */
  readonly difficultyMix: readonly [number, number, number, number, number]
  readonly policy: Policy
  readonly verifier: Verifier
  readonly generativeVerifier: GenerativeVerifier
  readonly confidence: Confidence
  readonly planning: Planning
}

/** A partial preset: every group may be partly given. */
export interface Overrides {
  readonly name?: string
  readonly description?: string
  readonly difficultyMix?: readonly [number, number, number, number, number]
  readonly policy?: Partial<Policy>
  readonly verifier?: Partial<Verifier>
  readonly generativeVerifier?: Partial<GenerativeVerifier>
  readonly confidence?: Partial<Confidence>
  readonly planning?: Partial<Planning>
}

/**
 * A preset with some settings replaced.
 *
 * @example
 * const world = World.make(Preset.override(Presets.calibrated, { verifier: { auroc: 0.95 } }), { seed: 1 })
 */
export const override = (preset: Preset, overrides: Overrides): Preset => ({
  name: overrides.name ?? preset.name,
  description: overrides.description ?? preset.description,
  difficultyMix: overrides.difficultyMix ?? preset.difficultyMix,
  policy: { ...preset.policy, ...overrides.policy },
  verifier: { ...preset.verifier, ...overrides.verifier },
  generativeVerifier: { ...preset.generativeVerifier, ...overrides.generativeVerifier },
  confidence: { ...preset.confidence, ...overrides.confidence },
  planning: { ...preset.planning, ...overrides.planning }
})

const invalid = (field: string, detail: string) => new InvalidOptions({ subject: "simulator preset", field, detail })

/** Checks a preset's settings; returns the first problem found, naming the field, or `undefined`. */
export const validate = (preset: Preset): InvalidOptions | undefined => {
  const probability = (field: string, value: number) =>
    value >= 0 && value <= 1 ? undefined : invalid(field, `must be in [0, 1], got ${value}`)
  const finite = (field: string, value: number) => (Number.isFinite(value) ? undefined : invalid(field, `must be a finite number, got ${value}`))
  const nonNegative = (field: string, value: number) =>
    Number.isFinite(value) && value >= 0 ? undefined : invalid(field, `must be ≥ 0, got ${value}`)
  const { policy, verifier, generativeVerifier, confidence, planning } = preset
  const checks: ReadonlyArray<InvalidOptions | undefined> = [
    preset.difficultyMix.length === 5 && preset.difficultyMix.every((weight) => weight >= 0) && preset.difficultyMix.some((weight) => weight > 0)
      ? undefined
      : invalid("difficultyMix", "must be five non-negative weights, not all zero"),
    finite("policy.baseErrorLogit", policy.baseErrorLogit),
    finite("policy.difficultySlope", policy.difficultySlope),
    finite("policy.depthSlope", policy.depthSlope),
    nonNegative("policy.latentSpread", policy.latentSpread),
    nonNegative("policy.stepSpread", policy.stepSpread),
    probability("policy.outOfReachShare", policy.outOfReachShare),
    finite("policy.outOfReachShift", policy.outOfReachShift),
    finite("policy.outOfReachSlope", policy.outOfReachSlope),
    finite("policy.temperatureSlope", policy.temperatureSlope),
    nonNegative("policy.referenceTemperature", policy.referenceTemperature),
    probability("policy.slipShare", policy.slipShare),
    policy.digressionRate >= 0 && policy.digressionRate < 1 ? undefined : invalid("policy.digressionRate", `must be in [0, 1), got ${policy.digressionRate}`),
    probability("policy.trapRate", policy.trapRate),
    finite("policy.trapPullLogit", policy.trapPullLogit),
    nonNegative("policy.trapPullSpread", policy.trapPullSpread),
    probability("policy.luckyRate", policy.luckyRate),
    verifier.auroc > 0.5 && verifier.auroc < 1 ? undefined : invalid("verifier.auroc", `must be in (0.5, 1), got ${verifier.auroc}`),
    finite("verifier.offset", verifier.offset),
    verifier.scale > 0 && Number.isFinite(verifier.scale) ? undefined : invalid("verifier.scale", `must be > 0, got ${verifier.scale}`),
    finite("verifier.lengthBias", verifier.lengthBias),
    finite("verifier.digressionBias", verifier.digressionBias),
    probability("verifier.trapFooledRate", verifier.trapFooledRate),
    probability("verifier.errorVisibility", verifier.errorVisibility),
    generativeVerifier.accuracy >= 0.5 && generativeVerifier.accuracy <= 1
      ? undefined
      : invalid("generativeVerifier.accuracy", `must be in [0.5, 1], got ${generativeVerifier.accuracy}`),
    probability("generativeVerifier.trapFooledRate", generativeVerifier.trapFooledRate),
    nonNegative("generativeVerifier.confidence", generativeVerifier.confidence),
    finite("confidence.sound", confidence.sound),
    nonNegative("confidence.separation", confidence.separation),
    probability("confidence.trapVisibility", confidence.trapVisibility),
    nonNegative("confidence.stepSpread", confidence.stepSpread),
    nonNegative("confidence.tokenSpread", confidence.tokenSpread),
    probability("planning.mergeRate", planning.mergeRate),
    probability("planning.skipRate", planning.skipRate)
  ]
  return checks.find((check) => check !== undefined)
}
