import { Effect } from "effect"
import { z } from "zod"
import type { LanguageModelError, Problem, SearchResult, VerifierError } from "@stepwise/core"
import { InvalidOptions, SearchEvent } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as Run from "./Run.js"
import * as Scoring from "./Scoring.js"
import * as SearchOptions from "./SearchOptions.js"
import type { Equivalence, Method, Selected } from "./Selection.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import type { Requirements } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * The tree policy: UCT (Kocsis & Szepesvári 2006, as llm-reasoners' `MCTS`) or PUCT (AlphaZero, as OpenR's
 * `SearchTree._ucb_score`, with the policy's step probabilities as priors).
 */
export type Rule = "uct" | "puct"

/** Every tree policy. */
export const rules = ["uct", "puct"] as const satisfies ReadonlyArray<Rule>

/** The default exploration constant of each rule: llm-reasoners' `w_exp` 1 for UCT, OpenR's `pb_c_init` 1.25 for PUCT. */
export const defaultExploration: Readonly<Record<Rule, number>> = { uct: 1, puct: 1.25 }

/** How the answer is picked: the most-visited path (classical MCTS), or a selection over every finished candidate. */
export type Pick = "visits" | Method

/** What MCTS keeps per tree node (`TreeRecorder` data): visits, the sum of backed-up values, the prior, membership. */
export interface NodeData {
  visits: number
  valueSum: number
  /** The policy's prior of this step among its siblings (PUCT); 1 / siblings when uniform. */
  prior: number
  /** Part of the search tree: false for rollout steps and for a repeated sibling (both recorded, never selected). */
  member: boolean
}

/** The options of MCTS (strict). */
export const options = z
  .object({
    simulations: Strategy.sizeOption().default(32).describe("Simulations (select, expand, evaluate, back up); the search stops earlier when the budget ends."),
    expansions: z.number().int().min(1).default(4).describe("Next steps sampled when a leaf is expanded (one request, batched with n)."),
    rule: z.enum(rules).default("uct").describe("Tree policy: uct (llm-reasoners) or puct (AlphaZero / OpenR, with step priors)."),
    exploration: z
      .number()
      .min(0)
      .optional()
      .describe("Exploration constant: UCT's w (default 1, llm-reasoners) or PUCT's c_init (default 1.25, OpenR)."),
    puctBase: z.number().positive().default(19652).describe("PUCT's c_base: c = c_init + log((N + c_base + 1) / c_base) (AlphaZero, OpenR)."),
    priors: z
      .enum(["uniform", "logprob"])
      .default("uniform")
      .describe("PUCT priors: uniform over siblings, or exp(mean token logprob) of each step normalized over its siblings (OpenR); logprob needs a backend that returns logprobs."),
    rolloutDepth: z
      .union([z.number().int().min(0), z.literal("end")])
      .default(0)
      .describe("Evaluation of a new leaf: 0 = the verifier's score of it (value bootstrap, OpenR); k = up to k sampled steps first; \"end\" = one rollout to the end of the solution."),
    selection: z
      .enum(["visits", ...Selection.methods])
      .default("visits")
      .describe("The answer: the most-visited path from the root (classical MCTS), or best / majority / weighted over every finished candidate."),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    ...SearchOptions.steps,
    ...SearchOptions.scoring,
    ...SearchOptions.running
  })
  .strict()

/** Options of MCTS as a user writes them. */
export type Options = z.input<typeof options>

/** MCTS settings with defaults filled in. */
export type Settings = z.output<typeof options>

/** Emitted after every simulation: its number, the selected path (node ids from the root) and the value backed up. */
export const backedUp = SearchEvent.define<{
  readonly simulation: number
  readonly path: ReadonlyArray<number>
  readonly value: number
}>()("value-backup")

/** The statistics selection reads of a child: visits, summed value, its verifier score (value before any visit), prior. */
export interface ChildStatistics {
  readonly visits: number
  readonly valueSum: number
  /** The verifier's score of the child, its value while unvisited (llm-reasoners' fast reward, OpenR's initial value). */
  readonly score: number
  readonly prior: number
}

/** The tree policy's settings: the rule, its exploration constant and PUCT's base. */
export interface TreePolicy {
  readonly rule: Rule
  readonly exploration: number
  readonly puctBase: number
}

