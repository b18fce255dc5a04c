import { z } from "zod"
import * as SearchOptions from "./SearchOptions.js"
import * as Strategy from "./Strategy.js"
import type { Method } from "./Selection.js"
import * as Selection from "./Selection.js"

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
  width: z.number().int().min(1).default(4).describe(`${meaning.width} Must divide beams.`),
  lookahead: z.number().int().min(0).default(0).describe("Greedy steps generated after a candidate step to score it, then dropped."),
  selection: Selection.methodOption(meaning.selection),
  equivalence: Selection.equivalenceOption,
  ...SearchOptions.sampling,
  ...SearchOptions.steps,
  ...SearchOptions.scoring,
  ...SearchOptions.running
})

/** The check that M divides N (and M ≤ N), as a zod refinement naming `width`. */
export const widthDividesBeams = (settings: { readonly beams: number; readonly width: number }, context: z.RefinementCtx): void => {
  if (settings.width > settings.beams || settings.beams % settings.width !== 0)
    context.addIssue({ code: "custom", path: ["width"], message: `must divide beams (${settings.beams}), got ${settings.width}` })
}

/** The settings every beam-shaped search has (defaults filled in). */
export type Settings = z.output<z.ZodObject<ReturnType<typeof fields>>>

/**
 * The beam count a budget buys: as many beams as full solutions (at most `Strategy.maxSize`), rounded down to a
 * multiple of the width (at least one width).
 */
export const beamsFor = (budget: { readonly tokens: number }, tokensPerSolution: number, settings: Readonly<Record<string, unknown>>): number => {
  const width = typeof settings["width"] === "number" && settings["width"] >= 1 ? settings["width"] : 4
  return Math.max(width, width * Math.floor(Strategy.solutionsIn(budget, tokensPerSolution) / width))
}
