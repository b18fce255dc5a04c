import * as Common from "./Common.js"
import type { Method, Normalizer } from "./Selection.js"
import * as Selection from "./Selection.js"
import * as Validate from "./Validate.js"

/**
 * The options of the beam-shaped searches (beam search and DVTS): N beams grown M ways, an optional lookahead,
 * and how the answer is picked. Each strategy's own `Options` extends this with what the fields mean there.
 */
export interface Options extends Common.Options {
  /** N: the number of beams (default 16). */
  readonly beams?: number
  /** M: how many ways a beam grows per step (default 4). N must be a multiple of M. */
  readonly width?: number
  /** Greedy steps generated after a candidate step to score it, then dropped (default 0). */
  readonly lookahead?: number
  /** How to pick the answer (the default depends on the strategy). */
  readonly selection?: Method
  /** Groups equal answers for the votes (default `Answer.normalize`). */
  readonly normalize?: Normalizer
}

/** The beam options with defaults filled in, the shared options included. */
export interface Resolved extends Common.Resolved {
  readonly beams: number
  readonly width: number
  readonly lookahead: number
  readonly selection: Method
  readonly normalize: Normalizer
}

/**
 * Field checks of the beam options, the shared options last: N and M are integers ≥ 1, M divides N, the
 * lookahead is an integer ≥ 0, and `selection`, `normalize` are valid.
 *
 * @example
 * yield* Validate.all("BeamSearch", Beams.checks(options))
 */
export const checks = (options: Options): ReadonlyArray<Validate.Check> => {
  const beams = options.beams ?? 16
  const width = options.width ?? 4
  return [
    Validate.integerAtLeast("beams", options.beams, 1),
    Validate.integerAtLeast("width", options.width, 1),
    Validate.that("width", width <= beams && beams % width === 0, `must divide beams (${beams}), got ${width}`),
    Validate.integerAtLeast("lookahead", options.lookahead, 0),
    Selection.methodCheck(options.selection),
    Selection.normalizerCheck(options.normalize),
    ...Common.checks(options)
  ]
}

/**
 * Fills in the defaults (16 beams, width 4, no lookahead, the given selection, `Answer.normalize`). Key order
 * is the one reports show: beams, width, lookahead, selection, then the shared options.
 */
export const resolve = (options: Options, selection: Method): Resolved => ({
  beams: options.beams ?? 16,
  width: options.width ?? 4,
  lookahead: options.lookahead ?? 0,
  selection: options.selection ?? selection,
  normalize: options.normalize ?? Selection.defaultNormalizer,
  ...Common.resolve(options)
})