/** A child's mean backed-up value Q, or its verifier score while unvisited. */
export const meanValue = (child: ChildStatistics): number => (child.visits > 0 ? child.valueSum / child.visits : child.score)

/**
 * The selection score of a child under a parent visited `parentVisits` times:
 * - UCT: Q + w · √(ln max(1, N) / max(1, n)) (llm-reasoners `_uct`);
 * - PUCT: Q + P · √N / (1 + n) · (c_init + ln((N + c_base + 1) / c_base)) (OpenR `_ucb_score`).
 */
export const selectionScore = (parentVisits: number, child: ChildStatistics, policy: TreePolicy): number => {
  const value = meanValue(child)
  if (policy.rule === "uct")
    return value + policy.exploration * Math.sqrt(Math.log(Math.max(1, parentVisits)) / Math.max(1, child.visits))
  const scale = policy.exploration + Math.log((parentVisits + policy.puctBase + 1) / policy.puctBase)
  return value + (child.prior * Math.sqrt(parentVisits) * scale) / (1 + child.visits)
}

/** The index of the child with the highest selection score (ties: the earliest child); -1 when there is none. */
export const selectChild = (parentVisits: number, children: ReadonlyArray<ChildStatistics>, policy: TreePolicy): number => {
  let chosen = -1
  let best = Number.NEGATIVE_INFINITY
  children.forEach((child, index) => {
    const score = selectionScore(parentVisits, child, policy)
    if (chosen === -1 || score > best) {
      chosen = index
      best = score
    }
  })
  return chosen
}

/**
 * The priors of sibling steps from their token logprobs: exp(mean token logprob) of each, normalized to sum 1
 * (OpenR's `update_legal_actions`); `undefined` when a step has no logprobs.
 */
export const logprobPriors = (steps: ReadonlyArray<{ readonly logprobs?: ReadonlyArray<{ readonly logprob: number }> }>): ReadonlyArray<number> | undefined => {
  const weights: Array<number> = []
  for (const step of steps) {
    const logprobs = step.logprobs
    if (logprobs === undefined) return undefined
    const mean = logprobs.length === 0 ? 0 : logprobs.reduce((total, entry) => total + entry.logprob, 0) / logprobs.length
    weights.push(Math.exp(mean))
  }
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  return weights.map((weight) => (total > 0 ? weight / total : 1 / weights.length))
}

type Recorder = TreeRecorder.Recorder<NodeData>

const statisticsOf = (recorder: Recorder, id: number): ChildStatistics => {
  const node = TreeRecorder.node(recorder, id)
  return { visits: node.data.visits, valueSum: node.data.valueSum, score: node.aggregate ?? 0, prior: node.data.prior }
}

/** The children of a node that are part of the search tree, in creation order. */
export const members = (recorder: Recorder, id: number): ReadonlyArray<number> =>
  TreeRecorder.node(recorder, id).children.filter((child) => TreeRecorder.node(recorder, child).data.member)

/**
 * The answer of an MCTS run. `visits`: from the root, follow the most-visited member child (ties: the higher mean
 * value, then the earlier child) to a finished node; when the path ends unfinished, the best-scored finished
 * candidate below its deepest node that has one (rollouts included). Otherwise a selection over all candidates.
 */
export const pickAnswer = (
  recorder: Recorder,
  candidates: ReadonlyArray<SearchResult.Candidate>,
  pick: Pick,
  equivalence: Equivalence
): Selected => {
  if (pick !== "visits") return Selection.select(candidates, pick, equivalence)
  const path = [0]
  for (;;) {
    const current = path[path.length - 1] ?? 0
    if (TreeRecorder.node(recorder, current).finished) break
    let chosen: number | undefined
    for (const child of members(recorder, current)) {
      if (chosen === undefined) {
        chosen = child
        continue
      }
      const a = statisticsOf(recorder, child)
      const b = statisticsOf(recorder, chosen)
      if (a.visits > b.visits || (a.visits === b.visits && meanValue(a) > meanValue(b))) chosen = child
    }
    if (chosen === undefined || TreeRecorder.node(recorder, chosen).data.visits === 0) break
    path.push(chosen)
  }
  const below = (ancestor: number, id: number): boolean => {
    for (let current: number | undefined = id; current !== undefined; current = TreeRecorder.node(recorder, current).parentId)
      if (current === ancestor) return true
    return false
  }
  const answered = candidates.filter((candidate) => candidate.answer !== undefined)
  for (let index = path.length - 1; index >= 0; index--) {
    const ancestor = path[index] ?? 0
    const under = answered.filter((candidate) => below(ancestor, candidate.nodeId))
    if (under.length > 0) return Selection.select(under, "best", equivalence)
  }
  return Selection.select(candidates, "best", equivalence)
}

