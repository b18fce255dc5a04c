import { Effect } from "effect"
import type { BudgetExhausted, SearchResult } from "@stepwise/core"
import { Answer, SearchEvent, SearchTree, Trajectory, Usage } from "@stepwise/core"
import type { Step } from "@stepwise/core"

/**
 * The mutable record of one search: every node it generated (with its trajectory, step score, the strategy's
 * aggregated score, its children and the strategy's own typed per-node `data`), the finished candidates, and why
 * it stopped. Strategies add nodes through it so that the explored `SearchTree` and the `SearchEvent`s stay in
 * step; `Run.search` turns it into a result. `Data` is what a strategy keeps per node (MCTS: visits and value
 * sums), made by the recorder's `initialData` for every new node, so no side map is needed.
 */
export interface Recorder<Data = unknown> {
  readonly nodes: Array<MutableNode<Data>>
  /** Set when a call hit the budget; strategies stop growing once it is set. */
  exhausted: BudgetExhausted | undefined
  /** Finished nodes that are not candidates (lookahead steps, siblings a greedy pick dropped). */
  readonly excluded: Set<number>
  /** Makes the `data` of a new node. */
  readonly initialData: (node: { readonly id: number; readonly parentId: number | undefined; readonly depth: number }) => Data
}

/** A node while the search runs. */
export interface MutableNode<Data = unknown> {
  readonly id: number
  readonly parentId: number | undefined
  readonly depth: number
  readonly trajectory: Trajectory.Trajectory
  readonly usage: Usage.Usage
  readonly finished: boolean
  /** The ids of this node's children, in creation order. */
  readonly children: Array<number>
  /** The verifier's score of this node's newest step. */
  score: number | undefined
  /** The strategy's aggregated score of the whole trajectory ending here. */
  aggregate: number | undefined
  /** The strategy's own per-node data. */
  data: Data
}

/**
 * A recorder holding only the root (the prompt). `initialData` makes each node's `data` (default: none).
 *
 * @example
 * const recorder = TreeRecorder.make(() => ({ visits: 0, valueSum: 0 }))
 */
export function make(): Recorder<undefined>
export function make<Data>(initialData: Recorder<Data>["initialData"]): Recorder<Data>
export function make<Data>(initialData?: Recorder<Data>["initialData"]): Recorder<Data | undefined> {
  const initial: Recorder<Data | undefined>["initialData"] = initialData ?? (() => undefined)
  return {
    nodes: [
      {
        id: SearchTree.rootId,
        parentId: undefined,
        depth: 0,
        trajectory: Trajectory.empty,
        usage: Usage.zero,
        finished: false,
        children: [],
        score: undefined,
        aggregate: undefined,
        data: initial({ id: SearchTree.rootId, parentId: undefined, depth: 0 })
      }
    ],
    exhausted: undefined,
    excluded: new Set(),
    initialData: initial
  }
}

/** The node with an id; ids are indices handed out by this recorder, so the node always exists. */
export const node = <Data>(recorder: Recorder<Data>, id: number): MutableNode<Data> => recorder.nodes[id] as MutableNode<Data>

/** The children of a node, in creation order. */
export const children = <Data>(recorder: Recorder<Data>, id: number): ReadonlyArray<MutableNode<Data>> =>
  node(recorder, id).children.map((child) => node(recorder, child))

/** True once a call hit the budget. */
export const isExhausted = (recorder: Recorder): boolean => recorder.exhausted !== undefined

/** Notes that a call hit the budget (the first such error is kept). */
export const markExhausted = (recorder: Recorder, error: BudgetExhausted): Effect.Effect<void> =>
  recorder.exhausted === undefined
    ? Effect.andThen(
        Effect.sync(() => {
          recorder.exhausted = error
        }),
        SearchEvent.emit({ _tag: "budget-exhaust", resource: error.resource, budget: error.budget, requested: error.requested })
      )
    : Effect.void

/** Emits `node-expand` for a node about to be grown by `samples` samples. */
export const expand = (recorder: Recorder, id: number, samples: number): Effect.Effect<void> =>
  SearchEvent.emit({ _tag: "node-expand", nodeId: id, depth: node(recorder, id).depth, samples })

/**
 * Adds a child step under a node, carrying the usage of the call that produced it, and emits `step-generate`.
 * Returns the new node's id.
 */
