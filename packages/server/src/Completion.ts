import type { SearchEvent, SearchResult } from "@stepwise/core"
import { Resource, Trajectory } from "@stepwise/core"
import * as ApiError from "./ApiError.js"
import type * as BestSoFar from "./BestSoFar.js"
import type * as Limits from "./Limits.js"

/**
 * The usage of a response, exactly what the request's accountant metered. The standard fields count the policy:
 * `prompt_tokens` its input, `completion_tokens` its output, `prompt_tokens_details.cached_tokens` the input the
 * upstream's prefix cache served; `total_tokens` counts every token spent, the verifier's included
 * (`prompt_tokens + completion_tokens + stepwise.verifier_tokens`). `stepwise` has every metered resource.
 */
export interface Usage {
  readonly prompt_tokens: number
  readonly completion_tokens: number
  readonly total_tokens: number
  readonly prompt_tokens_details: { readonly cached_tokens: number }
  readonly stepwise: {
    readonly input_tokens: number
    readonly cached_input_tokens: number
    readonly output_tokens: number
    /** Policy tokens, input and output. */
    readonly policy_tokens: number
    readonly verifier_calls: number
    readonly verifier_tokens: number
    readonly cost: number
  }
}

/** The usage object of what a request spent. */
export const usageOf = (spent: Resource.Amounts): Usage => ({
  prompt_tokens: spent.inputTokens,
  completion_tokens: spent.outputTokens,
  total_tokens: spent.totalTokens + spent.verifierTokens,
  prompt_tokens_details: { cached_tokens: spent.cachedInputTokens },
  stepwise: {
    input_tokens: spent.inputTokens,
    cached_input_tokens: spent.cachedInputTokens,
    output_tokens: spent.outputTokens,
    policy_tokens: spent.totalTokens,
    verifier_calls: spent.verifierCalls,
    verifier_tokens: spent.verifierTokens,
    cost: spent.cost
  }
})

/** What every response of one request shares. */
export interface Base {
  readonly id: string
  readonly created: number
  readonly model: string
}

/** The budget a request ran under, as responses report it. */
export const budgetOf = (budget: Limits.Effective) => ({ limits: budget.limits, deadline_ms: budget.deadlineMillis ?? null })

/**
 * The `stepwise` summary of a finished search: the run (its id names its tree at `/view?run=<id>`), the strategy
 * and options, the outcome (answer, or why there is none), whether the budget or deadline ended it, the budget,
 * and the size of the explored tree.
 */
export const summaryOf = (input: {
  readonly runId: string
  readonly strategy: string
  readonly options: Readonly<Record<string, unknown>>
  readonly result: SearchResult.SearchResult
  readonly budget: Limits.Effective
}) => ({
  run_id: input.runId,
  strategy: input.strategy,
  options: input.options,
  outcome: input.result.outcome._tag === "Answered" ? "answered" : "no-answer",
  answer: input.result.answer ?? null,
  ...(input.result.outcome._tag === "NoAnswer" ? { reason: input.result.outcome.reason, detail: input.result.outcome.detail } : {}),
  budget_exhausted: input.result.budgetExhausted,
  budget: budgetOf(input.budget),
  nodes: input.result.tree.nodes.length,
  candidates: input.result.candidates.length
})

/** The text a finished search answers with: its best trajectory, steps joined by blank lines; empty without one. */
export const contentOf = (result: SearchResult.SearchResult): string => (result.best === undefined ? "" : Trajectory.text(result.best))

/** Which budget ended a search: the request's own, its deadline, its API key's or the server's. */
export type ExhaustedBy = "request" | "deadline" | "key" | "server"

/**
 * Which budget ended a search, from its last `budget-exhaust` event (the resource and the budget's label) and the
 * labels of the request's, key's and server's budgets; `undefined` when no budget ended it.
 */
export const exhaustedByOf = (
  exhausted: { readonly resource: string; readonly budget: string | undefined } | undefined,
  labels: { readonly request: string; readonly key: string; readonly server: string }
): ExhaustedBy | undefined => {
  if (exhausted === undefined) return undefined
  if (exhausted.resource === "deadline") return "deadline"
  if (exhausted.budget === labels.server) return "server"
  if (exhausted.budget === labels.key) return "key"
  return "request"
}

