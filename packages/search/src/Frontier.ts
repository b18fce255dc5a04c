import { Heap } from "heap-js"

/** One frontier entry: the item, its priority f, and its insertion number (the tie-break). */
export interface Entry<A> {
  readonly item: A
  readonly f: number
  readonly sequence: number
}

/** An entry as both heaps hold it: `live` turns false once either end has taken it out. */
export interface Slot<A> {
  readonly entry: Entry<A>
  live: boolean
}

/**
 * A min-priority frontier: the lowest f comes out first, ties in insertion order (a sequence number, since a
 * binary heap alone is not FIFO on ties). With a `cap`, pushing past it drops the worst entry (highest f, newest on
 * ties). Use for best-first search.
 *
 * It is a double-ended priority queue of two heap-js heaps over the same slots, one ordered best-first and one
 * worst-first; taking an entry out of one heap marks its slot dead and the other heap skips it when it surfaces.
 * Push, pop and the cap's drop are O(log n) amortized; a heap is rebuilt without its dead slots once they
 * outnumber the live ones, so memory stays O(size).
 */
export interface Frontier<A> {
  /** Best first: where `pop` takes from. */
  readonly best: Heap<Slot<A>>
  /** Worst first: where the cap drops from (holds nothing and is never used when the frontier is unbounded). */
  readonly worst: Heap<Slot<A>>
  readonly cap: number
  sequence: number
  /** Live entries. */
  live: number
  /** Entries dropped by the cap. */
  dropped: number
}

const order = <A>(left: Entry<A>, right: Entry<A>): number => left.f - right.f || left.sequence - right.sequence
const bestFirst = <A>(left: Slot<A>, right: Slot<A>): number => order(left.entry, right.entry)
const worstFirst = <A>(left: Slot<A>, right: Slot<A>): number => order(right.entry, left.entry)

/** An empty frontier (`cap` defaults to unbounded). */
export const make = <A>(cap = Number.POSITIVE_INFINITY): Frontier<A> => ({
  best: new Heap<Slot<A>>(bestFirst),
  worst: new Heap<Slot<A>>(worstFirst),
  cap,
  sequence: 0,
  live: 0,
  dropped: 0
})

const bounded = <A>(frontier: Frontier<A>): boolean => Number.isFinite(frontier.cap)

/** Takes the first live slot off a heap (dead ones on top are discarded on the way). */
const takeLive = <A>(heap: Heap<Slot<A>>): Slot<A> | undefined => {
  for (let slot = heap.pop(); slot !== undefined; slot = heap.pop()) if (slot.live) return slot
  return undefined
}

/** Rebuilds a heap without its dead slots once they outnumber the live ones (amortized O(1) per removal). */
const compact = <A>(heap: Heap<Slot<A>>, live: number): void => {
  if (heap.size() > 2 * live + 16) heap.init(heap.toArray().filter((slot) => slot.live))
}

/** Adds an item with priority f; returns the entry the cap dropped, if any (possibly the new one). */
export const push = <A>(frontier: Frontier<A>, item: A, f: number): Entry<A> | undefined => {
  const slot: Slot<A> = { entry: { item, f, sequence: frontier.sequence++ }, live: true }
  frontier.best.push(slot)
  frontier.live++
  if (!bounded(frontier)) return undefined
  frontier.worst.push(slot)
  if (frontier.live <= frontier.cap) return undefined
  const worst = takeLive(frontier.worst)
  if (worst === undefined) return undefined
  worst.live = false
  frontier.live--
  frontier.dropped++
  compact(frontier.best, frontier.live)
  return worst.entry
}

/** Removes and returns the entry with the lowest f (first inserted on ties). */
export const pop = <A>(frontier: Frontier<A>): Entry<A> | undefined => {
  const slot = takeLive(frontier.best)
  if (slot === undefined) return undefined
  slot.live = false
  frontier.live--
  compact(frontier.best, frontier.live)
  if (bounded(frontier)) compact(frontier.worst, frontier.live)
  return slot.entry
}

/** The number of entries. */
export const size = <A>(frontier: Frontier<A>): number => frontier.live

/** Every entry, lowest f first. */
export const entries = <A>(frontier: Frontier<A>): ReadonlyArray<Entry<A>> =>
  frontier.best
    .toArray()
    .filter((slot) => slot.live)
    .map((slot) => slot.entry)
    .sort(order)