/**
 * Monte Carlo tree search over reasoning steps (UCT as llm-reasoners' `reasoners/algorithm/mcts.py`; PUCT with
 * step priors as OpenR's `reason/guided_search/tree.py`; rollouts as OptiLLM's `mcts.py` and rStar). Each simulation
 * selects from the root by UCT or PUCT over member children (an unvisited child's value is its verifier score),
 * expands the reached leaf by `expansions` sampled next steps (repeated texts dropped, each new step scored by the
 * verifier), picks the best new child by the same rule, evaluates it — its verifier score (bootstrap), or the score
 * after a rollout of `rolloutDepth` sampled steps or to the end — and adds that value to the visits and value sums
 * of every node on the path (mean values). A finished node reached by selection backs up its own score. Anytime:
 * when the budget ends it answers from what it has; when the simulations end with no finished answer, the
 * most-visited path is rolled out once to the end.
 */
export const entry = Strategy.define({
  kind: "mcts",
  description: "Monte Carlo tree search over steps: UCT/PUCT with the verifier as value, sampled expansions, bootstrap or rollouts, mean backups (llm-reasoners, OpenR).",
  options,
  size: { option: "simulations", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 4096 },
  build: (settings) => {
    const policy: TreePolicy = {
      rule: settings.rule,
      exploration: settings.exploration ?? defaultExploration[settings.rule],
      puctBase: settings.puctBase
    }
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    const wantsLogprobs = settings.rule === "puct" && settings.priors === "logprob"
    const name = `mcts-${settings.simulations}`
    return {
      name,
      options: Strategy.describe({ ...settings, exploration: policy.exploration }),
      run: (problem: Problem.Problem) =>
        Run.search<void, NodeData>({
          strategy: name,
          problem,
          nodeData: () => ({ visits: 0, valueSum: 0, prior: 1, member: true }),
          body: (recorder) => simulate(problem, recorder, settings, policy, wantsLogprobs),
          select: ({ candidates, recorder }) => pickAnswer(recorder, candidates, settings.selection, equivalence),
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

// Marks every node created since `from` as outside the search tree (rollout steps).
const markRollout = (recorder: Recorder, from: number): void => {
  for (let id = from; id < recorder.nodes.length; id++) TreeRecorder.node(recorder, id).data.member = false
}

// Expands a leaf: samples next steps, drops repeated texts from the tree, scores the rest, sets their priors.
const expand = (
  problem: Problem.Problem,
  recorder: Recorder,
  leaf: number,
  settings: Settings,
  wantsLogprobs: boolean
): Effect.Effect<ReadonlyArray<number>, LanguageModelError | VerifierError | InvalidOptions, Requirements> =>
  Effect.gen(function* () {
    const ids = yield* Expansion.expandNode(problem, recorder, leaf, {
      n: settings.expansions,
      seed: Seed.derive(settings.seed, "mcts-expand", leaf),
      sampling: settings,
      ...(wantsLogprobs ? { logprobs: true } : {})
    })
    const seen = new Set<string>()
    const kept: Array<number> = []
    for (const id of ids) {
      const node = TreeRecorder.node(recorder, id)
      const text = node.trajectory.step?.text ?? ""
      if (seen.has(text)) {
        node.data.member = false
        TreeRecorder.exclude(recorder, id)
      } else {
        seen.add(text)
        kept.push(id)
      }
    }
    if (kept.length === 0) return kept
    const steps = kept.map((id) => TreeRecorder.node(recorder, id).trajectory.step ?? {})
    const priors = wantsLogprobs ? logprobPriors(steps) : kept.map(() => 1 / kept.length)
    if (priors === undefined)
      return yield* Effect.fail(
        new InvalidOptions({
          subject: "mcts",
          field: "priors",
          detail: "is \"logprob\", but the backend returned no token logprobs for the sampled steps: use priors \"uniform\" or a backend that returns logprobs"
        })
      )
    kept.forEach((id, index) => {
      TreeRecorder.node(recorder, id).data.prior = priors[index] ?? 0
    })
    yield* Scoring.scoreNodes(problem, recorder, kept, settings)
    return kept
  })

// Rolls a node out (to the end in one request, or `depth` sampled steps); returns the end's value, or undefined.
const rollout = (
  problem: Problem.Problem,
  recorder: Recorder,
  start: number,
  depth: number | "end",
  seed: number,
  settings: Settings
): Effect.Effect<number | undefined, LanguageModelError | VerifierError, Requirements> =>
  Effect.gen(function* () {
    const from = recorder.nodes.length
    let end = start
    if (depth === "end") {
      const generated = yield* Expansion.requestRollouts(problem, recorder, start, { n: 1, seed, sampling: settings })
      end = (yield* Expansion.recordRollouts(recorder, start, generated))[0] ?? start
    } else
      for (let step = 0; step < depth && !TreeRecorder.node(recorder, end).finished; step++) {
        const next = (yield* Expansion.expandNode(problem, recorder, end, { n: 1, seed: Seed.derive(seed, step), sampling: settings }))[0]
        if (next === undefined) break
        end = next
      }
    markRollout(recorder, from)
    if (end === start) return undefined
    return yield* Scoring.scoreNode(problem, recorder, end, settings.aggregation)
  })

// The simulations, then the final rollout of the most-visited path when nothing finished with an answer.
const simulate = (
  problem: Problem.Problem,
  recorder: Recorder,
  settings: Settings,
  policy: TreePolicy,
  wantsLogprobs: boolean
): Effect.Effect<void, LanguageModelError | VerifierError | InvalidOptions, Requirements> =>
  Effect.gen(function* () {
    const choose = (parent: number, children: ReadonlyArray<number>): number | undefined =>
      children[
        selectChild(
          TreeRecorder.node(recorder, parent).data.visits,
          children.map((child) => statisticsOf(recorder, child)),
          policy
        )
      ]
    for (let simulation = 0; simulation < settings.simulations && !TreeRecorder.isExhausted(recorder); simulation++) {
      // Selection: descend by the tree policy to a finished node or a leaf of the tree.
      const path = [0]
      let current = 0
      for (;;) {
        if (TreeRecorder.node(recorder, current).finished) break
        const next = choose(current, members(recorder, current))
        if (next === undefined) break
        path.push(next)
        current = next
      }
      let value: number | undefined
      if (TreeRecorder.node(recorder, current).finished) value = TreeRecorder.node(recorder, current).aggregate ?? 0
      else {
        // Expansion, then evaluation of the best new child.
        const children = yield* expand(problem, recorder, current, settings, wantsLogprobs)
        if (TreeRecorder.isExhausted(recorder)) break
        const chosen = choose(current, children)
        if (chosen === undefined) break
        path.push(chosen)
        const node = TreeRecorder.node(recorder, chosen)
        value = node.aggregate ?? 0
        if (!node.finished && settings.rolloutDepth !== 0) {
          const rolled = yield* rollout(problem, recorder, chosen, settings.rolloutDepth, Seed.derive(settings.seed, "mcts-rollout", chosen, simulation), settings)
          if (rolled !== undefined) value = rolled
        }
      }
      // Backup: every node on the path gets a visit and the value (mean values).
      for (const id of path) {
        const data = TreeRecorder.node(recorder, id).data
        data.visits += 1
        data.valueSum += value
      }
      yield* backedUp.emit({ simulation, path, value })
    }
    if (TreeRecorder.isExhausted(recorder) || TreeRecorder.candidates(recorder).some((candidate) => candidate.answer !== undefined)) return
    // No finished answer: roll the most-visited path's end out once.
    let end = 0
    for (;;) {
      const children = members(recorder, end).filter((child) => TreeRecorder.node(recorder, child).data.visits > 0)
      if (children.length === 0 || TreeRecorder.node(recorder, end).finished) break
      end = children.reduce((best, child) =>
        TreeRecorder.node(recorder, child).data.visits > TreeRecorder.node(recorder, best).data.visits ? child : best
      )
    }
    if (!TreeRecorder.node(recorder, end).finished)
      yield* rollout(problem, recorder, end, "end", Seed.derive(settings.seed, "mcts-final", end), settings)
  })

/**
 * Makes MCTS from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* Mcts.make({ simulations: 64, expansions: 4, rolloutDepth: "end" })
 */
export const make = Strategy.maker(entry)
