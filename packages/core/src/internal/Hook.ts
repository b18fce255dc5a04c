import { Effect } from "effect"

/** What escaped a hook's contract: it threw (or its Effect died) with `defect`, or it returned `returned`, no Effect. */
export type Broken = { readonly _tag: "Threw"; readonly defect: unknown } | { readonly _tag: "NotAnEffect"; readonly returned: string }

/** A defect's message, for one line. */
export const messageOf = (defect: unknown): string => (defect instanceof Error ? defect.message : String(defect))

/**
 * Calls a hook that third-party code wrote (a registry entry's `make`, a verifier's `score`) and keeps what escapes
 * its contract in the typed error channel: a hook that throws, returns something that is not an Effect, or returns
 * an Effect that dies, fails with `broken`'s error instead of a bare defect. Internal to the contracts.
 */
export const call = <A, E, R, B>(hook: () => unknown, broken: (what: Broken) => B): Effect.Effect<A, E | B, R> => {
  let returned: unknown
  try {
    returned = hook()
  } catch (defect) {
    return Effect.fail(broken({ _tag: "Threw", defect }))
  }
  if (!Effect.isEffect(returned)) return Effect.fail(broken({ _tag: "NotAnEffect", returned: returned === null ? "null" : typeof returned }))
  return Effect.catchDefect(returned as Effect.Effect<A, E, R>, (defect) => Effect.fail(broken({ _tag: "Threw", defect })))
}
