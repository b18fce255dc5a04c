import { Context, Effect, Exit, Semaphore } from "effect"

/**
 * The order in which concurrent calls are admitted to the meter, so that what fits under a budget does not depend
 * on timing. A round of independent work (a search's generations, scorings or rollouts of one iteration) runs with
 * `forEach`: each item is a *lane*, and every metered call a lane makes is admitted — its worst case reserved,
 * clamped or refused — in a fixed order: by the call's number within its lane (every lane's first call, then every
 * lane's second, …), lanes in item order. A call waits for its turn only while a call before it in that order can
 * still arrive (a lane that has not yet made its call or finished). The meter decides each admitted call against
 * a state that depends only on that order: a call's unused worst case is held for the other lanes until the round
 * ends (its own lane sees it freed at once). At most `concurrency` calls of a round run at once.
 *
 * Calls made inside another metered call (a generative verifier's model calls) are part of that call: they are
 * admitted at once. Rounds nest: a round started inside a lane takes its calls in that lane's turns.
 *
 * Code inside a lane must not wait on a later lane of the same round (a lane with a larger item index, or one that
 * has made fewer calls): the earlier lane's next call would wait for it in turn.
 */

/** One round of lanes. */
export interface Region {
  /** The lane this round runs inside, when it is nested. */
  readonly parentLane: Lane | undefined
  readonly lanes: ReadonlyArray<Lane>
  /** Lanes whose next call has the current call number, in lane order (the head is the next to be admitted). */
  current: Array<Lane>
  head: number
  /** Lanes whose next call has the following call number, in lane order. */
  next: Array<Lane>
  /** Called once when the round ends (every lane done, or the round failed or was interrupted). */
  readonly onEnd: Array<() => void>
  readonly permits: Semaphore.Semaphore
  ended: boolean
}

/** A call waiting for its turn. */
interface Pending {
  readonly decide: (lane: Lane) => unknown
  readonly undo: (decision: unknown) => void
  decided: boolean
  decision: unknown
  resume: ((effect: Effect.Effect<unknown>) => void) | undefined
  schedule: ((task: () => void) => void) | undefined
}

/** One item of a round: its index, how many of its calls were admitted, and what it waits on. */
export interface Lane {
  readonly region: Region
  readonly index: number
  /** Calls of this lane admitted so far (including calls of rounds nested in it). */
  admitted: number
  finished: boolean
  /** Calls made and not yet admitted, in the order made. */
  readonly pending: Array<Pending>
  /** Rounds running inside this lane. */
  readonly nested: Array<Region>
}

/** The lane the current fiber works in (none outside a round). */
export const CurrentLane: Context.Reference<Lane | undefined> = Context.Reference<Lane | undefined>("@stepwise/Admission/CurrentLane", {
  defaultValue: () => undefined
})

/** True inside a running metered call: calls made there are part of it and are admitted at once. */
export const InsideCall: Context.Reference<boolean> = Context.Reference<boolean>("@stepwise/Admission/InsideCall", {
  defaultValue: () => false
})

// The lane at the head of a round's order, or none when every lane is done.
const headOf = (region: Region): Lane | undefined => {
  for (;;) {
    while (region.head < region.current.length && region.current[region.head]!.finished) region.head++
    if (region.head < region.current.length) return region.current[region.head]
    if (region.next.length === 0) return undefined
    region.current = region.next
    region.next = []
    region.head = 0
  }
}

// The lane whose call is admitted next: the head of the round, descending into a round nested in it.
const candidateOf = (region: Region): Lane | undefined => {
  const lane = headOf(region)
  if (lane === undefined) return undefined
  if (lane.pending.length > 0) return lane
  for (const nested of lane.nested) {
    const inner = candidateOf(nested)
    if (inner !== undefined) return inner
  }
  return undefined
}

const rootOf = (region: Region): Region => {
  let current = region
  while (current.parentLane !== undefined) current = current.parentLane.region
  return current
}

let pumping = false
let again = false

// Admits every call whose turn has come, in order; the waiting fibers resume on the scheduler (never re-entrantly).
const pump = (root: Region): void => {
  if (pumping) {
    again = true
    return
  }
  pumping = true
  try {
    do {
      again = false
      for (let lane = candidateOf(root); lane !== undefined; lane = candidateOf(root)) {
        const pending = lane.pending.shift()!
        pending.decision = pending.decide(lane)
        pending.decided = true
        // The lane and every lane it is nested in move to their next call number.
        for (let moving: Lane | undefined = lane; moving !== undefined; moving = moving.region.parentLane) {
          moving.admitted++
          moving.region.head++
          moving.region.next.push(moving)
        }
        const { resume, schedule } = pending
        if (resume !== undefined && schedule !== undefined) schedule(() => resume(Effect.succeed(pending.decision)))
      }
    } while (again)
  } finally {
    pumping = false
  }
}

/**
 * Admits a call to the meter in its turn: outside a round (or inside a running call) at once; in a lane, once every
 * call before it in the round's order was admitted. `decide` runs synchronously at admission (the meter's
 * reservation) and its result is returned; `undo` gives it back when the waiting fiber was interrupted after the
 * decision. For meters: `LanguageModel.make` and `ProcessRewardModel.make` go through the meter, which calls this.
 */
