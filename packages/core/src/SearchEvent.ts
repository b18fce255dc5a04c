import { Context, Effect } from "effect"
import type { Resource } from "./Resource.js"
import type { Usage } from "./Usage.js"

/**
 * What a running search reports, as a tagged union with noun-verb names.
 * Subscribe by providing an `EventSink`; strategies emit through `emit`.
 */
export type SearchEvent =
  | { readonly _tag: "search-start"; readonly strategy: string; readonly problemId: string }
  | { readonly _tag: "node-expand"; readonly nodeId: number; readonly depth: number; readonly samples: number }
  | {
      readonly _tag: "step-generate"
      readonly nodeId: number
      readonly parentId: number
      readonly text: string
      readonly usage: Usage
    }
  | { readonly _tag: "step-score"; readonly nodeId: number; readonly score: number }
  | {
      readonly _tag: "candidate-finish"
      readonly nodeId: number
      readonly answer: string | undefined
      readonly score: number | undefined
    }
  | { readonly _tag: "particle-resample"; readonly step: number; readonly weights: ReadonlyArray<number>; readonly survivors: ReadonlyArray<number> }
  | { readonly _tag: "budget-exhaust"; readonly resource: Resource }
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
