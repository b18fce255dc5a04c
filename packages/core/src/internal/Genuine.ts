/**
 * Run-time proof that a service came from its contract's `make`: the method `make` built is remembered in a weak
 * set, and a value counts as genuine only when its method is one of those (a spread of a made service keeps the
 * method; a hand-built object, or one whose method was swapped, does not). Internal to the contracts.
 */
export interface Genuine {
  /** Remembers a method `make` built. */
  readonly add: (method: object) => void
  /** True when the value's method is one `make` built. */
  readonly has: (value: unknown) => boolean
}

/** A registry of the methods named `method` that a contract's `make` built. */
export const make = (method: string): Genuine => {
  const built = new WeakSet<object>()
  return {
    add: (made) => void built.add(made),
    has: (value) => {
      if (typeof value !== "object" || value === null) return false
      const candidate = (value as Record<string, unknown>)[method]
      return typeof candidate === "function" && built.has(candidate)
    }
  }
}

/** The name a service value gives itself (`info.name`), for messages. */
export const nameOf = (value: unknown): string => {
  const info = typeof value === "object" && value !== null ? (value as { readonly info?: { readonly name?: unknown } }).info : undefined
  return typeof info?.name === "string" ? info.name : "(unnamed)"
}
