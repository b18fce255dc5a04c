import { Effect } from "effect"
import { z } from "zod"
import { InvalidOptions } from "./Errors.js"
import * as Hook from "./internal/Hook.js"
import * as Options from "./Options.js"

/**
 * One registered kind of an extension axis (a strategy, a verifier, a backend, a cost model): its name, a line
 * that says what it is, the strict zod schema of its options (defaults declared there), and `make`, which builds
 * the thing from validated options and what the axis passes as context (e.g. the policy model a verifier runs on).
 *
 * @example
 * const entry = Registry.entry({ kind: "best-of-n", description: "N samples, pick by score or vote", options, make })
 */
export interface Entry<Kind extends string, S extends Options.Schema, Made, Context, E, R> {
  readonly kind: Kind
  readonly description: string
  readonly options: S
  readonly make: (options: z.output<S>, context: Context) => Effect.Effect<Made, E, R>
}

/** An entry of any kind and options, making `Made` from `Context`. */
// The options schema varies per entry; `any` there keeps the entries of one axis assignable to one type.
export type AnyEntry<Made = unknown, Context = never, E = unknown, R = never> = Entry<string, any, Made, Context, E, R>

/**
 * Declares an entry, keeping its kind literal and its options' types (no runtime work).
 * Use in the module that owns the concept: `export const entry = Registry.entry({ … })`.
 */
export const entry = <const Kind extends string, S extends Options.Schema, Made, Context = void, E = never, R = never>(
  definition: Entry<Kind, S, Made, Context, E, R>
): Entry<Kind, S, Made, Context, E, R> => definition

/**
 * The registry of one extension axis: its entries by kind, in registration order. A value: `add` returns a new
 * registry, so a third party extends ours without editing it, and the type keeps every kind's options typed.
 */
export interface Registry<Made, Context, E, R, Entries extends Readonly<Record<string, AnyEntry<Made, Context, E, R>>>> {
  /** What the axis configures, for messages: "strategy", "verifier", "backend", "cost model". */
  readonly axis: string
  readonly entries: Entries
  /** The kinds in registration order. */
  readonly kinds: ReadonlyArray<keyof Entries & string>
}

/** A registry of any entries making `Made`. */
// See AnyEntry for the `any`.
export type AnyRegistry<Made = unknown, Context = never, E = unknown, R = never> = Registry<Made, Context, E, R, any>

/** The kinds of a registry, as a union of string literals. */
export type KindOf<Reg> = Reg extends Registry<infer _M, infer _C, infer _E, infer _R, infer Entries> ? keyof Entries & string : never

/**
 * What a user writes to choose a registered kind: `{ kind, options }`, the options typed by that kind's schema
 * input (defaults optional).
 */
export type Spec<Reg> =
  Reg extends Registry<infer _M, infer _C, infer _E, infer _R, infer Entries>
    ? {
        [K in keyof Entries & string]: {
          readonly kind: K
          readonly options?: Entries[K] extends Entry<string, infer S, infer _Made, infer _Context, infer _Error, infer _Requirement> ? z.input<S> : never
        }
      }[keyof Entries & string]
    : never

/** An empty registry of an axis; fill it with `add`. */
export const empty = <Made, Context = void, E = never, R = never>(axis: string): Registry<Made, Context, E, R, {}> => ({
  axis,
  entries: {},
  kinds: []
})

/** A kind was registered twice in one registry (a programming error: use `replace` to override deliberately). */
export class DuplicateKind extends Error {
  constructor(
    readonly axis: string,
    readonly kind: string
  ) {
    super(`${axis} "${kind}" is registered already; use Registry.replace to override it`)
  }
}

/** An entry that is not one: a kind that is no name, or options that are not a zod schema, or a `make` that is no function. */
export class InvalidEntry extends Error {
  constructor(
    readonly axis: string,
    readonly kind: string,
    readonly detail: string
  ) {
    super(`${axis} entry ${JSON.stringify(kind)}: ${detail}`)
  }
}

// A kind is a name a command line and a recipe can write as one word: no whitespace (`acme/beam`, `@acme/beam`, `ns:kind` are fine).
const kindName = /^\S+$/

