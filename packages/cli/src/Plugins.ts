import { Effect } from "effect"
import { Flag } from "effect/cli"
import { Registries } from "@stepwise/harness"

/**
 * The `--plugin` flag shared by the commands: modules whose default export (or `plugin` export) is a
 * `Registries.Plugin` of third-party entries, added to the built-in registries for that run.
 */
export const flag = Flag.String("plugin").pipe(
  Flag.withDescription("A module adding kinds (export default { strategies, verifiers, backends, costModels: [entry, …] }); repeatable"),
  (single) => Flag.atLeast(single, 0)
)

/** The built-in registries plus the plugins' entries (relative paths from the working folder). */
export const registriesOf = (modules: ReadonlyArray<string>): Effect.Effect<Registries.Registries, Registries.PluginError> =>
  modules.length === 0 ? Effect.succeed(Registries.builtIn) : Registries.load(modules)
