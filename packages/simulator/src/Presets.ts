import type { Preset } from "./Preset.js"
import { override } from "./Preset.js"

/**
 * Named worlds. `calibrated` is the default: its curves have the published shape of small models on MATH-500
 * (see the package README for the measured numbers); the others vary one thing each.
 */

/**
 * The calibrated world: single-sample accuracy about 0.3 at temperature 0.8, majority vote rising roughly
 * log-linearly to about 0.45 by N = 64, PRM-weighted best-of-N above majority, oracle pass@64 about 0.8.
 * Difficulty mix follows MATH-500's levels.
 */
export const calibrated: Preset = {
  name: "calibrated",
  description: "Small-model-on-MATH-500 shape: pass@1 ≈ 0.3, maj@64 ≈ 0.45, pass@64 ≈ 0.8; PRM AUROC 0.8.",
  difficultyMix: [43, 90, 105, 128, 134],
  policy: {
    baseErrorLogit: -3.0,
    difficultySlope: 0.5,
    depthSlope: 0.04,
    latentSpread: 1.5,
    stepSpread: 1,
    outOfReachShare: 0.12,
    outOfReachShift: 10,
    outOfReachSlope: 0.35,
    temperatureSlope: 1,
    referenceTemperature: 0.8,
    slipShare: 0.6,
    digressionRate: 0.05,
    trapRate: 0.7,
    trapPullLogit: 0,
    trapPullSpread: 1.5,
    luckyRate: 0.001
  },
  verifier: {
    auroc: 0.8,
    offset: 1,
    scale: 1.5,
    lengthBias: 0.15,
    digressionBias: 1,
    trapFooledRate: 0.5,
    errorVisibility: 0.45
  },
  generativeVerifier: {
    accuracy: 0.85,
    trapFooledRate: 0.4,
    confidence: 2.5
  },
  confidence: {
    sound: 3,
    separation: 1.5,
    trapVisibility: 0.5,
    stepSpread: 0.5,
    tokenSpread: 1
  },
  planning: {
    mergeRate: 0.15,
    skipRate: 0.03
  }
}

/** Mostly short problems (levels 1–2): a model that solves most of them. */
export const easy: Preset = override(calibrated, {
  name: "easy",
  description: "Mostly levels 1–2: high accuracy, little room for search.",
  difficultyMix: [50, 35, 10, 5, 0]
})

/** An even mix of levels 1–5. */
export const medium: Preset = override(calibrated, {
  name: "medium",
  description: "Levels 1–5 in equal shares.",
  difficultyMix: [1, 1, 1, 1, 1]
})

/** Mostly long problems (levels 4–5): where search has the most to win and to lose. */
export const hard: Preset = override(calibrated, {
  name: "hard",
  description: "Mostly levels 4–5: low single-sample accuracy.",
  difficultyMix: [0, 5, 15, 35, 45]
})

/** The calibrated world with a weak PRM (AUROC 0.65, fooled by most traps, strong length bias). */
export const weakVerifier: Preset = override(calibrated, {
  name: "weakVerifier",
  description: "Calibrated policy, weak PRM: AUROC 0.65, fooled by 80% of traps, strong length bias.",
  verifier: { auroc: 0.65, trapFooledRate: 0.8, lengthBias: 0.3 },
  generativeVerifier: { accuracy: 0.7, trapFooledRate: 0.7 }
})

/** The calibrated world with a strong PRM (AUROC 0.95, rarely fooled, little bias). */
export const strongVerifier: Preset = override(calibrated, {
  name: "strongVerifier",
  description: "Calibrated policy, strong PRM: AUROC 0.95, fooled by 10% of traps, little length bias.",
  verifier: { auroc: 0.95, trapFooledRate: 0.1, lengthBias: 0.05, digressionBias: 0.3 },
  generativeVerifier: { accuracy: 0.95, trapFooledRate: 0.1 }
})

/** Every named preset, by name. */
export const all: Readonly<Record<string, Preset>> = { calibrated, easy, medium, hard, weakVerifier, strongVerifier }
