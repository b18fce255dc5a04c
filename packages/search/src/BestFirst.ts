import { Effect } from "effect"
import * as Frontier from "./Frontier.js"

/** A search node as best-first search sees it: a state key, its path cost g, heuristic h, and whether it is a goal. */
export interface Node<S> {
  readonly state: S
  /** Equal keys are the same state (duplicate detection). */
  readonly key: string
  readonly g: number
  readonly h: number
  readonly goal: boolean
}

/** The priority of a node: f = g + h. */
export const f = <S>(node: Node<S>): number => node.g + node.h

/** Options of `search`. */
export interface Options<S, E, R> {
  readonly start: Node<S>
  /** The node's successors, or `undefined` to stop the search (the budget ended). */
  readonly expand: (node: Node<S>) => Effect.Effect<ReadonlyArray<Node<S>> | undefined, E, R>
  /** Stop after this many goals are popped (default 1). */
  readonly goals?: number
  /** Frontier cap (default unbounded). */
  readonly frontierCap?: number
  /** Checked before each expansion: stop when it says so. */
  readonly shouldStop?: () => boolean
}

/** What a best-first search did: the goals in the order popped, the expanded nodes in order, and the frontier left. */
export interface Outcome<S> {
  readonly goals: ReadonlyArray<Node<S>>
  readonly expanded: ReadonlyArray<Node<S>>
  readonly frontier: ReadonlyArray<Frontier.Entry<Node<S>>>
  /** Successors dropped as duplicates (a state already reached at no greater cost). */
  readonly duplicates: number
}

/**
 * A* / best-first search: pop the lowest f = g + h (ties first-in), stop when the `goals`-th goal is popped,
 * the frontier is empty or `expand`/`shouldStop` say so. Duplicate detection keeps, per key, the cheapest g
 * reached: a successor no cheaper is dropped and a stale entry is skipped when popped, so with an admissible
 * heuristic the first goal popped is optimal and no node with f > f* is expanded.
 */
export const search = <S, E, R>(options: Options<S, E, R>): Effect.Effect<Outcome<S>, E, R> =>
  Effect.gen(function* () {
    const wanted = options.goals ?? 1
    const frontier = Frontier.make<Node<S>>(options.frontierCap)
    const cheapest = new Map<string, number>([[options.start.key, options.start.g]])
    const goals: Array<Node<S>> = []
    const expanded: Array<Node<S>> = []
    let duplicates = 0
    Frontier.push(frontier, options.start, f(options.start))
    while (goals.length < wanted) {
      if (options.shouldStop?.() === true) break
      const entry = Frontier.pop(frontier)
      if (entry === undefined) break
      const node = entry.item
      if (node.g > (cheapest.get(node.key) ?? Number.POSITIVE_INFINITY)) continue
      if (node.goal) {
        goals.push(node)
        continue
      }
      expanded.push(node)
      const successors = yield* options.expand(node)
      if (successors === undefined) break
      for (const successor of successors) {
        const known = cheapest.get(successor.key)
        if (known !== undefined && successor.g >= known) {
          duplicates++
          continue
        }
        cheapest.set(successor.key, successor.g)
        Frontier.push(frontier, successor, f(successor))
      }
    }
    return { goals, expanded, frontier: Frontier.entries(frontier), duplicates }
  })
