import { Clock, Effect, Semaphore } from "effect"
import { InvalidOptions } from "@stepwise/core"
import type { LanguageModel } from "@stepwise/core"
import * as Deadline from "./Deadline.js"

/**
 * An optional latency model for the simulated policy: time to first token, time per prompt token (prefill) and
 * per output token (decode, the longest sample of a request), and a cap on concurrent requests. It sleeps on
 * Effect's `Clock`, so under `TestClock` a whole benchmark runs in virtual time.
 */
export interface Options {
  readonly timeToFirstTokenMillis: number
  readonly millisPerOutputToken: number
  /** Prefill time per prompt token (default 0). */
  readonly millisPerInputToken?: number
  /** Requests served at once; more wait their turn (default unlimited). */
  readonly concurrency?: number
}

/** The time a request takes, in milliseconds, for its completions. */
export const millisFor = (options: Options, completions: ReadonlyArray<LanguageModel.Completion>): number => {
  let longest = 0
  let input = 0
  for (const completion of completions) {
    longest = Math.max(longest, completion.usage.outputTokens ?? 0)
    input += completion.usage.inputTokens ?? 0
  }
  return options.timeToFirstTokenMillis + input * (options.millisPerInputToken ?? 0) + longest * options.millisPerOutputToken
}

/** Checks the options; returns the first problem found, naming the field. */
export const validate = (options: Options): InvalidOptions | undefined => {
  const bad = (field: string, detail: string) => new InvalidOptions({ subject: "simulator latency", field, detail })
  const finite = (value: number) => Number.isFinite(value) && value >= 0
  if (!finite(options.timeToFirstTokenMillis)) return bad("timeToFirstTokenMillis", `must be a finite number ≥ 0, got ${options.timeToFirstTokenMillis}`)
  if (!finite(options.millisPerOutputToken)) return bad("millisPerOutputToken", `must be a finite number ≥ 0, got ${options.millisPerOutputToken}`)
  if (options.millisPerInputToken !== undefined && !finite(options.millisPerInputToken))
    return bad("millisPerInputToken", `must be a finite number ≥ 0, got ${options.millisPerInputToken}`)
  if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1))
    return bad("concurrency", `must be an integer ≥ 1, got ${options.concurrency}`)
  return undefined
}

/**
 * Wraps a pure generation into an effect that takes the modelled time from its start (and waits for a slot when
 * capped): the generation's own computing counts within that time, as a real server's does, so a request takes
 * the modelled time or its computing, whichever is longer. A request yields once after reading its start time, so
 * the requests of one round all start their clocks before any of them computes (a server computes them side by
 * side; computing each in turn on this thread would delay the next one's start). Without options the effect is
 * immediate.
 */
export const wrap = (
  options: Options | undefined
): (<A extends ReadonlyArray<LanguageModel.Completion>>(compute: () => A) => Effect.Effect<A>) => {
  if (options === undefined) return (compute) => Effect.sync(compute)
  const semaphore = options.concurrency === undefined ? undefined : Semaphore.makeUnsafe(options.concurrency)
  return (compute) => {
    const timed = Effect.flatMap(Clock.monotonicTimeNanos, (started) =>
      Effect.flatMap(Effect.andThen(Effect.yieldNow, Effect.sync(compute)), (completions) =>
        Effect.as(Deadline.sleepUntil(Deadline.afterMillis(started, millisFor(options, completions))), completions)
      )
    )
    return semaphore === undefined ? timed : Semaphore.withPermits(semaphore, 1)(timed)
  }
}
