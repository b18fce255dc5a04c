import { z } from "zod"
import type { Strategy } from "@stepwise/search"

/**
 * The sizes a recipe runs a strategy at. A fixed configuration under a cap measures configuration choice, not
 * strategy; a benchmark that compares strategies sweeps each one's size knob (and any other options) and compares
 * the frontiers of accuracy against what was actually spent. A strategy entry of a recipe can:
 * - `sweep` its size knob over values (`"sweep": [1, 2, 4, 8]`), or a grid of options
 *   (`"sweep": { "expansions": [2, 4], "goals": [1, 2] }`, every combination);
 * - `scale` its size knob to each budget (`"budget"`: as many units as full solutions the budget buys), or run an
 *   anytime strategy until the budget is spent (`"until-budget"`).
 */

// A sweep's values, each once: a repeated value would run the same configuration twice under one label.
const distinctValues = z
  .array(z.unknown())
  .min(1)
  .refine((values) => new Set(values.map((value) => JSON.stringify(value))).size === values.length, { message: "must not repeat a value" })

/** The `sweep` field: the values of a strategy's size knob, or a grid of option values. */
export const SweepSpec = z
  .union([
    distinctValues.describe("Values of the strategy's size knob (e.g. n for best-of-n), each once."),
    z
      .record(z.string(), distinctValues)
      .describe("A grid: option → values; every combination is run (e.g. { expansions: [2, 4], goals: [1, 2] }).")
  ])
  .describe("Sizes to run the strategy at: each is a point on its accuracy-vs-compute frontier.")

/** The `sweep` field as written. */
export type SweepSpec = z.infer<typeof SweepSpec>

/** The `scale` field: the size knob from each budget, or as much as the budget allows. */
export const ScaleSpec = z
  .enum(["budget", "until-budget"])
  .describe("budget: the size knob set from each budget (full solutions it buys); until-budget: an anytime strategy runs until the budget is spent.")

/** How a recipe scales sizes to budgets: what one full solution costs, in tokens. */
export const SizingSpec = z
  .object({
    tokensPerSolution: z
      .number()
      .positive()
      .default(400)
      .describe("Tokens one full solution costs (prompt and output), to turn a budget into a number of samples, beams or particles.")
  })
  .strict()

/** One configuration of a strategy: a readable name (e.g. `n=8`, empty for the strategy as given) and its option overrides. */
export interface Variant {
  readonly configuration: string
  readonly overrides: Readonly<Record<string, unknown>>
}

/** The configuration name of option overrides: `name=value` pairs in the given order, comma-separated. */
export const configurationOf = (overrides: Readonly<Record<string, unknown>>): string =>
  Object.entries(overrides)
    .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(",")

/** Every combination of a grid's values, in the grid's key order (the last key varying fastest). */
export const grid = (axes: Readonly<Record<string, ReadonlyArray<unknown>>>): ReadonlyArray<Readonly<Record<string, unknown>>> =>
  Object.entries(axes).reduce<ReadonlyArray<Readonly<Record<string, unknown>>>>(
    (combinations, [name, values]) => combinations.flatMap((combination) => values.map((value) => ({ ...combination, [name]: value }))),
    [{}]
  )

/** The token limit a budget offers a scaled strategy: its total tokens, else its output tokens. */
export const offerOf = (limits: Readonly<Record<string, number | undefined>>): Strategy.BudgetOffer | undefined => {
  const tokens = limits["totalTokens"] ?? limits["outputTokens"]
  return tokens === undefined ? undefined : { tokens, verifierCalls: limits["verifierCalls"] }
}

/**
 * The variants of a recipe strategy at one budget: its sweep's configurations, its budget-scaled size, or the
 * strategy as given. Returns a message instead when the strategy cannot be swept or scaled as asked (no size knob,
 * not anytime, a budget with no token limit).
 */
export const variants = (
  spec: { readonly sweep?: SweepSpec | undefined; readonly scale?: "budget" | "until-budget" | undefined; readonly options: Readonly<Record<string, unknown>> },
  size: Strategy.Size | undefined,
  limits: Readonly<Record<string, number | undefined>>,
  tokensPerSolution: number
): ReadonlyArray<Variant> | string => {
  if (spec.sweep !== undefined && spec.scale !== undefined) return "give either sweep or scale, not both"
  if (spec.scale === "until-budget") {
    if (size?.untilBudget === undefined) return "is not an anytime strategy: scale \"until-budget\" needs one (best-of-n, self-consistency, a-star)"
    return [{ configuration: `${size.option}=until-budget`, overrides: { [size.option]: size.untilBudget } }]
  }
  if (spec.scale === "budget") {
    if (size === undefined) return "has no size knob to scale to a budget"
    const offer = offerOf(limits)
    if (offer === undefined) return "is scaled to each budget, so every budget needs a totalTokens or outputTokens limit"
    const value = size.fromBudget(offer, tokensPerSolution, spec.options)
    return [{ configuration: `${size.option}=${value}`, overrides: { [size.option]: value } }]
  }
  if (spec.sweep === undefined) return [{ configuration: "", overrides: {} }]
  if (Array.isArray(spec.sweep)) {
    if (size === undefined) return "has no size knob: sweep a grid of options instead ({ option: [values] })"
    const option = size.option
    return spec.sweep.map((value) => ({ configuration: configurationOf({ [option]: value }), overrides: { [option]: value } }))
  }
  return grid(spec.sweep as Readonly<Record<string, ReadonlyArray<unknown>>>).map((overrides) => ({ configuration: configurationOf(overrides), overrides }))
}
