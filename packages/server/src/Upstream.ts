import type { LanguageModel, ProcessRewardModel } from "@stepwise/core"
import { TimeLimit } from "@stepwise/core"
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
  /**
   * Why the upstream cannot answer a question properly, or `undefined` when it can: a question it refuses gets a
   * 400 naming the question's message before any search (the simulator cannot model a question that is not an
   * arithmetic word problem, and would answer it with a wrong number).
   */
  readonly refuses?: (question: string) => string | undefined
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

/** A request's deadline: the instant (epoch milliseconds) it ends, the limit it came from, and its budget label. */
export type Deadline = TimeLimit.TimeLimit

/**
 * The policy and verifier one request searches with: every call waits for a place in the shared `pool`, and past
 * the deadline a call fails with `BudgetExhausted` on `"deadline"` (a call still running then, or still waiting
 * for its place, is interrupted, which releases its reservation), so the strategy stops and answers with the best
 * it has, as when a budget runs out. A generative verifier's own model calls run inside its one place.
 */
export const guarded = (
  upstream: Upstream,
  pool: Pool.Pool,
  deadline: Deadline | undefined
): { readonly languageModel: LanguageModel.Service; readonly processRewardModel: ProcessRewardModel.Service } =>
  TimeLimit.services(upstream, deadline, pool.run)
