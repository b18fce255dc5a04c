import { z } from "zod"
import type { SearchResult } from "@stepwise/core"
import { Answer, Options } from "@stepwise/core"

/**
 * How a strategy picks its answer among finished candidates:
 * - `best`: the candidate with the highest aggregated score;
 * - `majority`: the most frequent normalized answer (self-consistency);
 * - `weighted`: the normalized answer whose candidates' scores sum highest (search-and-learn's weighted vote).
 */
export type Method = "best" | "majority" | "weighted"

/** Every selection method. */
export const methods = ["best", "majority", "weighted"] as const satisfies ReadonlyArray<Method>

/** Maps an answer to the form under which equal answers are grouped; pluggable (the harness's grader fits here). */
export type Normalizer = (answer: string) => string

/** The default normalizer: `Answer.normalize`. */
export const defaultNormalizer: Normalizer = Answer.normalize

/** The schema of a `selection` option with its default. */
export const methodOption = (fallback: Method) =>
  z.enum(methods).default(fallback).describe("How the answer is picked: best score, majority vote or score-weighted vote.")

/** The schema of a `normalize` option (code only): the vote key of an answer; `Answer.normalize` when unset. */
export const normalizeOption = Options.code<Normalizer>("a function from an answer to the key its votes group by").optional()

/** What a selection found: the chosen answer (raw, as the best candidate of its group wrote it) and that candidate. */
export interface Selected {
  readonly answer: string | undefined
  readonly best: SearchResult.Candidate | undefined
}

/** One group of candidates with the same normalized answer, in order of first appearance. */
export interface Group {
  readonly key: string
  readonly members: ReadonlyArray<SearchResult.Candidate>
  readonly count: number
  /** Sum of the members' scores (an unscored member adds 0). */
  readonly weight: number
}

/** Groups candidates with an answer by normalized answer, in order of first appearance. */
export const groups = (candidates: ReadonlyArray<SearchResult.Candidate>, normalize: Normalizer): ReadonlyArray<Group> => {
  const byKey = new Map<string, Array<SearchResult.Candidate>>()
  for (const candidate of candidates) {
    if (candidate.answer === undefined) continue
    const key = normalize(candidate.answer)
    const members = byKey.get(key)
    if (members === undefined) byKey.set(key, [candidate])
    else members.push(candidate)
  }
  return [...byKey].map(([key, members]) => ({
    key,
    members,
    count: members.length,
    weight: members.reduce((total, member) => total + (member.score ?? 0), 0)
  }))
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
 * Selection.select(candidates, "weighted", Answer.normalize).answer
 */
export const select = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  method: Method,
  normalize: Normalizer = defaultNormalizer
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
  const grouped = groups(answered, normalize)
  const winner = largest(grouped, effective === "majority" ? (group) => group.count : (group) => group.weight)
  const best = winner === undefined ? undefined : bestOf(winner.members)
  return { answer: best?.answer, best }
}
