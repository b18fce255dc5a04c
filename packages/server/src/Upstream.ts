import { Clock, Duration, Effect } from "effect"
import { BudgetExhausted, LanguageModel, ProcessRewardModel } from "@stepwise/core"
import type * as Pool from "./Pool.js"

/**
 * What the server searches with: a policy and a verifier behind one model name. The harness's `Backends.Backend`
 * gives one (`fromBackend`); `secrets` are the credentials it holds (API keys, URL passwords), scrubbed from
 * everything the server writes even where they do not look like keys.
 */
export interface Upstream {
  readonly name: string
  /** The model name clients send (the part after `<strategy>:`). */
  readonly model: string
  readonly languageModel: LanguageModel.Service
  readonly processRewardModel: ProcessRewardModel.Service
  readonly secrets?: ReadonlyArray<string>
}

/**
 * An upstream from a backend (the harness's `Backends.Backend` or anything shaped like it); the model name is the
 * policy's `info.model`, else the backend's name.
 *
 * @example
 * const upstream = Upstream.fromBackend(yield* Backends.simulator({ preset: "calibrated", seed: 0 }))
 */
export const fromBackend = (
  backend: { readonly name: string; readonly languageModel: LanguageModel.Service; readonly processRewardModel: ProcessRewardModel.Service },
  secrets: ReadonlyArray<string> = []
): Upstream => ({
  name: backend.name,
  model: backend.languageModel.info.model ?? backend.name,
  languageModel: backend.languageModel,
  processRewardModel: backend.processRewardModel,
  secrets
})

/** A request's deadline: the instant (epoch milliseconds) it ends, and the limit it came from. */
export interface Deadline {
  readonly atMillis: number
  readonly limitMillis: number
  /** The request's budget label, named in the `BudgetExhausted` a passed deadline raises. */
  readonly label: string
}

const passed = (deadline: Deadline) =>
  new BudgetExhausted({ resource: "deadline", requested: deadline.limitMillis, remaining: 0, budget: deadline.label })

const guard = <A, E, R>(pool: Pool.Pool, deadline: Deadline | undefined, call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BudgetExhausted, R> => {
  if (deadline === undefined) return pool.run(call)
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const left = deadline.atMillis - now
    if (left <= 0) return Effect.fail(passed(deadline))
    return Effect.timeoutOrElse(pool.run(call), {
      duration: Duration.millis(left),
      orElse: () => Effect.fail(passed(deadline))
    })
  })
}

/**
 * The policy and verifier one request searches with: every call waits for a place in the shared `pool`, and past
 * the deadline a call fails with `BudgetExhausted` on `"deadline"` (a call still running then is interrupted, which
 * releases its reservation), so the strategy stops and answers with the best it has, as when a budget runs out.
 * A generative verifier's own model calls run inside its one place.
 */
export const guarded = (
  upstream: Upstream,
  pool: Pool.Pool,
  deadline: Deadline | undefined
): { readonly languageModel: LanguageModel.Service; readonly processRewardModel: ProcessRewardModel.Service } => ({
  languageModel: LanguageModel.around(upstream.languageModel, (call) => guard(pool, deadline, call)),
  processRewardModel: ProcessRewardModel.wrap({
    info: upstream.processRewardModel.info,
    score: (problem, trajectory) => guard(pool, deadline, upstream.processRewardModel.score(problem, trajectory))
  })
})
