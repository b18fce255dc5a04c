import { Effect } from "effect"
import { z } from "zod"
import type { Logprob, Problem, SearchResult } from "@stepwise/core"
import * as Confidence from "./Confidence.js"
import * as LogprobSampling from "./LogprobSampling.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Self-certainty of one token position: the KL divergence from the uniform distribution over the position's k
 * top alternatives to the model's probabilities of them, KL(U ‖ p) = −log k − (1/k) Σ_j log p_j — the paper's
 * −(1/V) Σ_j log(V · p_j) with the vocabulary V replaced by the k alternatives a backend returns (the distinct top
 * alternatives plus the sampled token, `Confidence.alternativesOf`), probabilities as given. It is 0 for a uniform
 * top-k that holds all the mass and grows as the distribution concentrates.
 *
 * @example
 * SelfCertainty.tokenCertainty({ token: "a", logprob: Math.log(0.5), top: [{ token: "a", logprob: Math.log(0.5) }, { token: "b", logprob: Math.log(0.25) }] })
 * // −log 2 + (log 2 + log 4) / 2 = log 2 / 2 ≈ 0.3466
 */
export const tokenCertainty = (position: Logprob.TokenLogprob): number => {
  const logprobs = Confidence.alternativesOf(position)
  let total = 0
  for (const logprob of logprobs) total += logprob
  return -Math.log(logprobs.length) - total / logprobs.length
}

/** The self-certainty of a trace: the mean over its tokens (`undefined` for a trace without tokens). */
export const certainty = (positions: ReadonlyArray<Logprob.TokenLogprob>): number | undefined => {
  if (positions.length === 0) return undefined
  let total = 0
  for (const position of positions) total += tokenCertainty(position)
  return total / positions.length
}

/**
 * The Borda votes of candidates ranked by score (highest first; equal scores keep their order; an unscored
 * candidate ranks last): the candidate at rank r of N gets (N − r + 1)^power. `power` 0 is a majority vote.
 *
 * @example
 * SelfCertainty.bordaVotes([0.2, 0.9, 0.5], 1) // [1, 3, 2]
 */
export const bordaVotes = (scores: ReadonlyArray<number | undefined>, power: number): ReadonlyArray<number> => {
  const order = scores
    .map((score, index) => ({ score: score ?? Number.NEGATIVE_INFINITY, index }))
    .sort((left, right) => right.score - left.score || left.index - right.index)
  const votes: Array<number> = new Array<number>(scores.length).fill(0)
  order.forEach(({ index }, rank) => {
    votes[index] = (scores.length - rank) ** power
  })
  return votes
}

/** How the answer is picked: the most self-certain trace, or the Borda vote. */
export const selections = ["best", "borda"] as const

/** The options of Self-Certainty best-of-N (strict). */
export const options = z
  .object({
    n: Strategy.sizeOption().default(8).describe("N: full samples."),
    selection: z
      .enum(selections)
      .default("best")
      .describe("best: the answer of the most self-certain trace with one; borda: answers vote with (N − rank + 1)^power by self-certainty rank."),
    power: z.number().min(0).default(0.5).describe("p of the Borda vote (the reference code: 0.5; 0 is a majority vote)."),
    topLogprobs: z.number().int().min(1).max(20).default(20).describe("k: top alternatives per token over which self-certainty is computed."),
    equivalence: Selection.equivalenceOption,
    batch: z.number().int().min(1).default(8).describe("Samples per request, batched with n."),
    ...SearchOptions.sampling,
    ...SearchOptions.running
  })
  .strict()

/** Options of Self-Certainty best-of-N as a user writes them. */
export type Options = z.input<typeof options>

const choose = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  selection: (typeof selections)[number],
  power: number,
  equivalence: Selection.Equivalence
): Selection.Selected => {
  if (selection === "best") return Selection.select(candidates, "best", equivalence)
  // Every trace is ranked (the reference ranks all N); those with an answer vote.
  const votes = bordaVotes(
    candidates.map((candidate) => candidate.score),
    power
  )
  const voting = candidates.map((candidate, index) => ({ ...candidate, score: votes[index] ?? 0 }))
  const chosen = Selection.select(voting, "weighted", equivalence)
  const best = chosen.best === undefined ? undefined : candidates.find((candidate) => candidate.nodeId === chosen.best?.nodeId)
  return { answer: chosen.answer, best }
}

/**
 * Self-Certainty best-of-N (Kang, Zhao, Song 2025, "Scalable Best-of-N Selection for Large Language Models via
 * Self-Certainty", arXiv 2502.18581; reference code backprop07/Self-Certainty: `confidence_list.py`,
 * `self_certainty_from_list.py`, `voting_from_list.py`). Reward-free: N samples with token logprobs, each scored
 * by its self-certainty (`certainty`, the mean over tokens of `tokenCertainty`), no verifier call.
 * `best` answers with the most self-certain trace that has an answer (the reference gives the others −∞);
 * `borda` ranks all N traces by self-certainty and lets each answer collect (N − r + 1)^p from its traces, the
 * largest total winning (ties: the answer seen first). A backend without logprobs fails it at its first call.
 */
export const entry = Strategy.define({
  kind: "self-certainty",
  description: "N samples scored by self-certainty (KL from uniform over the top-k logprobs); the most certain or a Borda vote (arXiv 2502.18581).",
  options,
  size: { option: "n", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 1024 },
  build: (settings) => {
    const name = `self-certainty-${settings.selection}-${settings.n}`
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
              const sampled = yield* LogprobSampling.sampleRollouts(problem, recorder, 0, {
                strategy: name,
                n: settings.n,
                batch: settings.batch,
                seed: settings.seed,
                sampling: settings,
                concurrency: settings.concurrency,
                topLogprobs: settings.topLogprobs
              })
              for (const { leaf, completion } of sampled)
                TreeRecorder.node(recorder, leaf).aggregate = certainty(completion.logprobs ?? [])
            }),
          select: ({ candidates }) => choose(candidates, settings.selection, settings.power, equivalence)
        })
    }
  }
})

/**
 * Makes Self-Certainty best-of-N from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* SelfCertainty.make({ n: 16, selection: "borda", power: 0.5 })
 */
export const make = Strategy.maker(entry)
