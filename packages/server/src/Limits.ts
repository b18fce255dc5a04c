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

/**
 * The server's limits: per request the default budget (when a request names none) and the most it may ask for
 * (requests asking more are capped), and the budgets every request of one API key, and of the whole server, spend
 * from together. A budget left out is unlimited.
 */
export const settings = z
  .object({
    request: z
      .object({
        default: budget.default({ totalTokens: 20_000, deadlineMillis: 60_000 }).describe("The budget of a request that names none."),
        max: budget.default({ totalTokens: 200_000, deadlineMillis: 600_000 }).describe("The most one request may ask for.")
      })
      .strict()
      .default({ default: { totalTokens: 20_000, deadlineMillis: 60_000 }, max: { totalTokens: 200_000, deadlineMillis: 600_000 } }),
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
 * Limits.effective({ totalTokens: 1e9 }, resolved) // { limits: { totalTokens: 200000 }, deadlineMillis: 60000 }
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
