import { Counter, Gauge, Histogram, Registry } from "prom-client"
import type { Resource } from "@stepwise/core"
import type * as Pool from "./Pool.js"

/**
 * The server's Prometheus metrics (prom-client, one registry per server, served at `/metrics`). Labels are
 * strategy kinds, outcomes and reasons — never keys, prompts or upstream addresses.
 *
 * | metric | what |
 * | --- | --- |
 * | `stepwise_requests_total{strategy,stream,outcome}` | finished chat requests: answered, no-answer, failed, interrupted, rejected |
 * | `stepwise_request_seconds{strategy,stream}` | request latency, arrival to last byte (histogram) |
 * | `stepwise_rejections_total{reason}` | requests refused before running: busy, quota, reserved, invalid, unauthorized |
 * | `stepwise_tokens_total{kind}` | tokens spent: input, cached_input, output (policy), verifier |
 * | `stepwise_verifier_calls_total` | verifier calls spent |
 * | `stepwise_cache_hits_tokens_total` | input tokens the upstream's prefix cache served (as it reported them) |
 * | `stepwise_cost_total` | cost in the server's cost model's unit |
 * | `stepwise_upstream_call_seconds` | time an upstream call held its place in the pool (histogram) |
 * | `stepwise_upstream_wait_seconds` | time an upstream call waited for a place (histogram) |
 * | `stepwise_active_requests`, `stepwise_pool_in_use`, `stepwise_pool_waiting` | gauges, now |
 * | `stepwise_disconnects_total` | requests whose client went away before the end |
 */
export interface Metrics {
  readonly registry: Registry
  readonly requests: Counter<"strategy" | "stream" | "outcome">
  readonly requestSeconds: Histogram<"strategy" | "stream">
  readonly rejections: Counter<"reason">
  readonly tokens: Counter<"kind">
  readonly verifierCalls: Counter
  readonly cacheHits: Counter
  readonly cost: Counter
  readonly upstreamSeconds: Histogram
  readonly waitSeconds: Histogram
  readonly disconnects: Counter
  /** Counts what one request spent. */
  readonly spent: (amounts: Resource.Amounts) => void
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

/**
 * Makes the metrics of one server; the gauges read the pool and the number of active requests when scraped.
 *
 * @example
 * const metrics = Metrics.make({ pool, active: () => active.size })
 */
export const make = (sources: { readonly pool: Pool.Pool; readonly active: () => number }): Metrics => {
  const registry = new Registry()
  const registers = [registry]
  const tokens = new Counter({ name: "stepwise_tokens_total", help: "Tokens spent (policy input, cached input, output; verifier)", labelNames: ["kind"] as const, registers })
  const verifierCalls = new Counter({ name: "stepwise_verifier_calls_total", help: "Verifier calls spent", registers })
  const cacheHits = new Counter({ name: "stepwise_cache_hits_tokens_total", help: "Input tokens served by the upstream's prefix cache", registers })
  const cost = new Counter({ name: "stepwise_cost_total", help: "Cost spent, in the server's cost model's unit", registers })
  new Gauge({ name: "stepwise_active_requests", help: "Chat requests running now", registers, collect() { this.set(sources.active()) } })
  new Gauge({ name: "stepwise_pool_in_use", help: "Upstream calls running now", registers, collect() { this.set(sources.pool.inUse()) } })
  new Gauge({ name: "stepwise_pool_waiting", help: "Upstream calls waiting for a place now", registers, collect() { this.set(sources.pool.waiting()) } })
  new Gauge({ name: "stepwise_pool_size", help: "Places in the upstream pool", registers, collect() { this.set(sources.pool.size) } })
  return {
    registry,
    requests: new Counter({ name: "stepwise_requests_total", help: "Finished chat requests", labelNames: ["strategy", "stream", "outcome"] as const, registers }),
    requestSeconds: new Histogram({ name: "stepwise_request_seconds", help: "Chat request latency", labelNames: ["strategy", "stream"] as const, buckets: latencyBuckets, registers }),
    rejections: new Counter({ name: "stepwise_rejections_total", help: "Requests refused before running", labelNames: ["reason"] as const, registers }),
    tokens,
    verifierCalls,
    cacheHits,
    cost,
    upstreamSeconds: new Histogram({ name: "stepwise_upstream_call_seconds", help: "Upstream call time in the pool", buckets: latencyBuckets, registers }),
    waitSeconds: new Histogram({ name: "stepwise_upstream_wait_seconds", help: "Upstream call wait for a place in the pool", buckets: latencyBuckets, registers }),
    disconnects: new Counter({ name: "stepwise_disconnects_total", help: "Requests whose client went away before the end", registers }),
    spent: (amounts) => {
      tokens.inc({ kind: "input" }, amounts.inputTokens)
      tokens.inc({ kind: "cached_input" }, amounts.cachedInputTokens)
      tokens.inc({ kind: "output" }, amounts.outputTokens)
      tokens.inc({ kind: "verifier" }, amounts.verifierTokens)
      verifierCalls.inc(amounts.verifierCalls)
      cacheHits.inc(amounts.cachedInputTokens)
      cost.inc(amounts.cost)
    }
  }
}