/** Throws `InvalidEntry` unless `entry` has the shape of an entry (checked where third-party entries come in). */
const checkEntry = (axis: string, entry: unknown): void => {
  const candidate = (entry ?? {}) as { readonly kind?: unknown; readonly description?: unknown; readonly options?: unknown; readonly make?: unknown }
  const kind = typeof candidate.kind === "string" ? candidate.kind : String(candidate.kind)
  if (typeof candidate.kind !== "string" || !kindName.test(candidate.kind))
    throw new InvalidEntry(axis, kind, "its kind must be a non-empty name without whitespace")
  if (typeof candidate.description !== "string") throw new InvalidEntry(axis, kind, "needs a description (a string)")
  const options = candidate.options as { readonly safeParse?: unknown; readonly _zod?: unknown; readonly _def?: unknown } | undefined
  if (typeof options !== "object" || options === null || typeof options.safeParse !== "function")
    throw new InvalidEntry(axis, kind, "its options must be a zod schema (z.object({ … }).strict())")
  // Zod 3 schemas have a safeParse too, but none of zod 4's internals that option checks and JSON Schemas read.
  if (typeof options._zod !== "object" || options._zod === null)
    throw new InvalidEntry(axis, kind, `its options must be a zod 4 schema (import { z } from "zod" with zod 4.x, or "zod/v4" with zod 3.25); ${options._def === undefined ? "this is no zod schema" : "this is a zod 3 schema"}`)
  if (typeof candidate.make !== "function") throw new InvalidEntry(axis, kind, "its make must be a function from the options to an Effect")
}

/**
 * Adds an entry: a new registry with one more kind. Registering a kind twice throws `DuplicateKind` at start-up
 * (a programming error, never a run-time input).
 *
 * @example
 * const mine = Registry.add(Strategies.registry, MyStrategy.entry)
 */
export const add = <
  Made,
  Context,
  E,
  R,
  Entries extends Readonly<Record<string, AnyEntry<Made, Context, E, R>>>,
  Kind extends string,
  S extends Options.Schema,
  E2 extends E,
  R2 extends R
>(
  registry: Registry<Made, Context, E, R, Entries>,
  added: Entry<Kind, S, Made, Context, E2, R2>
): Registry<Made, Context, E, R, Entries & { readonly [K in Kind]: Entry<Kind, S, Made, Context, E2, R2> }> => {
  checkEntry(registry.axis, added)
  if (Object.hasOwn(registry.entries, added.kind)) throw new DuplicateKind(registry.axis, added.kind)
  return {
    axis: registry.axis,
    entries: { ...registry.entries, [added.kind]: added } as Entries & { readonly [K in Kind]: Entry<Kind, S, Made, Context, E2, R2> },
    kinds: [...registry.kinds, added.kind]
  }
}

/** Replaces the entry of an existing kind (or adds it): a deliberate override, e.g. a patched built-in. */
export const replace = <Made, Context, E, R, Entries extends Readonly<Record<string, AnyEntry<Made, Context, E, R>>>>(
  registry: Registry<Made, Context, E, R, Entries>,
  replacement: AnyEntry<Made, Context, E, R>
): Registry<Made, Context, E, R, Entries> => {
  checkEntry(registry.axis, replacement)
  return {
    axis: registry.axis,
    entries: { ...registry.entries, [replacement.kind]: replacement },
    kinds: registry.kinds.includes(replacement.kind) ? registry.kinds : [...registry.kinds, replacement.kind]
  }
}

/** The entries in registration order. */
export const list = <Made, Context, E, R>(registry: AnyRegistry<Made, Context, E, R>): ReadonlyArray<AnyEntry<Made, Context, E, R>> =>
  registry.kinds.map((kind: string) => registry.entries[kind] as AnyEntry<Made, Context, E, R>)

/** The entry of a kind; an unknown kind fails with `InvalidOptions` on `kind`, listing the registered ones. */
export const lookup = <Made, Context, E, R>(
  registry: AnyRegistry<Made, Context, E, R>,
  kind: string
): Effect.Effect<AnyEntry<Made, Context, E, R>, InvalidOptions> => {
  const found: AnyEntry<Made, Context, E, R> | undefined = Object.hasOwn(registry.entries, kind) ? registry.entries[kind] : undefined
  if (found !== undefined) return Effect.succeed(found)
  const suggestion = Options.closest(kind, registry.kinds)
  return Effect.fail(
    new InvalidOptions({
      subject: registry.axis,
      field: "kind",
      detail: `${JSON.stringify(kind)} is not a registered ${registry.axis}${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}`,
      allowed: registry.kinds
    })
  )
}

/**
 * Validates the options of a kind (unknown keys, types, ranges), filling in the defaults.
 *
 * @example
 * const options = yield* Registry.parse(Strategies.registry, "a-star", { expansions: 4 })
 */
