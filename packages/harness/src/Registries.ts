import { Data, Effect } from "effect"
import { pathToFileURL } from "node:url"
import { resolve } from "node:path"
import { Options, Registry } from "@stepwise/core"
// For the declarations: the registries' types name these.
import type { ProcessRewardModel } from "@stepwise/core"
import { CostModels } from "@stepwise/accountant"
import { Backends } from "@stepwise/models"
import type { Backend } from "@stepwise/models"
import { Strategies } from "@stepwise/search"
import type { Strategy } from "@stepwise/search"
import { Verifiers } from "@stepwise/verifiers"
import type { ExactOptions, Verifier } from "@stepwise/verifiers"
import * as Simulated from "./Simulated.js"

/**
 * The registries a benchmark, the command line and the Promise API work from, one per extension axis:
 * strategies (`@stepwise/search`), verifiers (`@stepwise/verifiers`), backends (`@stepwise/models`, plus the
 * simulator) and cost models (`@stepwise/accountant`). The recipe schema, the command line's parsing, help and
 * `stepwise list`, and the typed Promise API are all generated from them, so a kind registered here is usable
 * everywhere.
 */
export interface Registries {
  readonly strategies: Strategies.Any
  readonly verifiers: Verifiers.Any
  readonly backends: Backends.Any
  readonly costModels: CostModels.Any
}

/** The built-in verifiers: `@stepwise/verifiers`' and the simulator's PRM. */
export const verifiers = Registry.add(Verifiers.registry, Simulated.verifier)

/** The built-in backends: `@stepwise/models`' servers, providers and GGUF files, and the simulator (the default). */
export const backends = Registry.add(Backends.registry, Simulated.backend)

/** The type of the built-in verifier registry (with the simulator's PRM). */
export type BuiltInVerifiers = typeof verifiers

/** The type of the built-in backend registry (with the simulator). */
export type BuiltInBackends = typeof backends

/** The built-in registries. */
export const builtIn: Registries = { strategies: Strategies.registry, verifiers, backends, costModels: CostModels.registry }

/** The axes, by the name a plugin, `stepwise list` and messages use. */
export const axes = ["strategies", "verifiers", "backends", "costModels"] as const

/** One axis's name. */
export type Axis = (typeof axes)[number]

/**
 * What a third party contributes: entries per axis. A plugin module (for `--plugin`) exports one as its default
 * export or as `plugin`.
 *
 * @example
 * export default { strategies: [Greedy.entry], verifiers: [Lengthy.entry] } satisfies Registries.Plugin
 */
export interface Plugin {
  readonly strategies?: ReadonlyArray<OfAnyOptions<Strategy.Entry> & { readonly size?: Strategy.Size }>
  readonly verifiers?: ReadonlyArray<OfAnyOptions<Verifier.Entry>>
  readonly backends?: ReadonlyArray<OfAnyOptions<Backend.Entry>>
  readonly costModels?: ReadonlyArray<OfAnyOptions<CostModels.Entry>>
}

// An axis's entry with any options schema: an entry's `make` takes its own options' type, which a `make` over
// `unknown` options would not accept (function parameters are checked contravariantly).
type OfAnyOptions<E> = E extends Registry.Entry<string, infer _S, infer Made, infer Context, infer Failure, infer Requirements>
  ? Registry.AnyEntry<Made, Context, Failure, Requirements>
  : never

// Each axis's registry keeps its own entry type; adding a plugin's entries widens nothing the caller relies on.
const addAll = <Reg>(registry: Reg, entries: ReadonlyArray<object> | undefined): Reg =>
  (entries ?? []).reduce<Reg>((current, entry) => Registry.add(current as never, entry as never) as Reg, registry)

/** The registries with a plugin's entries added (a kind already registered is a `DuplicateKind` programming error). */
export const extend = (registries: Registries, plugin: Plugin): Registries => ({
  strategies: addAll(registries.strategies, plugin.strategies),
  verifiers: addAll(registries.verifiers, plugin.verifiers),
  backends: addAll(registries.backends, plugin.backends),
  costModels: addAll(registries.costModels, plugin.costModels)
})

/** A plugin module could not be loaded or does not export a plugin. */
export class PluginError extends Data.TaggedError("PluginError")<{
  readonly module: string
  readonly detail: string
}> {
  override get message(): string {
    return `plugin ${this.module}: ${this.detail}`
  }
}

const isPlugin = (value: unknown): value is Plugin =>
  typeof value === "object" &&
  value !== null &&
  Object.keys(value).every((key) => (axes as ReadonlyArray<string>).includes(key)) &&
  Object.values(value).every((entries) => Array.isArray(entries))

// What to do about a TypeScript module Node could not import: it runs TypeScript only through a loader.
const typeScriptHint = (module: string, cause: unknown): string =>
  /\.[cm]?ts$/.test(module) && String((cause as { code?: unknown } | undefined)?.code ?? cause).includes("ERR_UNKNOWN_FILE_EXTENSION")
    ? `; Node runs a TypeScript plugin only through a loader: run the command as node --import tsx …/stepwise (npm install tsx), or compile the plugin to JavaScript`
    : ""

const suggestion = (near: string | undefined): string => (near === undefined ? "" : ` (did you mean "${near}"?)`)

// Why an exported object is no plugin: the keys that are none of the axes, or whose value is no array.
const wrongKeys = (value: unknown): string => {
  if (typeof value !== "object" || value === null) return ""
  const problems = Object.entries(value).flatMap(([key, entries]) =>
    !(axes as ReadonlyArray<string>).includes(key)
      ? [`"${key}" is none of ${axes.join(", ")}${suggestion(Options.nearest(key, axes))}`]
      : Array.isArray(entries)
        ? []
        : [`"${key}" must be an array of entries`]
  )
  return problems.length === 0 ? "" : `; its default export has ${problems.join("; ")}`
}

/**
 * Loads plugin modules (paths relative to `base`, or package names) and adds their entries to the registries.
 * A module that cannot be imported, exports no plugin, or registers a kind twice fails with `PluginError`.
 */
export const load = (modules: ReadonlyArray<string>, registries: Registries = builtIn, base = process.cwd()): Effect.Effect<Registries, PluginError> =>
  Effect.reduce(modules, () => registries, (current, module) =>
    Effect.gen(function* () {
      // A path (relative, absolute, or a script file name) is read from `base`; anything else is a package name.
      const isPath = module.startsWith(".") || module.startsWith("/") || /\.(?:[cm]?[jt]s)$/.test(module)
      const specifier = isPath ? pathToFileURL(resolve(base, module)).href : module
      const loaded = yield* Effect.tryPromise({
        try: () => import(specifier) as Promise<Record<string, unknown>>,
        catch: (cause) => new PluginError({ module, detail: `cannot be imported: ${cause instanceof Error ? cause.message : String(cause)}${typeScriptHint(module, cause)}` })
      })
      const plugin = loaded["default"] ?? loaded["plugin"]
      if (!isPlugin(plugin))
        return yield* Effect.fail(
          new PluginError({
            module,
            detail: `exports no plugin: export default { strategies: [entry, …], verifiers, backends, costModels } (see Registries.Plugin)${wrongKeys(plugin)}`
          })
        )
      return yield* Effect.try({
        try: () => extend(current, plugin),
        catch: (cause) => new PluginError({ module, detail: cause instanceof Error ? cause.message : String(cause) })
      })
    })
  )
