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

/** The options of early-stopping self-consistency (strict; defaults as the paper). */
export const options = z
  .object({
    window: z.number().int().min(1).default(5).describe("w: samples per window, drawn in one request (the paper: 5)."),
    maxSamples: Strategy.sizeOption().default(40).describe("The sampling budget: at most this many samples (the paper: 40)."),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    seed: SearchOptions.running.seed
  })
  .strict()

/** Options of early-stopping self-consistency as a user writes them. */
export type Options = z.input<typeof options>

/** Emitted when a window is unanimous and sampling stops: the window's number, the samples drawn, the answer. */
export const windowUnanimous = SearchEvent.define<{ readonly window: number; readonly samples: number; readonly answer: string }>()(
  "window-unanimous"
)

/**
 * ESC's stopping criterion: a window is unanimous when it is full (`size` samples), every sample has an answer, and
 * all answers are equivalent (the entropy of its answer distribution is zero). Returns the answer, or `undefined`.
 */
export const unanimous = (
  window: ReadonlyArray<SearchResult.Candidate>,
  size: number,
  equivalence: Selection.Equivalence
): string | undefined => {
  if (window.length < size || window.some((candidate) => candidate.answer === undefined)) return undefined
  const groups = Selection.groups(window, equivalence)
  return groups.length === 1 ? groups[0]?.members[0]?.answer : undefined
}

/** What the body hands to the selection: the unanimous window that stopped sampling, if one did. */
interface State {
  readonly decided: ReadonlyArray<number> | undefined
}

/**
 * Early-stopping self-consistency (Li et al. 2024, "Escape Sky-high Cost:
 * Early-stopping Self-Consistency for Multi-step Reasoning", ICLR 2024, arXiv 2401.10480; reference code
 * Yiwei98/ESC `early_stop_*.py`). Samples are drawn in windows of `window` (one request each, under the seeds of
 * self-consistency's batches); after each full window, if its answers are unanimous (`unanimous`), sampling stops
 * and that answer is returned; otherwise the next window is drawn, up to `maxSamples`, and the answer is the
 * majority over every sample. No verifier call. A sample without an answer breaks a window's unanimity.
 */
export const entry = Strategy.define({
  kind: "early-stopping-self-consistency",
  description: "Self-consistency in windows; stop when a window's answers are unanimous (ESC, Li et al. 2024).",
  options,
  size: { option: "maxSamples", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution), untilBudget: 1024 },
  build: (settings) => {
    const name = `early-stopping-self-consistency-${settings.maxSamples}`
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search<State>({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.map(
              Expansion.sampleRolloutsUntil(problem, recorder, 0, { maxSamples: settings.maxSamples, batch: settings.window, seed: settings.seed, sampling: settings }, ({ index, leaves, all }) => {
                const answer = unanimous(
                  leaves.map((leaf) => TreeRecorder.candidateOf(TreeRecorder.node(recorder, leaf))),
                  settings.window,
                  equivalence
                )
                return answer === undefined ? Effect.succeed(false) : Effect.as(windowUnanimous.emit({ window: index, samples: all.length, answer }), true)
              }),
              (sampled) => ({ decided: sampled.stoppedAt })
            ),
          select: ({ candidates, state }) => {
            const decided = new Set(state?.decided ?? [])
            const window = candidates.filter((candidate) => decided.has(candidate.nodeId))
            return Selection.select(window.length > 0 ? window : candidates, "majority", equivalence)
          }
        })
    }
  }
})

/**
 * Makes early-stopping self-consistency from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* EarlyStoppingConsistency.make({ window: 5, maxSamples: 40 })
 */
export const make = Strategy.maker(entry)
