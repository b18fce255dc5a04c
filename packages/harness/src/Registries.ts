import { Data, Effect, pipe } from "effect"
import { pathToFileURL } from "node:url"
import { resolve } from "node:path"
import { Registry } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import type { Strategy } from "@stepwise/search"

/**
 * The registries a benchmark, the command line and the Promise API work from, one per extension axis. The
 * recipe schema, the command line's parsing, help and `stepwise list`, and the typed Promise API are all generated
 * from them, so a kind registered here is usable everywhere.
 */
export interface Registries {
  readonly strategies: Strategies.Any
}

/** The built-in registries. */
export const builtIn: Registries = { strategies: Strategies.registry }

/**
 * What a third party contributes: entries per axis. A plugin module (for `--plugin`) exports one as its default
 * export or as `plugin`.
 *
 * @example
 * export default { strategies: [Greedy.entry] } satisfies Registries.Plugin
 */
export interface Plugin {
  readonly strategies?: ReadonlyArray<Strategy.Entry>
}

/** The registries with a plugin's entries added (a kind already registered is a `DuplicateKind` programming error). */
export const extend = (registries: Registries, plugin: Plugin): Registries => ({
  strategies: (plugin.strategies ?? []).reduce<Strategies.Any>((registry, entry) => Registry.add(registry, entry), registries.strategies)
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
  Object.keys(value).every((key) => key === "strategies") &&
  Object.values(value).every((entries) => Array.isArray(entries))

/**
 * Loads plugin modules (paths relative to `base`, or package names) and adds their entries to the registries.
 * A module that cannot be imported, exports no plugin, or registers a kind twice fails with `PluginError`.
 */
export const load = (modules: ReadonlyArray<string>, registries: Registries = builtIn, base = process.cwd()): Effect.Effect<Registries, PluginError> =>
  Effect.reduce(modules, () => registries, (current, module) =>
    Effect.gen(function* () {
      const specifier = module.startsWith(".") || module.startsWith("/") ? pathToFileURL(resolve(base, module)).href : module
      const loaded = yield* Effect.tryPromise({
        try: () => import(specifier) as Promise<Record<string, unknown>>,
        catch: (cause) => new PluginError({ module, detail: `cannot be imported: ${cause instanceof Error ? cause.message : String(cause)}` })
      })
      const plugin = loaded["default"] ?? loaded["plugin"]
      if (!isPlugin(plugin))
        return yield* Effect.fail(
          new PluginError({ module, detail: "exports no plugin: export default { strategies: [entry, …] } (see Registries.Plugin)" })
        )
      return yield* Effect.try({
        try: () => pipe(current, (registries) => extend(registries, plugin)),
        catch: (cause) => new PluginError({ module, detail: cause instanceof Error ? cause.message : String(cause) })
      })
    })
  )
