import { Effect } from "effect"
import type { InvalidOptions, Problem } from "@stepwise/core"
import { keepTop } from "./BeamSearch.js"
import * as Beams from "./Beams.js"
import * as Common from "./Common.js"
import * as Run from "./Run.js"
import * as Seed from "./Seed.js"
import type { Method } from "./Selection.js"
import * as Selection from "./Selection.js"
import type { Strategy } from "./Strategy.js"
import { describe } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"
import * as Validate from "./Validate.js"

/** Options of DVTS. */
export interface Options extends Beams.Options {
  /** N: the total beam count; N/M independent subtrees are grown (default 16). */
  readonly beams?: number
  /** M: candidates generated per subtree per step (default 4). N must be a multiple of M. */
  readonly width?: number
  /** How to pick the answer among the subtrees' final solutions (default `weighted`). */
  readonly selection?: Method
}

/**
 * Diverse verifier tree search (search-and-learn `diverse_verifier_tree_search.py`): N/M independent subtrees;
 * each step a subtree samples M candidates (batched with `n`), scores them (after optional lookahead) and keeps
 * the best (ties: the first generated); a subtree ends when its pick is finished; the last iteration generates
 * to the end. Only each subtree's final pick is a candidate; the subtrees advance in lock-step, their calls
 * running concurrently.
 *
 * @example
 * const strategy = yield* Dvts.make({ beams: 16, width: 4 })
 */
export const make = (options: Options = {}): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    yield* Validate.all("Dvts", Beams.checks(options))
    const common = Beams.resolve(options, "weighted")
    const { beams, width, selection, normalize } = common
    const subtrees = beams / width
    const name = `dvts-${beams}x${width}`
    return {
      name,
      options: describe(common),
      run: (problem: Problem.Problem) =>
        Run.search(
          name,
          problem,
          (recorder) =>
            Effect.gen(function* () {
              // The current node of each growing subtree.
              let growing: ReadonlyArray<{ readonly subtree: number; readonly id: number }> = Array.from(
                { length: subtrees },
                (_, subtree) => ({ subtree, id: 0 })
              )
              for (let iteration = 0; iteration < common.maxSteps && growing.length > 0; iteration++) {
                const last = iteration === common.maxSteps - 1
                const children = yield* Beams.grow(
                  problem,
                  recorder,
                  growing.map(({ subtree, id }) => ({ id, n: width, seed: Seed.derive(common.seed, "dvts", subtree, id) })),
                  last,
                  common
                )
                const flat = children.flat()
                const scores = yield* Beams.score(problem, recorder, flat, Seed.derive(common.seed, "dvts-lookahead", iteration), common)
                const scoreOf = new Map(flat.map((id, index) => [id, scores[index]]))
                const next: Array<{ readonly subtree: number; readonly id: number }> = []
                growing.forEach((current, index) => {
                  const siblings = children[index] ?? []
                  const pick = keepTop(
                    siblings.map((id) => ({ id, score: scoreOf.get(id) })),
                    1
                  )[0]
                  for (const sibling of siblings) if (sibling !== pick?.id) TreeRecorder.exclude(recorder, sibling)
                  if (pick !== undefined && !TreeRecorder.node(recorder, pick.id).finished)
                    next.push({ subtree: current.subtree, id: pick.id })
                })
                if (TreeRecorder.isExhausted(recorder)) return
                growing = next
              }
            }),
          (candidates) => Selection.select(candidates, selection, normalize),
          Common.rescueOf(common)
        )
    }
  })
