import { Effect } from "effect"
import { z } from "zod"
import type { Problem } from "@stepwise/core"
import { keepTop } from "./BeamSearch.js"
import * as BeamOptions from "./BeamOptions.js"
import * as Seed from "./internal/Seed.js"
import * as Round from "./Round.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** Which finished trajectories vote: every finished sibling of each subtree's last expansion, or only the picks. */
export type VotePool = "final-siblings" | "picks"

/** The options of DVTS (strict). */
export const options = z
  .object({
    ...BeamOptions.fields({
      beams: "N: the total beam count; N/M independent subtrees are grown.",
      width: "M: candidates generated per subtree per step.",
      selection: "weighted"
    }),
    votePool: z
      .enum(["final-siblings", "picks"])
      .default("final-siblings")
      .describe(
        "Who votes: the finished siblings of each subtree's last expansion (search-and-learn keeps all M), or only each subtree's pick (the verifier's choice alone)."
      )
  })
  .strict()
  .superRefine(BeamOptions.widthDividesBeams)

/** Options of DVTS as a user writes them. */
export type Options = z.input<typeof options>

/**
 * Diverse verifier tree search (search-and-learn `diverse_verifier_tree_search.py`): N/M independent subtrees;
 * each step a subtree samples M candidates (batched with `n`), scores them (after optional lookahead) and keeps
 * the best (ties: the first generated); a subtree ends when its pick is finished; the last iteration generates
 * to the end. The vote pool holds the finished siblings of each subtree's last expansion, as search-and-learn's
 * output does (or only each subtree's pick, with `votePool: "picks"`); the subtrees advance in lock-step, their
 * calls running concurrently.
 */
export const entry = Strategy.define({
  kind: "dvts",
  description: "N/M independent subtrees, each greedy by verifier score over M candidates per step (search-and-learn).",
  options,
  size: { option: "beams", fromBudget: BeamOptions.beamsFor },
  build: (settings) => {
    const { beams, width, selection } = settings
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    const subtrees = beams / width
    const name = `dvts-${beams}x${width}`
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              // The current node of each growing subtree.
              let growing: ReadonlyArray<{ readonly subtree: number; readonly id: number }> = Array.from(
                { length: subtrees },
                (_, subtree) => ({ subtree, id: 0 })
              )
              for (let iteration = 0; iteration < settings.maxSteps && growing.length > 0; iteration++) {
                const last = iteration === settings.maxSteps - 1
                const children = yield* Round.grow(
                  problem,
                  recorder,
                  growing.map(({ subtree, id }) => ({ id, n: width, seed: Seed.derive(settings.seed, "dvts", subtree, id) })),
                  last,
                  settings
                )
                const flat = children.flat()
                const scores = yield* Round.score(problem, recorder, flat, Seed.derive(settings.seed, "dvts-lookahead", iteration), settings)
                const scoreOf = new Map(flat.map((id, index) => [id, scores[index]]))
                const next: Array<{ readonly subtree: number; readonly id: number }> = []
                growing.forEach((current, index) => {
                  const siblings = children[index] ?? []
                  const pick = keepTop(
                    siblings.map((id) => ({ id, score: scoreOf.get(id) })),
                    1
                  )[0]
                  const continues = pick !== undefined && !TreeRecorder.node(recorder, pick.id).finished
                  // The siblings of a subtree's last expansion stay candidates (they vote), unless only picks vote.
                  if (continues || settings.votePool === "picks")
                    for (const sibling of siblings) if (sibling !== pick?.id) TreeRecorder.exclude(recorder, sibling)
                  if (continues) next.push({ subtree: current.subtree, id: pick.id })
                })
                if (TreeRecorder.isExhausted(recorder)) return
                growing = next
              }
            }),
          select: ({ candidates }) => Selection.select(candidates, selection, equivalence),
          rescue: SearchOptions.rescueOf(settings)
        })
    }
  }
})

/**
 * Makes DVTS from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* Dvts.make({ beams: 16, width: 4 })
 */
export const make = Strategy.maker(entry)
