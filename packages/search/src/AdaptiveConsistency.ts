import { Effect } from "effect"
import { z } from "zod"
import type { Problem, SearchResult } from "@stepwise/core"
import { SearchEvent } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * The Beta stopping criterion's probability that the leading answer is the majority: with `leading` votes for
 * the most frequent answer and `runnerUp` for the second, and a uniform prior, the leading answer's share p
 * between the two is Beta(leading + 1, runnerUp + 1), and the criterion is P(p > 1/2). For whole counts this is
 * exact: Σ_{j=0}^{a} C(n, j) / 2^n with a = leading, n = leading + runnerUp + 1 (summed in log space).
 *
 * @example
 * AdaptiveConsistency.majorityProbability(4, 0) // 31/32 = 0.96875
 */
export const majorityProbability = (leading: number, runnerUp: number): number => {
  const n = leading + runnerUp + 1
  // log C(n, j) − n log 2, term by term: C(n, j + 1) = C(n, j) (n − j) / (j + 1).
  let logTerm = -n * Math.LN2
  let largest = logTerm
  const logTerms: Array<number> = [logTerm]
  for (let j = 0; j < leading; j++) {
    logTerm += Math.log(n - j) - Math.log(j + 1)
    logTerms.push(logTerm)
    largest = Math.max(largest, logTerm)
  }
  let sum = 0
  for (const each of logTerms) sum += Math.exp(each - largest)
  return Math.min(1, Math.exp(largest) * sum)
}

/** The vote counts of the answered candidates' classes of equivalent answers, largest first. */
export const counts = (candidates: ReadonlyArray<SearchResult.Candidate>, equivalence: Selection.Equivalence): ReadonlyArray<number> =>
  Selection.groups(candidates, equivalence)
    .map((group) => group.count)
    .sort((left, right) => right - left)

/** Adaptive-consistency's stopping criterion: the Beta probability that the leading answer is the majority reaches the threshold. */
export const decided = (voteCounts: ReadonlyArray<number>, threshold: number): boolean =>
  majorityProbability(voteCounts[0] ?? 0, voteCounts[1] ?? 0) >= threshold

/** The options of adaptive-consistency (strict; defaults as the paper's code). */
export const options = z
  .object({
    maxSamples: Strategy.sizeOption().default(40).describe("The sampling budget: at most this many samples (the paper: 40)."),
    threshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.95)
      .describe("Stop once P(the leading answer is the majority) under the Beta criterion reaches this (the paper: 0.95)."),
    batch: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Samples drawn per round (one request) before the criterion is checked again (the paper: 1)."),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    seed: SearchOptions.running.seed
  })
  .strict()

/** Options of adaptive-consistency as a user writes them. */
export type Options = z.input<typeof options>

/** Emitted when the criterion holds and sampling stops: the samples drawn, the probability, and the leading answer's votes. */
export const voteDecided = SearchEvent.define<{ readonly samples: number; readonly probability: number; readonly votes: ReadonlyArray<number> }>()(
  "vote-decide"
)

/**
 * Adaptive-consistency (Aggarwal, Madaan, Yang, Mausam 2023, "Let's Sample Step by Step: Adaptive-Consistency for
 * Efficient Reasoning and Coding with LLMs", EMNLP 2023, arXiv 2305.11860; reference code
 * Pranjal2041/AdaptiveConsistency, `BetaStoppingCriteria`). Samples are drawn `batch` at a time (the paper: one);
 * after each round the answered samples' vote counts are checked with the Beta criterion (`decided`): sampling
 * stops at the first round where P(leading answer is the majority) ≥ `threshold`, or after `maxSamples`. The answer
 * is the majority over every sample. Samples without an answer do not vote. No verifier call.
 */
export const entry = Strategy.define({
  kind: "adaptive-consistency",
  description: "Self-consistency that stops sampling once a Beta criterion says the majority is decided (Aggarwal et al. 2023).",
  options,
  size: { option: "maxSamples", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 1024 },
  build: (settings) => {
    const name = `adaptive-consistency-${settings.maxSamples}`
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.asVoid(
              Expansion.sampleRolloutsUntil(problem, recorder, 0, { maxSamples: settings.maxSamples, batch: settings.batch, seed: settings.seed, sampling: settings }, ({ all }) => {
                const votes = counts(
                  all.map((leaf) => TreeRecorder.candidateOf(TreeRecorder.node(recorder, leaf))),
                  equivalence
                )
                if (!decided(votes, settings.threshold)) return Effect.succeed(false)
                return Effect.as(
                  voteDecided.emit({ samples: all.length, probability: majorityProbability(votes[0] ?? 0, votes[1] ?? 0), votes }),
                  true
                )
              })
            ),
          select: ({ candidates }) => Selection.select(candidates, "majority", equivalence)
        })
    }
  }
})

/**
 * Makes adaptive-consistency from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* AdaptiveConsistency.make({ maxSamples: 40, threshold: 0.95 })
 */
export const make = Strategy.maker(entry)
