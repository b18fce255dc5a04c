import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import type { Registry } from "@stepwise/core"
import { InvalidOptions, Options as CoreOptions } from "@stepwise/core"
import { Registries } from "@stepwise/harness"
import * as Describe from "./Describe.js"
import * as Plugins from "./Plugins.js"

/** The axes `stepwise list` shows, by the name given on the command line: every axis of the registries. */
export const axes = (registries: Registries.Registries): Readonly<Record<Registries.Axis, Registry.AnyRegistry>> =>
  Object.fromEntries(Registries.axes.map((axis) => [axis, registries[axis]])) as Record<Registries.Axis, Registry.AnyRegistry>

/** An axis as the command line spells it (`cost-models`, as its flags are spelt) or as the registries do (`costModels`). */
const axisNamed = (name: string): string => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())

// " (did you mean …?)" for a near miss (`strategy`), else nothing.
const nearest = (given: string, names: ReadonlyArray<string>): string => {
  const near = CoreOptions.nearest(given, names)
  return near === undefined ? "" : ` (did you mean "${near}"?)`
}

/** The command line's spelling of an axis: `costModels` → `cost-models`. */
const spelt = (axis: string): string => axis.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

/**
 * `stepwise list [axis]`: every registered kind of every axis (strategies, verifiers, backends, cost models) with
 * its description and each option's type, default and meaning — generated from the registries.
 */
export const command = Command.make(
  "list",
  {
    axis: Argument.String("axis").pipe(Argument.withDescription(`Only this axis: ${Registries.axes.map(spelt).join(", ")}`), Argument.optional),
    plugins: Plugins.flag
  },
  (flags) =>
    Effect.gen(function* () {
      const all = axes(yield* Plugins.registriesOf(flags.plugins))
      const given = Option.getOrUndefined(flags.axis)
      const wanted = given === undefined ? undefined : axisNamed(given)
      if (wanted !== undefined && !Object.hasOwn(all, wanted))
        return yield* Effect.fail(
          new InvalidOptions({ subject: "list", field: "axis", detail: `must be one of ${Object.keys(all).map(spelt).join(", ")}, got "${given}"${nearest(given ?? "", Object.keys(all).map(spelt))}` })
        )
      const shown = Object.entries(all).filter(([axis]) => wanted === undefined || axis === wanted)
      yield* Console.log(shown.map(([axis, registry]) => Describe.registryText(spelt(axis), registry)).join("\n\n"))
    })
).pipe(Command.withDescription("List every registered strategy, verifier, backend and cost model with its options and defaults"))
