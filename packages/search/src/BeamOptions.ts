import { z } from "zod"
import * as SearchOptions from "./SearchOptions.js"
import * as Strategy from "./Strategy.js"
import type { Method } from "./Selection.js"
import * as Selection from "./Selection.js"

/** The width (M) of a beam-shaped search whose options give none. */
export const defaultWidth = 4

/**
 * The options of the beam-shaped searches (beam search and DVTS): N beams grown M ways, an optional lookahead,
 * how the answer is picked, and the step-level search options. Each strategy says what N and M mean there and
 * adds its own fields.
 *
 * @example
 * const options = z.object({ ...BeamOptions.fields({ beams: "N: active beams", width: "M: …", selection: "best" }) }).strict().superRefine(BeamOptions.widthDividesBeams)
 */
export const fields = (meaning: { readonly beams: string; readonly width: string; readonly selection: Method }) => ({
  beams: Strategy.sizeOption().default(16).describe(meaning.beams),
  width: z.number().int().min(1).default(defaultWidth).describe(`${meaning.width} Must divide beams.`),
  lookahead: z.number().int().min(0).default(0).describe("Greedy steps generated after a candidate step to score it, then dropped."),
  selection: Selection.methodOption(meaning.selection),
  equivalence: Selection.equivalenceOption,
  ...SearchOptions.sampling,
  ...SearchOptions.steps,
  ...SearchOptions.scoring,
  ...SearchOptions.running
})

/** The largest width at most `width` that divides `beams` (1 divides every count). */
const largestDivisor = (beams: number, width: number): number => {
  for (let candidate = Math.min(width, beams); candidate > 1; candidate--) if (beams % candidate === 0) return candidate
  return 1
}

/**
 * The check that M divides N (and M ≤ N), as a zod refinement naming `width`. When the width is the default (the
 * options gave none, or gave the default), the message says so and which width to set, since a user who only
 * lowered `beams` never wrote one.
 */
export const widthDividesBeams = (settings: { readonly beams: number; readonly width: number }, context: z.RefinementCtx): void => {
  if (settings.width <= settings.beams && settings.beams % settings.width === 0) return
  const hint =
    settings.width === defaultWidth
      ? `: the default width (${defaultWidth}), used when "width" is not given; set "width" to a divisor of ${settings.beams}, e.g. "width": ${largestDivisor(settings.beams, settings.width)}`
      : ""
  context.addIssue({ code: "custom", path: ["width"], message: `must divide beams (${settings.beams}), got ${settings.width}${hint}` })
}

/** The settings every beam-shaped search has (defaults filled in). */
export type Settings = z.output<z.ZodObject<ReturnType<typeof fields>>>

/**
 * The beam count a budget buys: as many beams as full solutions (at most `Strategy.maxSize`), rounded down to a
 * multiple of the width (at least one width).
 */
export const beamsFor = (budget: { readonly tokens: number }, tokensPerSolution: number, settings: Readonly<Record<string, unknown>>): number => {
  const width = typeof settings["width"] === "number" && settings["width"] >= 1 ? settings["width"] : defaultWidth
  return Math.max(width, width * Math.floor(Strategy.solutionsIn(budget, tokensPerSolution) / width))
}
