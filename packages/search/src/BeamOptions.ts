import { z } from "zod"
import * as SearchOptions from "./SearchOptions.js"
import type { Method } from "./Selection.js"
import * as Selection from "./Selection.js"

/**
 * The options of the beam-shaped searches (beam search and DVTS): N beams grown M ways, an optional lookahead,
 * how the answer is picked, and the step-level search options. Each strategy says what N and M mean there.
 *
 * @example
 * const options = BeamOptions.schema({ beams: "N: active beams", width: "M: …", selection: "best" })
 */
export const schema = (meaning: { readonly beams: string; readonly width: string; readonly selection: Method }) =>
  z
    .object({
      beams: z.number().int().min(1).default(16).describe(meaning.beams),
      width: z.number().int().min(1).default(4).describe(`${meaning.width} Must divide beams.`),
      lookahead: z.number().int().min(0).default(0).describe("Greedy steps generated after a candidate step to score it, then dropped."),
      selection: Selection.methodOption(meaning.selection),
      normalize: Selection.normalizeOption,
      ...SearchOptions.sampling,
      ...SearchOptions.steps,
      ...SearchOptions.scoring,
      ...SearchOptions.running
    })
    .strict()
    .superRefine((settings, context) => {
      if (settings.width > settings.beams || settings.beams % settings.width !== 0)
        context.addIssue({ code: "custom", path: ["width"], message: `must divide beams (${settings.beams}), got ${settings.width}` })
    })

/** The beam options with defaults filled in. */
export type Settings = z.output<ReturnType<typeof schema>>
