import { Effect } from "effect"
import type { InvalidOptions, LanguageModelError, Problem, SearchResult, VerifierError } from "@stepwise/core"
import * as BestFirst from "./BestFirst.js"
import * as Common from "./Common.js"
import * as Expansion from "./Expansion.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as Seed from "./Seed.js"
import type { Method, Normalizer } from "./Selection.js"
import * as Selection from "./Selection.js"
import type { Strategy } from "./Strategy.js"
import { describe } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"
import * as Validate from "./Validate.js"

/**
 * The path cost g of A*-decoding, added per step: a constant per step (`depth`), per output token (`tokens`),
 * the step's −log r (`logScore`, so g = −log Π r), or nothing (`none`: greedy best-first on h).
 */
export type PathCost = "depth" | "tokens" | "logScore" | "none"

/** Every path cost. */
export const pathCosts: ReadonlyArray<PathCost> = ["depth", "tokens", "logScore", "none"]

/**
 * The default weight of each path cost, chosen so g stays small against h = 1 − r ∈ [0, 1]: a step costs about
 * 0.01–0.03 (a depth unit, ~40 tokens, or −log r of a confident step times 0.3). A larger weight makes every
 * shallow node cheaper than any deeper one and A* degenerates into breadth-first search (on the simulator's
 * calibrated world, 0.05 per step already spends 3× the tokens and finishes fewer problems; 0.1 halves accuracy).
 */
export const defaultPathWeights: Readonly<Record<PathCost, number>> = {
  depth: 0.01,
  tokens: 0.0005,
  logScore: 0.3,
  none: 0
}

/** Options of A*-decoding. */
export interface Options extends Common.Options {
  /** k: continuations sampled per expansion, batched with `n` (default 4; see the README for the measured trade-off). */
  readonly expansions?: number
  /** What g adds per step (default `depth`). */
  readonly pathCost?: PathCost
  /** The weight of the path cost (default per `pathCost`, see `defaultPathWeights`). */
  readonly pathWeight?: number
  /** Stop after this many goals are popped (default 1: the first goal). */
  readonly goals?: number
  /** Most entries the frontier keeps; the worst f is dropped past it (default 256). */
  readonly frontierCap?: number
  /** How to pick among popped goals: the first popped (default) or a selection method. */
  readonly selection?: "first" | Method
  /** Groups equal answers for the votes (default `Answer.normalize`). */
  readonly normalize?: Normalizer
}

/**
 * A*-decoding (Chatziveroglou 2025): best-first search over partial solutions by f = g + h, with h = 1 − r
 * (r the verifier's aggregate of the trajectory, by default the newest step's score) and g a path cost. Each
 * expansion samples k next steps in one request and scores them concurrently; duplicate trajectories (equal
 * `Trajectory.key`) are dropped; the search stops at the first goal popped (or the m-th), or when the budget ends,
 * when it returns the lowest-f finished trajectory generated so far.
 *
 * @example
 * const strategy = yield* AStar.make({ expansions: 4 })
 */
export const make = (options: Options = {}): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Validate.all("AStar", [
      Validate.integerAtLeast("expansions", options.expansions, 1),
      Validate.oneOf("pathCost", options.pathCost, pathCosts),
      Validate.nonNegative("pathWeight", options.pathWeight),
      Validate.integerAtLeast("goals", options.goals, 1),
      Validate.integerAtLeast("frontierCap", options.frontierCap, 1),
      Validate.oneOf("selection", options.selection, ["first", ...Selection.methods]),
      Validate.that("normalize", options.normalize === undefined || typeof options.normalize === "function", "must be a function"),
      ...Common.checks(options)
    ])
    const common = Common.resolve(options)
    const expansions = options.expansions ?? 4
    const pathCost = options.pathCost ?? "depth"
    const pathWeight = options.pathWeight ?? defaultPathWeights[pathCost]
    const goals = options.goals ?? 1
    const frontierCap = options.frontierCap ?? 256
    const selection = options.selection ?? "first"
    const normalize = options.normalize ?? Selection.defaultNormalizer
    const name = `a-star-${expansions}`
    const stepCost = (recorder: TreeRecorder.Recorder, id: number): number => {
      const node = TreeRecorder.node(recorder, id)
      switch (pathCost) {
        case "depth":
          return pathWeight
        case "tokens":
          return pathWeight * (node.usage.outputTokens ?? Math.ceil((node.trajectory.step?.text.length ?? 0) / 4))
        case "logScore":
          return pathWeight * -Math.log(Math.max(1e-6, node.score ?? 1e-6))
        case "none":
          return 0
      }
    }
    return {
      name,
      options: describe({ expansions, pathCost, pathWeight, goals, frontierCap, selection, ...common }),
      run: (problem: Problem.Problem) => {
        const fOf = new Map<number, number>()
        let popped: ReadonlyArray<number> = []
        return Run.search(
          name,
          problem,
          (recorder) =>
            Effect.gen(function* () {
              const outcome = yield* BestFirst.search<number, LanguageModelError | VerifierError, Common.Requirements>({
                start: { state: 0, key: TreeRecorder.node(recorder, 0).trajectory.key, g: 0, h: 1, goal: false },
                goals,
                frontierCap,
                shouldStop: () => TreeRecorder.isExhausted(recorder),
                expand: (parent) =>
                  Effect.gen(function* () {
                    const ids = yield* Expansion.expandNode(problem, recorder, parent.state, {
                      n: expansions,
                      seed: Seed.derive(common.seed, "a-star", parent.state),
                      sampling: common
                    })
                    if (ids.length === 0 && TreeRecorder.isExhausted(recorder)) return undefined
                    const scores = yield* Scoring.scoreNodes(problem, recorder, ids, common)
                    return ids.map((id, index) => {
                      const node = TreeRecorder.node(recorder, id)
                      const child = {
                        state: id,
                        key: node.trajectory.key,
                        g: parent.g + stepCost(recorder, id),
                        h: 1 - (scores[index] ?? 0),
                        goal: node.finished
                      }
                      fOf.set(id, BestFirst.f(child))
                      return child
                    })
                  })
              })
              popped = outcome.goals.map((goal) => goal.state)
            }),
          (candidates) => pickAmong(candidates, popped, fOf, selection, normalize),
          Common.rescueOf(common)
        )
      }
    }
  })

/**
 * The answer of an A* run: among the popped goals (in popped order), the first or a selection; when none was
 * popped (the budget ended), the finished trajectory with the lowest f generated so far.
 */
export const pickAmong = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  popped: ReadonlyArray<number>,
  fOf: ReadonlyMap<number, number>,
  selection: "first" | Method,
  normalize: Normalizer
): Selection.Selected => {
  const byId = new Map(candidates.map((candidate) => [candidate.nodeId, candidate]))
  const ordered =
    popped.length > 0
      ? popped.flatMap((id) => {
          const candidate = byId.get(id)
          return candidate === undefined ? [] : [candidate]
        })
      : [...candidates].sort(
          (left, right) =>
            (fOf.get(left.nodeId) ?? Number.POSITIVE_INFINITY) - (fOf.get(right.nodeId) ?? Number.POSITIVE_INFINITY) ||
            left.nodeId - right.nodeId
        )
  if (selection !== "first") return Selection.select(ordered, selection, normalize)
  const first = ordered.find((candidate) => candidate.answer !== undefined) ?? ordered[0]
  return { answer: first?.answer, best: first }
}
