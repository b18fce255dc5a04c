import { Context, Effect } from "effect"
import type { Resource } from "./Resource.js"
import type { Usage } from "./Usage.js"

/**
 * An event a strategy defines for itself (a particle resampling, an MCTS backup, …): its noun-verb `name` and a
 * `detail` payload. The set is open: each strategy declares its own with `define`, next to its code.
 */
export interface StrategyEvent<Name extends string = string, Detail = unknown> {
  readonly _tag: "strategy-event"
  readonly name: Name
  readonly detail: Detail
}

/**
 * What a running search reports, as a tagged union with noun-verb names: the events every search shares, plus
 * `strategy-event`s that strategies define for themselves.
 * Subscribe by providing an `EventSink`; strategies emit through `emit`.
 */
export type SearchEvent =
  | StrategyEvent
  | { readonly _tag: "search-start"; readonly strategy: string; readonly problemId: string }
  | { readonly _tag: "node-expand"; readonly nodeId: number; readonly depth: number; readonly samples: number }
  | {
      readonly _tag: "step-generate"
      readonly nodeId: number
      readonly parentId: number
      readonly text: string
      readonly usage: Usage
      /** True when this step ends its trajectory (a finished candidate, unless the strategy excludes it). */
      readonly finished?: boolean
    }
  | { readonly _tag: "step-score"; readonly nodeId: number; readonly score: number }
  | {
      readonly _tag: "candidate-finish"
      readonly nodeId: number
      readonly answer: string | undefined
      readonly score: number | undefined
    }
  | {
      readonly _tag: "budget-exhaust"
      readonly resource: Resource | "deadline"
      /** The label of the budget whose limit was hit (a search's own, or one it spends from). */
      readonly budget?: string
      /** What the refused call asked of that resource, at the least (its `BudgetExhausted.requested`). */
      readonly requested?: number
    }
  | { readonly _tag: "search-end"; readonly strategy: string; readonly answer: string | undefined; readonly reason: string }

/** The tags of `SearchEvent`. */
export type Tag = SearchEvent["_tag"]

/** Where events go. */
export interface EventSinkService {
  readonly emit: (event: SearchEvent) => Effect.Effect<void>
}

/** The current event sink (a reference: drops events unless one is provided). */
export const EventSink: Context.Reference<EventSinkService> = Context.Reference<EventSinkService>(
  "@stepwise/EventSink",
  { defaultValue: () => ({ emit: () => Effect.void }) }
)

/** Emits an event to the current sink. */
export const emit = (event: SearchEvent): Effect.Effect<void> => Effect.flatMap(EventSink, (sink) => sink.emit(event))

/**
 * Runs an effect with every event also passed to `listener`.
 * Use for logging, progress or collecting a trace in tests.
 */
export const withListener =
  (listener: (event: SearchEvent) => void) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(EventSink, (outer) =>
      Effect.provideService(effect, EventSink, {
        emit: (event) => Effect.andThen(Effect.sync(() => listener(event)), outer.emit(event))
      })
    )

/** A strategy's own event type, declared once: emits it, and recognises it among all events. */
export interface Definition<Name extends string, Detail> {
  readonly name: Name
  /** Emits the event with its detail to the current sink. */
  readonly emit: (detail: Detail) => Effect.Effect<void>
  /** True for this event (narrowing its detail's type). */
  readonly is: (event: SearchEvent) => event is StrategyEvent<Name, Detail>
}

/**
 * Declares a strategy's own event: a noun-verb name and the type of its detail.
 *
 * @example
 * export const resampled = SearchEvent.define<{ readonly step: number }>()("particle-resample")
 * yield* resampled.emit({ step: 3 })
 */
export const define =
  <Detail>() =>
  <const Name extends string>(name: Name): Definition<Name, Detail> => ({
    name,
    emit: (detail) => emit({ _tag: "strategy-event", name, detail }),
    is: (event): event is StrategyEvent<Name, Detail> => event._tag === "strategy-event" && event.name === name
  })
