import { Heap } from "heap-js"

/** One frontier entry: the item, its priority f, and its insertion number (the tie-break). */
export interface Entry<A> {
  readonly item: A
  readonly f: number
  readonly sequence: number
}

/**
 * A min-priority frontier on heap-js: the lowest f comes out first, ties in insertion order (a sequence
 * number, since heap-js alone is not FIFO on ties). With a `cap`, pushing past it drops the worst entry (highest
 * f, newest on ties). Use for best-first search.
 */
export interface Frontier<A> {
  readonly heap: Heap<Entry<A>>
  readonly cap: number
  sequence: number
  /** Entries dropped by the cap. */
  dropped: number
}

const order = <A>(left: Entry<A>, right: Entry<A>): number => left.f - right.f || left.sequence - right.sequence

/** An empty frontier (`cap` defaults to unbounded). */
export const make = <A>(cap = Number.POSITIVE_INFINITY): Frontier<A> => ({
  heap: new Heap<Entry<A>>(order),
  cap,
  sequence: 0,
  dropped: 0
})

/** Adds an item with priority f; returns the entry the cap dropped, if any (possibly the new one). */
export const push = <A>(frontier: Frontier<A>, item: A, f: number): Entry<A> | undefined => {
  frontier.heap.push({ item, f, sequence: frontier.sequence++ })
  if (frontier.heap.size() <= frontier.cap) return undefined
  let worst: Entry<A> | undefined
  for (const entry of frontier.heap.toArray()) if (worst === undefined || order(entry, worst) > 0) worst = entry
  if (worst !== undefined) {
    frontier.heap.remove(worst, (left, right) => left.sequence === right.sequence)
    frontier.dropped++
  }
  return worst
}

/** Removes and returns the entry with the lowest f (first inserted on ties). */
export const pop = <A>(frontier: Frontier<A>): Entry<A> | undefined => frontier.heap.pop()

/** The number of entries. */
export const size = <A>(frontier: Frontier<A>): number => frontier.heap.size()

/** Every entry, lowest f first. */
export const entries = <A>(frontier: Frontier<A>): ReadonlyArray<Entry<A>> => [...frontier.heap.toArray()].sort(order)
