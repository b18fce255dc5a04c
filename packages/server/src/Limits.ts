import { z } from "zod"
import type { Budget } from "@stepwise/accountant"
import { Resource } from "@stepwise/core"

/**
 * The budget of one request as a client writes it (in `extra_body.stepwise.budget` or `X-Stepwise-Budget-*`
 * headers): limits on the accountant's resources and a deadline in milliseconds. Strict: a misspelt key is an
 * error naming it and the allowed keys.
 */
export const budget = z
  .object({
    totalTokens: z.number().int().min(0).optional().describe("Policy tokens, input and output."),
    inputTokens: z.number().int().min(0).optional().describe("Policy input (prompt) tokens."),
    outputTokens: z.number().int().min(0).optional().describe("Policy output tokens."),
    verifierCalls: z.number().int().min(0).optional().describe("Verifier calls."),
    verifierTokens: z.number().int().min(0).optional().describe("Tokens a verifier reads and writes."),
    cost: z.number().min(0).optional().describe("Cost in the server's cost model's unit."),
    deadlineMillis: z.number().int().min(1).optional().describe("Wall time from the request's arrival; when it passes, the search answers with what it has.")
  })
  .strict()

/** A request budget as written. */
export type Written = z.output<typeof budget>

/** The resources a request budget may limit (every accountant resource but cached input, which is never reserved). */
export const resources = ["totalTokens", "inputTokens", "outputTokens", "verifierCalls", "verifierTokens", "cost"] as const satisfies ReadonlyArray<Resource.Resource>

/** A resource a request budget may limit. */
export type LimitedResource = (typeof resources)[number]

/** What a request runs under: the accountant's limits and the deadline (milliseconds from arrival), both capped. */
export interface Effective {
  readonly limits: Budget.Limits
  readonly deadlineMillis: number | undefined
}

const pool = budget.omit({ deadlineMillis: true })

/** The built-in per-request limits: the budget of a request that names none, and the most one may ask for. */
export const builtIn = {
  // Verifier tokens are not policy tokens (`totalTokens`): a PRM reads every scored trajectory whole, 1–3 times the
  // policy's tokens in a search's usual course, and without a limit of its own a long prompt made it unbounded.
  default: { totalTokens: 20_000, verifierTokens: 100_000, deadlineMillis: 60_000 },
  max: { totalTokens: 200_000, verifierTokens: 1_000_000, deadlineMillis: 600_000 }
} as const satisfies Readonly<Record<"default" | "max", Written>>

/** A request limit of the server as written: a budget field, or `null` to lift a built-in one. */
const lifting = budget.extend({
  totalTokens: budget.shape.totalTokens.unwrap().nullable().optional(),
  inputTokens: budget.shape.inputTokens.unwrap().nullable().optional(),
  outputTokens: budget.shape.outputTokens.unwrap().nullable().optional(),
  verifierCalls: budget.shape.verifierCalls.unwrap().nullable().optional(),
  verifierTokens: budget.shape.verifierTokens.unwrap().nullable().optional(),
  cost: budget.shape.cost.unwrap().nullable().optional(),
  deadlineMillis: budget.shape.deadlineMillis.unwrap().nullable().optional()
})

/**
 * The built-in limits with the written ones over them, field by field: a field written sets that limit, `null`
 * lifts it, one left out keeps the built-in one.
 */
export const merged = (base: Written, written: z.output<typeof lifting> | undefined): Written => {
  const entries = Object.entries({ ...base, ...written }).filter((entry): entry is [string, number] => typeof entry[1] === "number")
  return Object.fromEntries(entries) as Written
}

/**
 * The server's limits: per request the default budget (when a request names none) and the most it may ask for
 * (requests asking more are capped), each merged field by field over `builtIn` (setting one limit keeps the
 * others; `null` lifts one); and the budgets every request of one API key, and of the whole server, spend from
 * together. A key's or the server's budget left out is unlimited.
 */
export const settings = z
  .object({
    request: z
      .object({
        default: lifting
          .optional()
          .transform((written) => merged(builtIn.default, written))
          .describe("The budget of a request that names none, over the built-in one (totalTokens 20000, verifierTokens 100000, deadlineMillis 60000)."),
        max: lifting
          .optional()
          .transform((written) => merged(builtIn.max, written))
          .describe("The most one request may ask for, over the built-in caps (totalTokens 200000, verifierTokens 1000000, deadlineMillis 600000).")
      })
      .strict()
      .prefault({}),
    key: pool.optional().describe("What all requests of one API key may spend together, over the server's life."),
    server: pool.optional().describe("What all requests together may spend, over the server's life.")
  })
  .strict()

/** The server's limits as written. */
export type Settings = z.input<typeof settings>

/** The server's limits with defaults filled in. */
export type Resolved = z.output<typeof settings>

/**
 * The budget a request runs under: each limit is the request's own, else the server's default, capped by the
 * server's maximum (a maximum with neither given is the limit). The deadline follows the same rule.
 *
 * @example
 * Limits.effective({ totalTokens: 1e9 }, resolved) // { limits: { totalTokens: 200000, verifierTokens: 100000 }, deadlineMillis: 60000 }
 */
export const effective = (written: Written, limits: Resolved["request"]): Effective => {
  const capped = (key: keyof Written): number | undefined => {
    const asked = written[key] ?? limits.default[key]
    const most = limits.max[key]
    if (most === undefined) return asked
    return asked === undefined ? most : Math.min(asked, most)
  }
  const entries = resources.flatMap((resource) => {
    const value = capped(resource)
    return value === undefined ? [] : [[resource, value] as const]
  })
  return { limits: Object.fromEntries(entries), deadlineMillis: capped("deadlineMillis") }
}

/** Limits of a pool budget (a key's or the server's) for the accountant: the written ones, unset ones unlimited. */
export const poolLimits = (written: z.output<typeof pool> | undefined): Budget.Limits =>
  Object.fromEntries(Object.entries(written ?? {}).filter((entry): entry is [string, number] => entry[1] !== undefined))

/** True when no amount passes its limit. */
export const within = (limits: Budget.Limits, amounts: Resource.Amounts): boolean =>
  Object.entries(limits).every(([resource, limit]) => limit === undefined || amounts[resource as Resource.Resource] <= limit)