export const parse = <Made, Context, E, R>(
  registry: AnyRegistry<Made, Context, E, R>,
  kind: string,
  options: unknown
): Effect.Effect<{ readonly entry: AnyEntry<Made, Context, E, R>; readonly options: Readonly<Record<string, unknown>> }, InvalidOptions> =>
  Effect.flatMap(lookup(registry, kind), (found) =>
    Effect.map(Options.parse(found.options, options ?? {}, kind), (parsed) => ({
      entry: found,
      options: parsed as Readonly<Record<string, unknown>>
    }))
  )

/**
 * Makes a registered kind from options as a user wrote them (validated first).
 *
 * @example
 * const strategy = yield* Registry.make(Strategies.registry, "a-star", { expansions: 4 }, undefined)
 */
export const make = <Made, Context, E, R>(
  registry: AnyRegistry<Made, Context, E, R>,
  kind: string,
  options: unknown,
  context: Context
): Effect.Effect<Made, E | InvalidOptions, R> =>
  Effect.flatMap(parse(registry, kind, options), (parsed) =>
    // A third party's make that throws, returns no Effect or dies (a define helper's builder in `Effect.sync`)
    // fails here, naming the kind, not as a bare defect.
    Hook.call<Made, E, R, InvalidOptions>(
      () => parsed.entry.make(parsed.options, context),
      (broken) =>
        new InvalidOptions({
          subject: `${registry.axis} ${kind}`,
          field: "(make)",
          detail: broken._tag === "Threw" ? `threw: ${Hook.messageOf(broken.defect)}` : `returned ${broken.returned}, not an Effect`
        })
    )
  )

/**
 * The zod schema of `{ kind, options }` over every kind of a registry (a discriminated union on `kind`, each
 * `options` strict), for recipes and JSON Schema. `options` may be left out only when the kind's options have no
 * required field. `extra` adds fields to every member (e.g. a label).
 */
export const specSchema = (
  registry: AnyRegistry,
  extra: (entry: AnyEntry) => z.ZodRawShape = () => ({})
): z.ZodType => {
  const members = list(registry).map((each) =>
    z
      .object({
        kind: z.literal(each.kind).describe(each.description),
        options: Options.defaultsOf(each.options as z.ZodType) === undefined ? (each.options as z.ZodType) : (each.options as z.ZodType).optional(),
        ...extra(each)
      })
      .strict()
  )
  const [first, ...rest] = members
  if (first === undefined) return z.never()
  return rest.length === 0 ? first : z.discriminatedUnion("kind", [first, ...rest])
}

/** One option of an entry, as `stepwise list` and `--help` show it. */
export interface OptionDescription {
  readonly name: string
  /** A short type text, e.g. `integer ≥ 1`, `"best" | "majority"`. */
  readonly type: string
  readonly default: unknown
  readonly description: string | undefined
  readonly required: boolean
}

const typeText = (property: Record<string, unknown>): string => {
  if (Array.isArray(property["enum"])) return (property["enum"] as ReadonlyArray<unknown>).map((value) => JSON.stringify(value)).join(" | ")
  if (Array.isArray(property["anyOf"]))
    return (property["anyOf"] as ReadonlyArray<Record<string, unknown>>).map(typeText).join(" | ")
  if ("const" in property) return JSON.stringify(property["const"])
  const type = property["type"]
  if (type === undefined) return "code"
  const minimum = property["minimum"] ?? property["exclusiveMinimum"]
  const maximum = property["maximum"] ?? property["exclusiveMaximum"]
  const lower = minimum === undefined ? "" : ` ${"exclusiveMinimum" in property ? ">" : "≥"} ${String(minimum)}`
  const upper =
    maximum === undefined || Math.abs(Number(maximum)) >= Number.MAX_SAFE_INTEGER ? "" : ` ${"exclusiveMaximum" in property ? "<" : "≤"} ${String(maximum)}`
  return `${String(type)}${lower}${lower !== "" && upper !== "" ? "," : ""}${upper}`
}

/**
 * Describes an entry's options from its schema: name, type, default and description of each, in schema order.
 * Use to generate help, listings and documentation.
 */
export const describeOptions = (schema: Options.Schema): ReadonlyArray<OptionDescription> => {
  const json = Options.jsonSchema(schema) as {
    readonly properties?: Readonly<Record<string, Record<string, unknown>>>
    readonly required?: ReadonlyArray<string>
  }
  const defaults = Options.defaultsOf(schema) ?? {}
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    type: typeText(property),
    // The schema's own default for the field; for options with required fields, empty options do not parse.
    default: "default" in property ? property["default"] : defaults[name],
    description: typeof property["description"] === "string" ? property["description"] : undefined,
    required: (json.required ?? []).includes(name)
  }))
}
