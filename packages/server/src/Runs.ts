import { Clock, Effect } from "effect"
import type { Accountant } from "@stepwise/accountant"
import type { SearchEvent, SearchResult } from "@stepwise/core"
import { Resource } from "@stepwise/core"

/** What a run is: shown at the top of the tree view and kept in its saved file. */
export interface Info {
  readonly id: string
  /** Epoch milliseconds when the run started. */
  readonly started: number
  readonly strategy: string
  readonly options: Readonly<Record<string, unknown>>
  readonly model: string
  readonly question: string
  /** The budget's limits (unset resources are unlimited) and deadline. */
  readonly limits: Readonly<Partial<Record<Resource.Resource, number>>>
  readonly deadlineMillis?: number | undefined
}

/** One search event as the run saw it: when (milliseconds from the start), and the budget's state right after. */
export interface Entry {
  readonly index: number
  readonly at: number
  readonly event: SearchEvent.SearchEvent
  readonly spent: Resource.Amounts
  readonly reserved: Resource.Amounts
}

/** How a run ended. */
export interface End {
  readonly status: "answered" | "no-answer" | "failed" | "interrupted"
  readonly answer?: string | undefined
  /** Why there is no answer, or the failure's message (scrubbed). */
  readonly detail?: string | undefined
  /** What the run spent, as its accountant metered it. */
  readonly spent: Resource.Amounts
  readonly at: number
  /** The node ids of the answer's trajectory (root first), when there is one. */
  readonly bestPath?: ReadonlyArray<number> | undefined
}

/**
 * What a run's stream carries, in order: its info, its events, `truncated` once when its events passed the cap (a
 * follower gets no more events after it, so every follower sees the same tree), its end.
 */
export type Item =
  | { readonly type: "run"; readonly run: Info }
  | ({ readonly type: "event" } & Entry)
  | { readonly type: "truncated"; readonly kept: number }
  | ({ readonly type: "end" } & End)

/**
 * A saved run: the document the tree view saves and opens (`stepwise-tree`, version 1): the run's info, every
 * event with the budget after it, and how it ended.
 */
export interface TreeFile {
  readonly format: "stepwise-tree"
  readonly version: 1
  readonly run: Info
  readonly events: ReadonlyArray<Entry>
  readonly end: End | undefined
  /** True when events past the per-run cap were dropped. */
  readonly truncated: boolean
}

/** One run's record while the server keeps it. */
export interface Run {
  readonly info: Info
  /** The label of the API key that started it (`Auth`); only that key may see it. Absent: any caller may. */
  readonly owner?: string | undefined
  readonly entries: Array<Entry>
  end: End | undefined
  truncated: boolean
  /** Events recorded so far, the ones past the cap included: the next event's index. */
  recorded: number
  readonly listeners: Set<(item: Item) => void>
}

/** The runs a server keeps for the tree view: every running one, and the latest finished ones up to a number. */
export interface Runs {
  readonly keep: number
  readonly maxEvents: number
  readonly byId: Map<string, Run>
}

/**
 * Makes an empty store keeping `keep` finished runs (oldest dropped first) and at most `maxEvents` events each.
 *
 * @example
 * const runs = Runs.make({ keep: 32, maxEvents: 50_000 })
 */
export const make = (options: { readonly keep?: number; readonly maxEvents?: number } = {}): Runs => ({
  keep: options.keep ?? 32,
  maxEvents: options.maxEvents ?? 50_000,
  byId: new Map()
})

const notify = (run: Run, item: Item) => {
  for (const listener of run.listeners) listener(item)
}

/** Starts a run's record, owned by the API key labelled `owner` when given. */
export const start = (runs: Runs, info: Info, owner?: string): Run => {
  const run: Run = { info, owner, entries: [], end: undefined, truncated: false, recorded: 0, listeners: new Set() }
  runs.byId.set(info.id, run)
  return run
}

/**
 * Records an event (at epoch milliseconds `now`) with the budget's state after it, and passes it to the run's
 * listeners; past `maxEvents` the run is marked truncated (its listeners told once) and further events are not kept
 * (its own listeners still get them; `follow` does not pass them on).
 */
export const record = (
  runs: Runs,
  run: Run,
  event: SearchEvent.SearchEvent,
  snapshot: { readonly spent: Resource.Amounts; readonly reserved: Resource.Amounts },
  now: number
): void => {
  // Indexed by every event recorded, so an event past the cap has an index of its own (the chat stream shows it).
  const entry: Entry = { index: run.recorded++, at: now - run.info.started, event, spent: snapshot.spent, reserved: snapshot.reserved }
  if (run.entries.length < runs.maxEvents) run.entries.push(entry)
  else if (!run.truncated) {
    run.truncated = true
    notify(run, { type: "truncated", kept: run.entries.length })
  }
  // Every event still reaches the run's own listeners (the server's budget and progress tracking); `follow` passes
  // on only the kept ones.
  notify(run, { type: "event", ...entry })
}

