import { Clock, Duration, Effect } from "effect"

/**
 * Waiting until a moment, not waking before it: what a modelled latency needs to be a true lower bound. A Node
 * timer set after some computing can fire early by about that much (Node's timers count from the event loop's
 * time, read when the loop's current turn began), so what is left after a wake-up is waited again, and its last
 * millisecond one event-loop turn at a time: other work and I/O still run in between, and the wake-up comes
 * within a few microseconds of the moment.
 */

const hasImmediate = typeof setImmediate === "function"

/** Node's `setImmediate` where there is one (the next turn of the event loop, after its pending I/O), else 1 ms. */
const nextTurn: Effect.Effect<void> = hasImmediate
  ? Effect.callback<void>((resume) => {
      const handle = setImmediate(() => resume(Effect.void))
      return Effect.sync(() => clearImmediate(handle))
    })
  : Effect.sleep(Duration.millis(1))

/**
 * Sleeps until the clock's monotonic time (`Clock.monotonicTimeNanos`, in nanoseconds) reaches `targetNanos`, not
 * before it by more than a microsecond: the test clock rounds each wake-up to whole nanoseconds, so a wake-up
 * within that microsecond counts as on time. Under `TestClock` the first sleep wakes on time, so virtual time
 * still runs a whole benchmark at once.
 *
 * @example
 * const started = yield* Clock.monotonicTimeNanos
 * yield* Deadline.sleepUntil(started + 25_000_000n)
 */
export const sleepUntil = (targetNanos: bigint): Effect.Effect<void> =>
  Effect.flatMap(Clock.monotonicTimeNanos, (now) =>
    now >= targetNanos ? Effect.void : Effect.andThen(Effect.sleep(Duration.nanos(targetNanos - now)), finishAt(targetNanos))
  )

/**
 * The monotonic time (in nanoseconds) `millis` after `startedNanos`, rounded up to a whole nanosecond, so a wait
 * until it never ends before the latency has passed.
 *
 * @example
 * yield* Deadline.sleepUntil(Deadline.afterMillis(yield* Clock.monotonicTimeNanos, 25))
 */
export const afterMillis = (startedNanos: bigint, millis: number): bigint => startedNanos + BigInt(Math.ceil(millis * 1_000_000))

// After a first sleep: a test clock is on time (give or take its rounding: hence the microsecond); a live one may
// wake early. (Waiting again for less than a microsecond would never end under a test clock, whose time stands still.)
const finishAt = (targetNanos: bigint): Effect.Effect<void> =>
  Effect.flatMap(Clock.monotonicTimeNanos, (now) =>
    now >= targetNanos - 1_000n
      ? Effect.void
      : Effect.andThen(targetNanos - now >= 1_000_000n ? Effect.sleep(Duration.nanos(targetNanos - now)) : nextTurn, finishAt(targetNanos))
  )

/**
 * Resolves once `performance.now()` reaches `target` (in its milliseconds), never before: for code on promises,
 * such as the loopback server answering a request `latencyMillis` after it arrived.
 *
 * @example
 * const arrived = performance.now()
 * await Deadline.waitUntil(arrived + 25)
 */
export const waitUntil = async (target: number): Promise<void> => {
  for (let left = target - performance.now(); left > 0; left = target - performance.now())
    await new Promise<void>((resolve) => (left >= 1 || !hasImmediate ? setTimeout(resolve, Math.max(1, left)) : setImmediate(resolve)))
}
