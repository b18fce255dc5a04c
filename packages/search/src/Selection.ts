import { z } from "zod"
import type { SearchResult } from "@stepwise/core"
import { Answer } from "@stepwise/core"

/**
 * How a strategy picks its answer among finished candidates:
 * - `best`: the candidate with the highest aggregated score;
 * - `majority`: the most frequent normalized answer (self-consistency);
 * - `weighted`: the normalized answer whose candidates' scores sum highest (search-and-learn's weighted vote).
 */
export type Method = "best" | "majority" | "weighted"

/** Every selection method. */
export const methods = ["best", "majority", "weighted"] as const satisfies ReadonlyArray<Method>

/**
 * When two answers are the same answer, for the votes: a canonical key per answer, and optionally buckets and a full
 * relation for keys that may still be equal (see `Answer.Equivalence`). The harness plugs its grader's equivalence
 * in for math data sets, so `\frac12`, `0.5` and `1/2` vote together.
 */
export interface Equivalence extends Answer.Equivalence {}

/** The default equivalence: equal after `Answer.normalize`. */
export const defaultEquivalence: Equivalence = Answer.byNormalization

/** The schema of a selection `method` option with its default. */
export const methodOption = (fallback: Method) =>
  z.enum(methods).default(fallback).describe("How the answer is picked: best score, majority vote or score-weighted vote.")

const isEquivalence = (value: unknown): value is Equivalence =>
  typeof value === "object" && value !== null && typeof (value as { readonly key?: unknown }).key === "function"

/** The schema of an `equivalence` option (code only); `Answer.byNormalization` when unset. */
export const equivalenceOption = z
  .custom<Equivalence>(isEquivalence, { message: "must be an answer equivalence ({ key, buckets?, equivalent? })" })
  .optional()
  .describe("When two answers are the same for the votes: an Answer.Equivalence (code only; default: equal after Answer.normalize).")

/** What a selection found: the chosen answer (raw, as the best candidate of its group wrote it) and that candidate. */
export interface Selected {
  readonly answer: string | undefined
  readonly best: SearchResult.Candidate | undefined
}

/** One class of candidates with equivalent answers, in order of first appearance. */
export interface Group {
  readonly key: string
  readonly members: ReadonlyArray<SearchResult.Candidate>
  readonly count: number
  /** Sum of the members' scores (an unscored member adds 0). */
  readonly weight: number
}

/**
 * Groups candidates with an answer into classes of equivalent answers (`Answer.partition`: canonical keys first,
 * the full relation only inside ambiguous buckets), in order of first appearance.
 */
export const groups = (candidates: ReadonlyArray<SearchResult.Candidate>, equivalence: Equivalence = defaultEquivalence): ReadonlyArray<Group> => {
  const answered = candidates.filter((candidate): candidate is SearchResult.Candidate & { readonly answer: string } => candidate.answer !== undefined)
  const { classes } = Answer.partition(
    answered.map((candidate) => candidate.answer),
    equivalence
  )
  return classes.map((indices) => {
    const members = indices.map((index) => answered[index]!)
    return {
      key: equivalence.key(members[0]!.answer),
      members,
      count: members.length,
      weight: members.reduce((total, member) => total + (member.score ?? 0), 0)
    }
  })
}

// Higher score first; an unscored candidate ranks below every scored one; ties keep the earlier candidate.
const bestOf = (candidates: ReadonlyArray<SearchResult.Candidate>): SearchResult.Candidate | undefined => {
  let best: SearchResult.Candidate | undefined
  for (const candidate of candidates) {
    if (best === undefined) best = candidate
    else if ((candidate.score ?? Number.NEGATIVE_INFINITY) > (best.score ?? Number.NEGATIVE_INFINITY)) best = candidate
  }
  return best
}

// The group with the largest value; ties keep the group that appeared first.
const largest = (all: ReadonlyArray<Group>, value: (group: Group) => number): Group | undefined => {
  let chosen: Group | undefined
  for (const group of all) if (chosen === undefined || value(group) > value(chosen)) chosen = group
  return chosen
}

/**
 * Selects among candidates. Candidates without an extractable answer never win a vote; `best` and `weighted`
 * fall back to `majority` when no candidate is scored. Ties: `best` keeps the earlier candidate, votes keep the
 * answer that appeared first.
 *
 * @example
 * Selection.select(candidates, "weighted", Answer.byNormalization).answer
 */
export const select = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  method: Method,
  equivalence: Equivalence = defaultEquivalence
): Selected => {
  const answered = candidates.filter((candidate) => candidate.answer !== undefined)
  const scored = answered.some((candidate) => candidate.score !== undefined)
  const effective: Method = method !== "majority" && !scored ? "majority" : method
  if (answered.length === 0) {
    const best = bestOf(candidates)
    return { answer: undefined, best }
  }
  if (effective === "best") {
    const best = bestOf(answered)
    return { answer: best?.answer, best }
  }
  const grouped = groups(answered, equivalence)
  const winner = largest(grouped, effective === "majority" ? (group) => group.count : (group) => group.weight)
  const best = winner === undefined ? undefined : bestOf(winner.members)
  return { answer: best?.answer, best }
}
