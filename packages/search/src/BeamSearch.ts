import { Effect } from "effect"
import { z } from "zod"
import type { Problem } from "@stepwise/core"
import * as BeamOptions from "./BeamOptions.js"
import * as Seed from "./internal/Seed.js"
import * as Round from "./Round.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** The options of beam search (strict; defaults as search-and-learn's). */
export const options = z
  .object({
    ...BeamOptions.fields({
      beams: "N: active beams per iteration.",
      width: "M: each kept beam is expanded M ways; N/M beams are kept.",
      selection: "best"
    }),
    filterDuplicates: z
      .boolean()
      .default(false)
      .describe("Drop active beams whose text repeats an earlier one before keeping the top N/M (search-and-learn's filter_duplicates)."),
    sortCompleted: z
      .boolean()
      .default(false)
      .describe("Pick among the N best-scored completed beams; off (search-and-learn's default): among the first N to complete.")
  })
  .strict()
  .superRefine(BeamOptions.widthDividesBeams)

/** Options of beam search as a user writes them. */
export type Options = z.input<typeof options>

/** One scored candidate beam. */
export interface Scored {
  readonly id: number
  readonly score: number | undefined
}

/**
 * The beams kept after an iteration: the `keep` highest scores; an unscored beam ranks last; ties go to the
 * beam created first (the lower node id). Returned best first.
 *
 * @example
 * BeamSearch.keepTop([{ id: 3, score: 0.5 }, { id: 1, score: 0.5 }, { id: 2, score: 0.9 }], 2) // ids 2, 1
 */
export const keepTop = (beams: ReadonlyArray<Scored>, keep: number): ReadonlyArray<Scored> =>
  [...beams]
    .sort((left, right) => {
      const difference = (right.score ?? Number.NEGATIVE_INFINITY) - (left.score ?? Number.NEGATIVE_INFINITY)
      return difference !== 0 && !Number.isNaN(difference) ? difference : left.id - right.id
    })
    .slice(0, keep)

/** The beams whose trajectory text differs from every earlier one's (first occurrence kept, order kept). */
export const distinct = (recorder: TreeRecorder.Recorder, beams: ReadonlyArray<Scored>): ReadonlyArray<Scored> => {
  const seen = new Set<string>()
  return beams.filter((beam) => {
    const key = TreeRecorder.node(recorder, beam.id).trajectory.key
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * How N samples are spread over the kept beams: as search-and-learn's `(active * repeats)[:N]`, each beam gets
 * ⌊N/K⌋ and the first N mod K one more.
 */
export const copiesOf = (kept: number, beams: number): ReadonlyArray<number> =>
  Array.from({ length: kept }, (_, index) => Math.floor(beams / kept) + (index < beams % kept ? 1 : 0))

/**
 * Beam search (search-and-learn `beam_search.py`): N beams; each iteration generates one step per beam (the
 * copies of a beam batched with `n`), scores the full prefixes (after optional lookahead), sets completed beams
 * aside (EOS, length, an empty step or a `\boxed{}`), keeps the top N/M of the rest and expands each M ways; the
 * last iteration (`maxSteps`) generates to the end. The answer is picked among the first N completed beams (or the
 * N best-scored with `sortCompleted`), as search-and-learn; `filterDuplicates` drops repeated texts before pruning.
 */
export const entry = Strategy.define({
  kind: "beam-search",
  description: "N beams; keep the top N/M by verifier score each step and expand each M ways (search-and-learn).",
  options,
  size: { option: "beams", fromBudget: BeamOptions.beamsFor },
  build: (settings) => {
    const { beams, width, selection } = settings
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    const keep = beams / width
    const name = `beam-search-${beams}x${width}`
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              let parents: ReadonlyArray<{ readonly id: number; readonly copies: number }> = [{ id: 0, copies: beams }]
              for (let iteration = 0; iteration < settings.maxSteps; iteration++) {
                const last = iteration === settings.maxSteps - 1
                const grown = yield* Round.grow(
                  problem,
                  recorder,
                  parents.map((parent) => ({ id: parent.id, n: parent.copies, seed: Seed.derive(settings.seed, "beam", parent.id) })),
                  last,
                  settings
                )
                const children = grown.flat()
                const scores = yield* Round.score(problem, recorder, children, Seed.derive(settings.seed, "beam-lookahead", iteration), settings)
                if (TreeRecorder.isExhausted(recorder)) return
                const active = children
                  .map((id, index) => ({ id, score: scores[index] }))
                  .filter(({ id }) => !TreeRecorder.node(recorder, id).finished)
                if (active.length === 0) return
                const kept = keepTop(settings.filterDuplicates ? distinct(recorder, active) : active, keep)
                const copies = copiesOf(kept.length, beams)
                parents = kept.map((beam, index) => ({ id: beam.id, copies: copies[index] ?? 0 })).filter((beam) => beam.copies > 0)
              }
            }),
          select: ({ candidates }) => {
            // Candidates are in creation order, which is the order beams completed in.
            const pool = settings.sortCompleted
              ? keepTop(
                  candidates.map((candidate) => ({ id: candidate.nodeId, score: candidate.score })),
                  beams
                )
              : candidates.slice(0, beams).map((candidate) => ({ id: candidate.nodeId, score: candidate.score }))
            const ids = new Set(pool.map((beam) => beam.id))
            return Selection.select(
              candidates.filter((candidate) => ids.has(candidate.nodeId)),
              selection,
              equivalence
            )
          },
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

/**
 * Makes beam search from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* BeamSearch.make({ beams: 16, width: 4 })
 */
export const make = Strategy.maker(entry)