export const admit = <T>(decide: (lane: Lane | undefined) => T, undo: (decision: T) => void): Effect.Effect<T> =>
  Effect.withFiber((fiber) => {
    const lane = fiber.getRef(CurrentLane)
    if (lane === undefined || lane.region.ended || fiber.getRef(InsideCall)) return Effect.sync(() => decide(lane))
    const pending: Pending = {
      decide: decide as (lane: Lane) => unknown,
      undo: undo as (decision: unknown) => void,
      decided: false,
      decision: undefined,
      resume: undefined,
      schedule: undefined
    }
    lane.pending.push(pending)
    pump(rootOf(lane.region))
    if (pending.decided) return Effect.succeed(pending.decision as T)
    return Effect.callback<T>((resume) => {
      if (pending.decided) {
        resume(Effect.succeed(pending.decision as T))
        return
      }
      pending.schedule = (task) => fiber.currentDispatcher.scheduleTask(task, 0)
      pending.resume = resume as (effect: Effect.Effect<unknown>) => void
      return Effect.sync(() => {
        if (pending.decided) {
          pending.undo(pending.decision)
          return
        }
        const position = lane.pending.indexOf(pending)
        if (position >= 0) lane.pending.splice(position, 1)
        pump(rootOf(lane.region))
      })
    })
  })

/**
 * `admit`, then `next` with the decision, for meters. Outside a round (or inside a running call) the decision is
 * taken and `next` called in the same step, with no effect in between. In a lane it waits its turn as `admit` does
 * (interruptibly), and `next` is called uninterruptibly once the decision arrives, so a meter that records the
 * decision in `next` (and releases it in an exit handler around this effect) cannot lose it; the effect `next`
 * returns runs interruptibly.
 */
export const admitThen = <T, A, E, R>(
  decide: (lane: Lane | undefined) => T,
  undo: (decision: T) => void,
  next: (decision: T) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const lane = fiber.getRef(CurrentLane)
    if (lane === undefined || lane.region.ended || fiber.getRef(InsideCall)) return next(decide(lane))
    return Effect.uninterruptibleMask((restore) => Effect.flatMap(restore(admit(decide, undo)), (decision) => restore(next(decision))))
  })

/**
 * Runs a metered call's body: in a lane, with one of the round's `concurrency` permits (taken after admission, so
 * in admission order), and marked as inside a call, so calls made within it are part of it. Outside a round (or
 * within a running call) it runs the body as it is. Used by `LanguageModel.make` and `ProcessRewardModel.make`.
 */
export const running = <A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const lane = fiber.getRef(CurrentLane)
    if (lane === undefined || fiber.getRef(InsideCall)) return body
    return lane.region.permits.withPermit(Effect.provideService(body, InsideCall, true))
  })

/** Registers `callback` to run once when a round ends (used by meters to release what its lanes held). */
export const onEnd = (region: Region, callback: () => void): void => {
  if (region.ended) callback()
  else region.onEnd.push(callback)
}

const finish = (lane: Lane): Effect.Effect<void> =>
  Effect.sync(() => {
    lane.finished = true
    pump(rootOf(lane.region))
  })

const end = (region: Region): Effect.Effect<void> =>
  Effect.sync(() => {
    region.ended = true
    for (const lane of region.lanes) lane.finished = true
    const parent = region.parentLane
    if (parent !== undefined) {
      const position = parent.nested.indexOf(region)
      if (position >= 0) parent.nested.splice(position, 1)
    }
    for (const callback of region.onEnd.splice(0)) callback()
    if (parent !== undefined) pump(rootOf(parent.region))
  })

/**
 * Runs `f` over `items` concurrently as one round: every metered call the lanes make is admitted in a fixed order
 * (see the module documentation), at most `concurrency` calls run at once, and results come back in item order.
 * Every lane runs to its end, even when another fails (interrupting the others would make what they had spent
 * depend on timing); then the round fails with the failure of the first failed lane in item order. Inside a running
 * call (a verifier's own model calls) it is `Effect.forEach` with that concurrency.
 *
 * @example
 * const scores = yield* Admission.forEach(ids, (id) => Scoring.scoreNode(problem, recorder, id, "last"), { concurrency: 8 })
 */
export const forEach = <A, B, E, R>(
  items: Iterable<A>,
  f: (item: A, index: number) => Effect.Effect<B, E, R>,
  options: { readonly concurrency: number }
): Effect.Effect<Array<B>, E, R> =>
  Effect.withFiber((fiber) => {
    const all = Array.from(items)
    if (all.length === 0) return Effect.succeed([])
    if (fiber.getRef(InsideCall)) return Effect.forEach(all, f, { concurrency: options.concurrency })
    const parentLane = fiber.getRef(CurrentLane)
    const lanes: Array<Lane> = []
    const region: Region = {
      parentLane,
      lanes,
      current: lanes.slice(),
      head: 0,
      next: [],
      onEnd: [],
      permits: Semaphore.makeUnsafe(Math.max(1, options.concurrency)),
      ended: false
    }
    for (let index = 0; index < all.length; index++) {
      const lane: Lane = { region, index, admitted: 0, finished: false, pending: [], nested: [] }
      lanes.push(lane)
      region.current.push(lane)
    }
    parentLane?.nested.push(region)
    return Effect.forEach(
      all,
      (item, index) => {
        const lane = lanes[index]!
        return Effect.exit(Effect.onExit(Effect.provideService(f(item, index), CurrentLane, lane), () => finish(lane)))
      },
      { concurrency: "unbounded" }
    ).pipe(
      Effect.flatMap((exits) => {
        const results: Array<B> = []
        for (const exit of exits) {
          if (Exit.isFailure(exit)) return Effect.failCause(exit.cause)
          results.push(exit.value)
        }
        return Effect.succeed(results)
      }),
      Effect.onExit(() => end(region))
    )
  })
