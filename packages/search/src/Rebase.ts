import { Effect } from "effect"
import { z } from "zod"
import type { LanguageModelError, Problem, VerifierError } from "@stepwise/core"
import { Admission, SearchEvent } from "@stepwise/core"
import type { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** The options of REBASE (strict; defaults as the reference configuration). */
export const options = z
  .object({
    width: Strategy.sizeOption()
      .default(16)
      .describe("N: the width budget, the number of solutions the tree ends with (every finished node uses one)."),
    balanceTemperature: z
      .number()
      .positive()
      .default(0.2)
      .describe("T_b in softmax(r / T_b), the reward balance of the width across a depth's nodes (the reference configuration: 0.2)."),
    selection: Selection.methodOption("weighted"),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    ...SearchOptions.steps,
    ...SearchOptions.scoring,
    ...SearchOptions.running
  })
  .strict()

/** Options of REBASE as a user writes them. */
export type Options = z.input<typeof options>

/** REBASE settings with defaults filled in. */
export type Settings = z.output<typeof options>

/** Emitted at every depth: the open nodes (ids), their rewards, the children each gets, and the width left. */
export const allocated = SearchEvent.define<{
  readonly depth: number
  readonly nodes: ReadonlyArray<number>
  readonly rewards: ReadonlyArray<number>
  readonly children: ReadonlyArray<number>
  readonly width: number
}>()("width-allocate")

// A share rounded up, within a relative 1e-9: float noise in a share that is exactly an integer adds no child.
const ceilOf = (value: number): number => Math.ceil(value - 1e-9 * Math.max(1, Math.abs(value)))

/**
 * The reward-balanced split of a width across nodes, by the reference code's rule (`select_softmax`): nodes in
 * order of reward, highest first (ties: the earlier node); each gets ⌈W · e_i / S⌉ children, where
 * e_i = exp(r_i / T) and W and S are the width and the sum of e over the nodes not yet served; W and S then lose
 * what it took. The counts sum to the width, none exceeds ⌈width · softmax_i⌉, and they never grow as rewards fall.
 * Returns the counts in the input order.
 *
 * @example
 * Rebase.allocate([0.9, 0.5, 0.1], 8, 0.2) // [7, 1, 0]
 */
export const allocate = (rewards: ReadonlyArray<number>, width: number, temperature: number): ReadonlyArray<number> => {
  const counts = rewards.map(() => 0)
  if (rewards.length === 0 || width <= 0) return counts
  const order = rewards.map((reward, index) => ({ reward, index })).sort((a, b) => b.reward - a.reward || a.index - b.index)
  // exp((r − max) / T): the same shares as exp(r / T), without overflow.
  const top = order[0]?.reward ?? 0
  const weights = order.map(({ reward }) => Math.exp((reward - top) / temperature))
  // Suffix sums computed once, so the sum over the nodes not yet served carries no subtraction error.
  const suffix = new Array<number>(weights.length + 1).fill(0)
  for (let position = weights.length - 1; position >= 0; position--) suffix[position] = (suffix[position + 1] ?? 0) + (weights[position] ?? 0)
  let left = width
  order.forEach(({ index }, position) => {
    const rest = suffix[position] ?? 0
    const share = rest > 0 ? ceilOf((left * (weights[position] ?? 0)) / rest) : 0
    const count = position === order.length - 1 ? left : Math.min(left, Math.max(0, share))
    counts[index] = count
    left -= count
  })
  return counts
}

/**
 * One depth of REBASE: the open nodes' children allocated by `allocate`, every node's children sampled in one
 * request (batched with n, concurrently across nodes) and recorded in a fixed order, then every new step scored.
 * Returns the new nodes.
 */
const grow = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  open: ReadonlyArray<number>,
  counts: ReadonlyArray<number>,
  depth: number,
  settings: Settings
): Effect.Effect<ReadonlyArray<number>, LanguageModelError | VerifierError, LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel> =>
  Effect.gen(function* () {
    const parents = open.flatMap((id, index) => ((counts[index] ?? 0) > 0 ? [{ id, count: counts[index] ?? 0 }] : []))
    const generated = yield* Admission.forEach(
      parents,
      ({ id, count }) => Expansion.requestNextSteps(problem, recorder, id, { n: count, seed: Seed.derive(settings.seed, "rebase", depth, id), sampling: settings }),
      { concurrency: settings.concurrency }
    )
    const fresh: Array<number> = []
    for (let index = 0; index < parents.length; index++) {
      const parent = parents[index]
      const each = generated[index]
      if (parent === undefined || each === undefined) continue
      fresh.push(...(yield* Expansion.recordNextSteps(recorder, parent.id, each, settings)))
    }
    yield* Scoring.scoreNodes(problem, recorder, fresh, settings)
    return fresh
  })

/**
 * REBASE, reward-balanced search (Wu et al. 2024, "Inference Scaling Laws", arXiv 2408.00724; reference code
 * `rebase.py` of github.com/thu-wyz/inference_scaling, as carried in SqueezeAILab/ETS). The tree grows one depth at a
 * time under a width budget N: at each depth every finished node uses one unit of the width; the width left is
 * split across the open nodes by `allocate` — softmax of their rewards (the verifier's score of the newest step, the
 * `last` aggregation by default) over the balance temperature, rounded up in reward order — and each node is
 * expanded into that many sampled next steps, all scored. The search ends when the width is used up or no node is
 * open; the answer is picked among the finished solutions (weighted vote by default, the paper's best aggregation).
 */
export const entry = Strategy.define({
  kind: "rebase",
  description: "Reward-balanced search: each depth's width split across nodes by softmax(reward / T), finished nodes use it up (Wu et al. 2024).",
  options,
  size: { option: "width", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution) },
  build: (settings) => {
    const name = `rebase-${settings.width}`
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              let width = settings.width
              let frontier: ReadonlyArray<number> = [0]
              for (let depth = 0; !TreeRecorder.isExhausted(recorder); depth++) {
                const open: Array<number> = []
                for (const id of frontier) {
                  if (TreeRecorder.node(recorder, id).finished) width -= 1
                  else open.push(id)
                }
                if (width <= 0 || open.length === 0) break
                const rewards = open.map((id) => TreeRecorder.node(recorder, id).aggregate ?? 0)
                const counts = allocate(rewards, width, settings.balanceTemperature)
                yield* allocated.emit({ depth, nodes: open, rewards, children: counts, width })
                frontier = yield* grow(problem, recorder, open, counts, depth, settings)
              }
            }),
          select: ({ candidates }) => Selection.select(candidates, settings.selection, equivalence),
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

/**
 * Makes REBASE from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* Rebase.make({ width: 32, balanceTemperature: 0.2 })
 */
export const make = Strategy.maker(entry)
