import { Effect } from "effect"
import { z } from "zod"
import type { LanguageModelError, Problem, SearchResult, VerifierError } from "@stepwise/core"
import * as BestFirst from "./BestFirst.js"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as SearchOptions from "./SearchOptions.js"
import type { Equivalence, Method } from "./Selection.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import type { Requirements } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * The path cost g of A*-decoding, added per step: a constant per step (`depth`), per output token (`tokens`),
 * the step's −log r (`logScore`, so g = −log Π r), or nothing (`none`: greedy best-first on h).
 */
export type PathCost = "depth" | "tokens" | "logScore" | "none"

/** Every path cost. */
export const pathCosts = ["depth", "tokens", "logScore", "none"] as const satisfies ReadonlyArray<PathCost>

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

/** The options of A*-decoding (strict). */
export const options = z
  .object({
    expansions: z
      .number()
      .int()
      .min(1)
      .default(4)
      .describe("k: continuations sampled per expansion, batched with n (see the README for the measured trade-off)."),
    pathCost: z.enum(pathCosts).default("depth").describe("What g adds per step."),
    pathWeight: z.number().min(0).optional().describe("The weight of the path cost (default per pathCost: depth 0.01, tokens 0.0005, logScore 0.3)."),
    goals: Strategy.sizeOption().default(1).describe("Stop after this many goals are popped (1: the first goal)."),
    frontierCap: z.number().int().min(1).default(256).describe("Most entries the frontier keeps; the worst f is dropped past it."),
    selection: z
      .enum(["first", ...Selection.methods])
      .default("first")
      .describe("How to pick among popped goals: the first popped, or a selection method."),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    ...SearchOptions.steps,
    ...SearchOptions.scoring,
    ...SearchOptions.running
  })
  .strict()

/** Options of A*-decoding as a user writes them. */
export type Options = z.input<typeof options>

/**
 * A*-decoding (Chatziveroglou 2025): best-first search over partial solutions by f = g + h, with h = 1 − r
 * (r the verifier's aggregate of the trajectory, by default the newest step's score) and g a path cost. Each
 * expansion samples k next steps in one request and scores them concurrently; duplicate trajectories (equal
 * `Trajectory.key`) are dropped; the search stops at the first goal popped (or the m-th), or when the budget ends,
 * when it returns the lowest-f finished trajectory generated so far.
 */
export const entry = Strategy.define({
  kind: "a-star",
  description: "Best-first over partial solutions by f = g + h, h = 1 − verifier score; k samples per expansion (arXiv 2505.13672).",
  options,
  size: { option: "goals", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 1024 },
  build: (settings) => {
    const { expansions, pathCost, goals, frontierCap, selection } = settings
    const pathWeight = settings.pathWeight ?? defaultPathWeights[pathCost]
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
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
      options: Strategy.describe({ ...settings, pathWeight }),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          // Each node's f, for the pick when no goal was popped.
          nodeData: (): { f: number | undefined } => ({ f: undefined }),
          body: (recorder) =>
            Effect.map(
              BestFirst.search<number, LanguageModelError | VerifierError, Requirements>({
                start: { state: 0, key: TreeRecorder.node(recorder, 0).trajectory.key, g: 0, h: 1, goal: false },
                goals,
                frontierCap,
                shouldStop: () => TreeRecorder.isExhausted(recorder),
                expand: (parent) =>
                  Effect.gen(function* () {
                    const ids = yield* Expansion.expandNode(problem, recorder, parent.state, {
                      n: expansions,
                      seed: Seed.derive(settings.seed, "a-star", parent.state),
                      sampling: settings
                    })
                    if (ids.length === 0 && TreeRecorder.isExhausted(recorder)) return undefined
                    const scores = yield* Scoring.scoreNodes(problem, recorder, ids, settings)
                    return ids.map((id, index) => {
                      const node = TreeRecorder.node(recorder, id)
                      const child = {
                        state: id,
                        key: node.trajectory.key,
                        g: parent.g + stepCost(recorder, id),
                        h: 1 - (scores[index] ?? 0),
                        goal: node.finished
                      }
                      node.data.f = BestFirst.f(child)
                      return child
                    })
                  })
              }),
              (outcome) => outcome.goals.map((goal) => goal.state)
            ),
          select: ({ candidates, state, recorder }) =>
            pickAmong(candidates, state ?? [], (id) => TreeRecorder.node(recorder, id).data.f, selection, equivalence),
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

/**
 * Makes A*-decoding from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* AStar.make({ expansions: 4 })
 */
export const make = Strategy.maker(entry)

/**
 * The answer of an A* run: among the popped goals (in popped order), the first or a selection; when none was
 * popped (the budget ended), the finished trajectory with the lowest f generated so far.
 */
export const pickAmong = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  popped: ReadonlyArray<number>,
  fOf: (nodeId: number) => number | undefined,
  selection: "first" | Method,
  equivalence: Equivalence
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
            (fOf(left.nodeId) ?? Number.POSITIVE_INFINITY) - (fOf(right.nodeId) ?? Number.POSITIVE_INFINITY) ||
            left.nodeId - right.nodeId
        )
  if (selection !== "first") return Selection.select(ordered, selection, equivalence)
  const first = ordered.find((candidate) => candidate.answer !== undefined) ?? ordered[0]
  return { answer: first?.answer, best: first }
}
