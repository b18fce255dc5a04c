import * as Step from "./Step.js"

type Step = Step.Step

/**
 * A partial or finished solution: a persistent list of steps. Appending is O(1) and shares the parent,
 * so a search tree of trajectories costs one node per step. `key` is a structural hash of the step texts,
 * equal for equal texts, for caches and duplicate detection.
 */
export interface Trajectory {
  readonly parent: Trajectory | undefined
  /** The newest step; `undefined` only for the empty trajectory. */
  readonly step: Step | undefined
  /** Number of steps. */
  readonly length: number
  /** Structural key: equal step texts give equal keys. */
  readonly key: string
  /** True once the trajectory holds a final answer (or the policy ended it). */
  readonly finished: boolean
}

// Two independent 32-bit FNV-1a lanes, chained over step texts, give a cheap 64-bit structural key.
const FNV_OFFSET_A = 0x811c9dc5
const FNV_OFFSET_B = 0x01000193 ^ 0x5bd1e995
const fnv = (seed: number, text: string): number => {
  let hash = seed >>> 0
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  // Mark the end of each step so that "ab" + "c" and "a" + "bc" differ.
  hash ^= 0xff
  return Math.imul(hash, 0x01000193) >>> 0
}
const hex = (value: number): string => value.toString(16).padStart(8, "0")
const keyLanes = (key: string): readonly [number, number] => [
  Number.parseInt(key.slice(0, 8), 16),
  Number.parseInt(key.slice(8, 16), 16)
]

/** The trajectory with no steps. */
export const empty: Trajectory = {
  parent: undefined,
  step: undefined,
  length: 0,
  key: hex(FNV_OFFSET_A) + hex(FNV_OFFSET_B),
  finished: false
}

/**
 * Appends a step in O(1), sharing the parent.
 *
 * @example
 * const next = Trajectory.append(Trajectory.empty, Step.make({ text: "Step 1: 2 + 2 = 4" }))
 */
export const append = (
  trajectory: Trajectory,
  step: Step,
  options?: { readonly finished?: boolean }
): Trajectory => {
  const [laneA, laneB] = keyLanes(trajectory.key)
  return {
    parent: trajectory,
    step,
    length: trajectory.length + 1,
    key: hex(fnv(laneA, step.text)) + hex(fnv(laneB ^ 0x9e3779b9, step.text)),
    finished: options?.finished ?? false
  }
}

/** Builds a trajectory from steps, oldest first. */
export const fromSteps = (steps: Iterable<Step>, options?: { readonly finished?: boolean }): Trajectory => {
  let trajectory = empty
  const all = [...steps]
  all.forEach((step, index) => {
    trajectory = append(trajectory, step, index === all.length - 1 ? options : undefined)
  })
  return trajectory
}

/** Marks a trajectory finished (O(1); shares everything). */
export const finish = (trajectory: Trajectory): Trajectory =>
  trajectory.finished ? trajectory : { ...trajectory, finished: true }

/** The steps, oldest first (O(length)). */
export const steps = (trajectory: Trajectory): ReadonlyArray<Step> => {
  const result: Array<Step> = new Array(trajectory.length)
  let node: Trajectory | undefined = trajectory
  let index = trajectory.length - 1
  while (node !== undefined && node.step !== undefined) {
    result[index--] = node.step
    node = node.parent
  }
  return result
}

/** The step texts, oldest first. */
export const stepTexts = (trajectory: Trajectory): ReadonlyArray<string> => steps(trajectory).map((step) => step.text)

/** The whole text, steps joined by a delimiter (default the blank line that separates steps). */
export const text = (trajectory: Trajectory, delimiter: string = Step.delimiter): string => stepTexts(trajectory).join(delimiter)

/** The prefix of the first `length` steps (O(length of the trajectory)). */
export const prefix = (trajectory: Trajectory, length: number): Trajectory => {
  let node: Trajectory = trajectory
  while (node.length > length && node.parent !== undefined) node = node.parent
  return node
}
