import { Effect, Semaphore } from "effect"

/**
 * The one bounded pool of upstream calls that every request shares: at most `size` calls run at once, the rest
 * wait their turn (first come, first served). Waiting is bounded because the server admits a bounded number of
 * requests, each with a bounded concurrency of its own.
 */
export interface Pool {
  readonly size: number
  /** Calls running now. */
  readonly inUse: () => number
  /** Calls waiting for a place now. */
  readonly waiting: () => number
  /** Runs a call in the pool: waits for a place, holds it while the call runs, frees it however the call ends. */
  readonly run: <A, E, R>(call: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** What the pool reports of each call: how long it waited for a place, and how long it ran. */
export interface Observer {
  readonly waited: (millis: number) => void
  readonly ran: (millis: number) => void
}

/**
 * Makes a pool of `size` places.
 *
 * @example
 * const pool = Pool.make(16)
 * const completions = yield* pool.run(languageModel.generate(request))
 */
export const make = (size: number, observer?: Observer): Pool => {
  const semaphore = Semaphore.makeUnsafe(size)
  let inUse = 0
  let waiting = 0
  return {
    size,
    inUse: () => inUse,
    waiting: () => waiting,
    run: (call) =>
      Effect.suspend(() => {
        const queued = performance.now()
        let started: number | undefined
        waiting++
        const inside = Effect.suspend(() => {
          started = performance.now()
          waiting--
          inUse++
          observer?.waited(started - queued)
          return call
        }).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              inUse--
              observer?.ran(performance.now() - (started ?? queued))
            })
          )
        )
        // An interrupted wait never reaches `inside`: count it out here.
        return semaphore.withPermit(inside).pipe(
          Effect.ensuring(
            Effect.sync(() => {
              if (started === undefined) waiting--
            })
          )
        )
      })
  }
}
