/**
 * @stepwise/server: search as an OpenAI-compatible service (`stepwise serve`) — per-request strategies and budgets,
 * streamed anytime answers, shared upstream pool and budgets, Prometheus metrics and a live tree view.
 */
export * as Accounts from "./Accounts.js"
export * as ApiError from "./ApiError.js"
export * as Auth from "./Auth.js"
export * as BestSoFar from "./BestSoFar.js"
export * as BoundedMap from "./BoundedMap.js"
export * as ChatRequest from "./ChatRequest.js"
export * as Choice from "./Choice.js"
export * as Completion from "./Completion.js"
export * as Http from "./Http.js"
export * as Limits from "./Limits.js"
export * as Methods from "./Methods.js"
export * as Metrics from "./Metrics.js"
export * as Pool from "./Pool.js"
export * as Runs from "./Runs.js"
export * as Server from "./Server.js"
export * as Unsupported from "./Unsupported.js"
export * as Upstream from "./Upstream.js"
export * as ViewPage from "./ViewPage.js"
export * as ViewRoutes from "./ViewRoutes.js"