/**
 * The 429 for a search that a shared budget (the key's or the server's) refused a call before it could answer. When
 * what is *spent* of that budget still left room for the call (`requested`, its least), requests in flight had only
 * reserved the room, worst cases they will mostly give back: `rate_limit_error`/`budget_reserved` with
 * `Retry-After`, as for a request refused at the door. Otherwise the quota is spent: `insufficient_quota`.
 */
export const sharedRefusal = (input: {
  readonly by: "key" | "server"
  readonly exhausted: { readonly resource: string; readonly requested?: number | undefined } | undefined
  readonly shared: { readonly limits: Partial<Record<Resource.Resource, number>>; readonly spent: Resource.Amounts }
  readonly retryAfterSeconds: number
}): ApiError.ApiError => {
  const resource = input.exhausted?.resource
  const requested = input.exhausted?.requested
  const known = Resource.all.find((each) => each === resource)
  const limit = known === undefined ? undefined : input.shared.limits[known]
  if (known !== undefined && limit !== undefined && requested !== undefined && requested <= limit - input.shared.spent[known])
    return new ApiError.ApiError({
      status: 429,
      type: "rate_limit_error",
      code: "budget_reserved",
      retryAfterSeconds: input.retryAfterSeconds,
      detail: `the ${input.by} budget's ${resource} was reserved by requests in flight when this search needed ${requested}; retry later`
    })
  return new ApiError.ApiError({
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    detail: `the ${input.by} budget ran out (${resource ?? "a limit"}) before the search could answer`
  })
}

/** `stop` for a complete answer, `length` when the budget or deadline ended the search before one. */
export const finishReasonOf = (result: SearchResult.SearchResult): "stop" | "length" =>
  result.outcome._tag === "NoAnswer" && result.outcome.reason === "budget-exhausted" ? "length" : "stop"

/** A non-streaming `chat.completion`. */
export const completion = (base: Base, result: SearchResult.SearchResult, spent: Resource.Amounts, summary: ReturnType<typeof summaryOf>) => ({
  id: base.id,
  object: "chat.completion",
  created: base.created,
  model: base.model,
  choices: [{ index: 0, message: { role: "assistant", content: contentOf(result) }, logprobs: null, finish_reason: finishReasonOf(result) }],
  usage: usageOf(spent),
  stepwise: summary
})

/**
 * A `chat.completion.chunk` with one choice. `delta.content` is always a string (empty on progress chunks), so a
 * client that concatenates it sees only the answer; `stepwise` carries the extension.
 */
export const chunk = (
  base: Base,
  delta: { readonly role?: "assistant"; readonly content: string },
  finishReason: "stop" | "length" | null,
  extension?: Readonly<Record<string, unknown>>
) => ({
  id: base.id,
  object: "chat.completion.chunk",
  created: base.created,
  model: base.model,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  ...(extension === undefined ? {} : { stepwise: extension })
})

/**
 * The extension of a progress chunk: the search event as the strategy emitted it, the request's spent and
 * reserved amounts right after it (the budget bar), and the best answer so far when it changed.
 */
export const progressOf = (
  entry: { readonly index: number; readonly at: number; readonly event: SearchEvent.SearchEvent; readonly spent: Resource.Amounts; readonly reserved: Resource.Amounts },
  best: BestSoFar.Best | undefined
) => ({
  type: "progress",
  index: entry.index,
  at_ms: entry.at,
  event: entry.event,
  spent: entry.spent,
  reserved: entry.reserved,
  ...(best === undefined ? {} : { best: { node_id: best.nodeId, answer: best.answer, score: best.score ?? null } })
})

/** The last chunk of a stream when the client asked for usage: no choices, the usage. */
export const usageChunk = (base: Base, spent: Resource.Amounts) => ({
  id: base.id,
  object: "chat.completion.chunk",
  created: base.created,
  model: base.model,
  choices: [],
  usage: usageOf(spent)
})
