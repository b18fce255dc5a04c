import { Effect } from "effect"
import { z } from "zod"
import type { InvalidOptions } from "@stepwise/core"
import { Options, Resource } from "@stepwise/core"

/** Limits over any subset of the resources; a resource left out is unlimited. */
export type Limits = Partial<Record<Resource.Resource, number>>

const count = z.number().min(0)

const descriptions: Readonly<Record<Resource.Resource, string>> = {
  inputTokens: "Policy prompt tokens.",
  cachedInputTokens: "Policy prompt tokens the server had cached.",
  outputTokens: "Policy output tokens.",
  totalTokens: "Policy prompt plus output tokens.",
  verifierCalls: "Verifier calls (one per scored trajectory).",
  verifierTokens: "Tokens verifiers read and write.",
  cost: "The cost model's unit (tokens, dollars, eFLOPs)."
}

/**
 * The schema of limits as a user writes them (recipes, the command line, the Promise API): each a finite number
 * ≥ 0, naming a known resource; unknown keys are errors.
 */
export const limits = z
  .object(Object.fromEntries(Resource.all.map((resource) => [resource, count.optional().describe(descriptions[resource])])) as Record<Resource.Resource, z.ZodOptional<typeof count>>)
  .strict()
  .describe("Limits over the accountant's resources; a resource left out is unlimited.")

/**
 * A budget: a label and limits. Child budgets spend from their parent (see `Accountant.child`).
 *
 * @example
 * const budget = yield* Budget.make({ outputTokens: 20_000, verifierCalls: 64 }, "problem-17")
 */
export interface Budget {
  readonly label: string
  readonly limits: Limits
}

/** An unlimited budget. */
export const unlimited: Budget = { label: "unlimited", limits: {} }

/** Checks limits against the `limits` schema: each a finite number ≥ 0 naming a known resource. */
export const validate = (given: Limits, subject = "Budget"): Effect.Effect<Limits, InvalidOptions> =>
  Effect.map(Options.parse(limits, given, subject), (parsed) =>
    Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, number] => entry[1] !== undefined)) as Limits
  )

/** Makes a validated budget. */
export const make = (given: Limits, label = "budget"): Effect.Effect<Budget, InvalidOptions> =>
  Effect.map(validate(given), (checked) => ({ label, limits: checked }))

/** The limit of one resource (`Infinity` when unset). */
export const limitOf = (budget: Budget, resource: Resource.Resource): number => budget.limits[resource] ?? Number.POSITIVE_INFINITY