/**
 * Ends a run (at epoch milliseconds `now`): records how, tells its listeners (and forgets them), and drops the
 * oldest finished runs past `keep`. A run ends once; later calls do nothing.
 */
export const finish = (runs: Runs, run: Run, end: Omit<End, "at">, now: number): void => {
  if (run.end !== undefined) return
  run.end = { ...end, at: now - run.info.started }
  notify(run, { type: "end", ...run.end })
  run.listeners.clear()
  const finished = [...runs.byId.values()].filter((each) => each.end !== undefined)
  for (const old of finished.slice(0, Math.max(0, finished.length - runs.keep))) runs.byId.delete(old.info.id)
}

/**
 * Follows a run: calls `listener` with every item so far (its info, its events, its end if it ended) and then
 * with each new one as it comes; returns the function that stops following.
 */
export const follow = (run: Run, listener: (item: Item) => void): (() => void) => {
  listener({ type: "run", run: run.info })
  for (const entry of run.entries) listener({ type: "event", ...entry })
  if (run.truncated) listener({ type: "truncated", kept: run.entries.length })
  if (run.end !== undefined) {
    listener({ type: "end", ...run.end })
    return () => {}
  }
  // Past the cap, events are not kept: a follower who came early is passed no more of them than one who came late.
  const kept = (item: Item) => {
    if (item.type === "event" && item.index >= run.entries.length) return
    listener(item)
  }
  run.listeners.add(kept)
  return () => {
    run.listeners.delete(kept)
  }
}

/** The saved file of a run. */
export const treeFile = (run: Run): TreeFile => ({
  format: "stepwise-tree",
  version: 1,
  run: run.info,
  events: run.entries,
  end: run.end,
  truncated: run.truncated
})

/** True when the caller whose key is labelled `caller` may see a run: its owner, or anyone for a run without one. */
export const isVisibleTo = (run: Run, caller: string | undefined): boolean => run.owner === undefined || run.owner === caller

/**
 * A line per kept run the caller may see (see `isVisibleTo`), newest first, for the tree view's list; a question
 * longer than `listedQuestion` characters is cut there (with "…").
 */
export const list = (runs: Runs, caller?: string) =>
  [...runs.byId.values()]
    .filter((run) => isVisibleTo(run, caller))
    .reverse()
    .map((run) => ({
      ...run.info,
      // The list is polled by every open page: a question is cut to its first 200 characters here (32 kept runs of
      // 1 MB questions made 32 MB a poll); the whole of it is in the run's own record.
      question: run.info.question.length > listedQuestion ? `${run.info.question.slice(0, listedQuestion)}…` : run.info.question,
      status: run.end?.status ?? "running",
      spent: run.end?.spent ?? run.entries.at(-1)?.spent ?? Resource.none
    }))

/** The most characters of a question a run list shows. */
export const listedQuestion = 200

/**
 * The event sink of a run under an accountant: every search event is recorded with that accountant's spent and
 * reserved amounts right after it. Provide it as `SearchEvent.EventSink` around the search.
 */
export const sink = (runs: Runs, run: Run, accountant: Accountant.Service): SearchEvent.EventSinkService => ({
  emit: (event) =>
    Effect.flatMap(Effect.all([accountant.snapshot, Clock.currentTimeMillis]), ([snapshot, now]) => Effect.sync(() => record(runs, run, event, snapshot, now)))
})

/** The ids of the nodes from the root to the answer's node, when the answer's trajectory is one of the candidates. */
export const bestPathOf = (result: SearchResult.SearchResult): ReadonlyArray<number> | undefined => {
  const candidate = result.candidates.find((each) => each.trajectory === result.best)
  if (candidate === undefined) return undefined
  const parents = new Map(result.tree.nodes.map((node) => [node.id, node.parentId]))
  const path: Array<number> = []
  let current: number | undefined = candidate.nodeId
  while (current !== undefined) {
    path.unshift(current)
    current = parents.get(current)
  }
  return path
}

/** How a finished search ended, for `finish`: answered or not (and why), what it spent, the answer's path. */
export const endOf = (result: SearchResult.SearchResult, spent: Resource.Amounts): Omit<End, "at"> => ({
  status: result.outcome._tag === "Answered" ? "answered" : "no-answer",
  answer: result.answer,
  detail: result.outcome._tag === "NoAnswer" ? result.outcome.detail : undefined,
  spent,
  bestPath: bestPathOf(result)
})
