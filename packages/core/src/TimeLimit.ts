import { Clock, Duration, Effect } from "effect"
import { BudgetExhausted } from "./Errors.js"
import * as LanguageModel from "./LanguageModel.js"
import * as ProcessRewardModel from "./ProcessRewardModel.js"

/**
 * A wall-clock limit on a search's calls: the instant (epoch milliseconds, the `Clock`'s) after which no model or
 * verifier call runs, and the limit it came from. Past it a call fails with `BudgetExhausted` on `"deadline"`, and a
 * call still running then is interrupted (its reservation given back), so the strategy stops and answers with the
 * best it has, as when a budget runs out.
 */
export interface TimeLimit {
  readonly atMillis: number
  readonly limitMillis: number
  /** The budget label the `BudgetExhausted` of a passed limit names. */
  readonly label: string
}

/** The limit of `limitMillis` from now. */
export const fromNow = (limitMillis: number, label: string): Effect.Effect<TimeLimit> =>
  Effect.map(Clock.currentTimeMillis, (now) => ({ atMillis: now + limitMillis, limitMillis, label }))

/** The error of a call made or cut off after the limit. */
export const passed = (limit: TimeLimit): BudgetExhausted =>
  new BudgetExhausted({ resource: "deadline", requested: limit.limitMillis, remaining: 0, budget: limit.label })

/**
 * Runs a call within the limit: at once `BudgetExhausted` when it has passed, else the call, interrupted and failed
 * with `BudgetExhausted` when the limit passes first.
 *
 * @example
 * const answer = yield* TimeLimit.guard(limit, model.generate(request))
 */
export const guard = <A, E, R>(limit: TimeLimit, call: Effect.Effect<A, E, R>): Effect.Effect<A, E | BudgetExhausted, R> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const left = limit.atMillis - now
    if (left <= 0) return Effect.fail(passed(limit))
    return Effect.timeoutOrElse(call, { duration: Duration.millis(left), orElse: () => Effect.fail(passed(limit)) })
  })

/**
 * A policy and a verifier whose every call runs within the limit (`around`, given, runs inside it: a pool's wait,
 * say, so the wait counts against the limit too). A generative verifier's own model calls run inside its one call.
 *
 * @example
 * const services = TimeLimit.services({ languageModel, processRewardModel }, yield* TimeLimit.fromNow(30_000, "solve"))
 */
export const services = (
  made: { readonly languageModel: LanguageModel.Service; readonly processRewardModel: ProcessRewardModel.Service },
  limit: TimeLimit | undefined,
  around: <A, E>(call: Effect.Effect<A, E>) => Effect.Effect<A, E> = (call) => call
): { readonly languageModel: LanguageModel.Service; readonly processRewardModel: ProcessRewardModel.Service } => {
  const within = <A, E>(call: Effect.Effect<A, E>): Effect.Effect<A, E | BudgetExhausted> =>
    limit === undefined ? around(call) : guard(limit, around(call))
  return {
    languageModel: LanguageModel.around(made.languageModel, within),
    processRewardModel: ProcessRewardModel.wrap({
      info: made.processRewardModel.info,
      // Through the accessor, which refuses a verifier that `make` or `wrap` did not build (`Unmetered`), as
      // `LanguageModel.around` refuses such a model: a time limit must not launder an unmetered verifier.
      score: (problem, trajectory) =>
        within(Effect.provideService(ProcessRewardModel.score(problem, trajectory), ProcessRewardModel.ProcessRewardModel, made.processRewardModel))
    })
  }
}