export const add = (
  recorder: Recorder,
  parentId: number,
  step: Step.Step,
  options: { readonly finished: boolean; readonly usage: Usage.Usage }
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const parent = node(recorder, parentId)
    const id = recorder.nodes.length
    const depth = parent.depth + 1
    recorder.nodes.push({
      id,
      parentId,
      depth,
      trajectory: Trajectory.append(parent.trajectory, step, { finished: options.finished }),
      usage: options.usage,
      finished: options.finished,
      children: [],
      score: undefined,
      aggregate: undefined,
      data: recorder.initialData({ id, parentId, depth })
    })
    parent.children.push(id)
    return Effect.as(
      SearchEvent.emit({ _tag: "step-generate", nodeId: id, parentId, text: step.text, usage: options.usage, finished: options.finished }),
      id
    )
  })

/**
 * Records a scoring of the node's trajectory: the step scores fill in the scores of the node and its ancestors
 * that have none, `aggregate` is the strategy's number for the whole trajectory. Emits `step-score`.
 */
export const setScores = (
  recorder: Recorder,
  id: number,
  stepScores: ReadonlyArray<number>,
  aggregate: number | undefined
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const target = node(recorder, id)
    target.aggregate = aggregate
    let current: MutableNode | undefined = target
    while (current !== undefined && current.parentId !== undefined) {
      const score = stepScores[current.depth - 1]
      if (current === target || current.score === undefined) current.score = score
      current = current.parentId === undefined ? undefined : node(recorder, current.parentId)
    }
    const newest = target.score
    return newest === undefined ? Effect.void : SearchEvent.emit({ _tag: "step-score", nodeId: id, score: newest })
  })

/** The finished nodes not excluded, in creation order, as candidates (answer from the last step's `\boxed{}`). */
export const candidates = (recorder: Recorder): ReadonlyArray<SearchResult.Candidate> =>
  recorder.nodes.filter((each) => each.finished && !recorder.excluded.has(each.id)).map(candidateOf)

/** Marks a node as not a candidate even when finished (a lookahead step, a dropped sibling). */
export const exclude = (recorder: Recorder, id: number): void => {
  recorder.excluded.add(id)
}

/** One node as a candidate. */
export const candidateOf = (each: MutableNode<unknown>): SearchResult.Candidate => ({
  nodeId: each.id,
  trajectory: each.trajectory,
  answer: answerOf(each.trajectory),
  score: each.aggregate
})

/** The answer a trajectory ends with: the last step's `\boxed{}` content. */
export const answerOf = (trajectory: Trajectory.Trajectory): string | undefined =>
  trajectory.step === undefined ? undefined : Answer.extractBoxed(trajectory.step.text)

/** The explored tree, frozen. */
export const tree = (recorder: Recorder): SearchTree.SearchTree => ({
  nodes: recorder.nodes.map((each) => ({
    id: each.id,
    parentId: each.parentId,
    depth: each.depth,
    text: each.trajectory.step?.text ?? "",
    score: each.score,
    usage: each.usage,
    finished: each.finished
  }))
})

/** The policy usage summed over the tree. */
export const usage = (tree: SearchTree.SearchTree): Usage.Usage => Usage.sum(tree.nodes.map((each) => each.usage))

/**
 * Joins several explored trees under one root: each tree's root becomes the shared root, other ids are
 * renumbered (`ids[i]` maps tree i's ids to the merged ones). Use in combinators whose result covers several runs.
 */
export const merge = (
  trees: ReadonlyArray<SearchTree.SearchTree>
): { readonly tree: SearchTree.SearchTree; readonly ids: ReadonlyArray<ReadonlyMap<number, number>> } => {
  const ids: Array<Map<number, number>> = []
  const nodes: Array<SearchTree.Node> = [
    { id: SearchTree.rootId, parentId: undefined, depth: 0, text: "", score: undefined, usage: Usage.zero, finished: false }
  ]
  for (const each of trees) {
    const renumbered = new Map<number, number>()
    ids.push(renumbered)
    for (const member of each.nodes) {
      if (member.parentId === undefined) {
        renumbered.set(member.id, SearchTree.rootId)
        continue
      }
      const id = nodes.length
      renumbered.set(member.id, id)
      nodes.push({ ...member, id, parentId: renumbered.get(member.parentId) ?? SearchTree.rootId })
    }
  }
  return { tree: { nodes }, ids }
}
