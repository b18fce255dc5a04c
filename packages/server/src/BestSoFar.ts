import type { SearchEvent } from "@stepwise/core"
import { Answer } from "@stepwise/core"

/** The best finished answer seen so far: its node, answer and the verifier's score of its last step. */
export interface Best {
  readonly nodeId: number
  readonly answer: string
  readonly score: number | undefined
}

/**
 * Follows a search's events to know its best answer so far, while it runs: among finished steps with a boxed
 * answer, the one with the highest last-step score (unscored ones below scored ones; ties to the earliest). The
 * strategy's own selection (votes, aggregates) decides the final answer; this is what a stream shows meanwhile.
 * Each `search-start` begins afresh (a combinator's searches are followed one after another).
 */
export interface Tracker {
  finished: Map<number, { readonly answer: string; score: number | undefined }>
  best: Best | undefined
}

/** A tracker that has seen nothing. */
export const make = (): Tracker => ({ finished: new Map(), best: undefined })

const better = (candidate: Best, current: Best | undefined): boolean => {
  if (current === undefined) return true
  const rank = (best: Best) => best.score ?? Number.NEGATIVE_INFINITY
  return rank(candidate) > rank(current)
}

const recompute = (tracker: Tracker): Best | undefined => {
  let best: Best | undefined
  for (const [nodeId, node] of tracker.finished) {
    const candidate = { nodeId, answer: node.answer, score: node.score }
    if (better(candidate, best)) best = candidate
  }
  return best
}

/** Takes one event into account; true when the best answer so far changed. */
export const update = (tracker: Tracker, event: SearchEvent.SearchEvent): boolean => {
  const before = tracker.best
  if (event._tag === "search-start") {
    tracker.finished.clear()
    tracker.best = undefined
  } else if (event._tag === "step-generate" && event.finished === true) {
    const answer = Answer.extractBoxed(event.text)
    if (answer !== undefined) tracker.finished.set(event.nodeId, { answer, score: undefined })
    tracker.best = recompute(tracker)
  } else if (event._tag === "step-score") {
    const node = tracker.finished.get(event.nodeId)
    if (node === undefined) return false
    node.score = event.score
    tracker.best = recompute(tracker)
  }
  const after = tracker.best
  return before?.nodeId !== after?.nodeId || before?.score !== after?.score
}
