import { Effect } from "effect"
import type { Budget, CostModel, Snapshot } from "@stepwise/accountant"
import { Accountant } from "@stepwise/accountant"
import type { InvalidOptions } from "@stepwise/core"
import { Resource } from "@stepwise/core"
import * as ApiError from "./ApiError.js"

/**
 * The budgets requests spend from together: the server's (a root accountant), one child per API key under it, and
 * each request's own budget as a child of its key's. The accountant's guarantee carries over: for any interleaving
 * of requests, what all of them spent never passes the key's limits nor the server's.
 */
export interface Accounts {
  readonly root: Accountant.Service
  /** The accountant of an API key, by its label (never the key itself); `undefined` for a label not given to `make`. */
  readonly forKey: (label: string) => Accountant.Service | undefined
  /**
   * Why a new request of this key should not start, or `undefined`: a budget whose limit is spent is a 429
   * `insufficient_quota` (nothing will free it); one whose limit is only reserved by requests in flight is a 429
   * with `Retry-After` (their reservations will be settled).
   */
  readonly refusal: (label: string, retryAfterSeconds: number) => Effect.Effect<ApiError.ApiError | undefined>
  /** The server's budget and every key's, now. */
  readonly snapshot: Effect.Effect<Snapshot.Snapshot>
}

/** Options of `make`. */
export interface Options {
  readonly server: Budget.Limits
  readonly key: Budget.Limits
  /** The labels of the API keys (one budget each); requests without keys use one label too. */
  readonly labels: ReadonlyArray<string>
  readonly costModel?: CostModel.CostModel | undefined
}

const blocked = (snapshot: Snapshot.Snapshot, retryAfterSeconds: number): ApiError.ApiError | undefined => {
  for (const resource of Resource.all) {
    const limit = snapshot.limits[resource]
    if (limit === undefined) continue
    if (snapshot.spent[resource] >= limit)
      return new ApiError.ApiError({
        status: 429,
        type: "insufficient_quota",
        code: "insufficient_quota",
        detail: `the ${snapshot.label} budget's ${resource} limit (${limit}) is spent`
      })
    if (snapshot.spent[resource] + snapshot.reserved[resource] >= limit)
      return new ApiError.ApiError({
        status: 429,
        type: "rate_limit_error",
        code: "budget_reserved",
        retryAfterSeconds,
        detail: `the ${snapshot.label} budget's ${resource} limit (${limit}) is reserved by requests in flight; retry later`
      })
  }
  return undefined
}

/**
 * Makes the server's budgets; the limits are validated here (a bad one fails with `InvalidOptions`).
 *
 * @example
 * const accounts = yield* Accounts.make({ server: { totalTokens: 1e7 }, key: { totalTokens: 1e6 } })
 */
export const make = (options: Options): Effect.Effect<Accounts, InvalidOptions> =>
  Effect.gen(function* () {
    const root = yield* Accountant.make(options.server, "server", options.costModel === undefined ? {} : { costModel: options.costModel })
    const keys = new Map<string, Accountant.Service>()
    for (const label of options.labels) keys.set(label, yield* root.child(options.key, label))
    const forKey = (label: string) => keys.get(label)
    return {
      root,
      forKey,
      refusal: (label, retryAfterSeconds) =>
        Effect.map(Effect.all([forKey(label)?.snapshot ?? Effect.succeed(undefined), root.snapshot]), ([key, server]) =>
          (key === undefined ? undefined : blocked(key, retryAfterSeconds)) ?? blocked(server, retryAfterSeconds)
        ),
      snapshot: root.snapshot
    }
  })
