import * as Effect from "effect/Effect"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import type * as HelpDoc from "effect/cli/HelpDoc"
import { InvalidOptions, Redaction } from "@stepwise/core"
// Only for the declaration files: they name the subcommands' error types through these packages.
import type * as Harness from "@stepwise/harness"
import type * as Server from "@stepwise/server"
import type * as Simulator from "@stepwise/simulator"

/** The version `stepwise --version` prints. */
export const version = "0.1.0"

// Each subcommand's module (and the backends it imports) loads only when the command line needs it: `--version`
// loads none, `stepwise solve …` loads `solve` alone, and help or an unknown command loads all of them.
const subcommands = {
  bench: () => import("./Bench.js").then((module) => module.command),
  solve: () => import("./Solve.js").then((module) => module.command),
  list: () => import("./List.js").then((module) => module.command),
  report: () => import("./ReportCommand.js").then((module) => module.command),
  serve: () => import("./Serve.js").then((module) => module.command),
  "serve-sim": () => import("./ServeSim.js").then((module) => module.command)
}

/** The name of a subcommand of `stepwise`. */
export type SubcommandName = keyof typeof subcommands

/** Every subcommand's name, in the order help lists them. */
export const subcommandNames = Object.keys(subcommands) as ReadonlyArray<SubcommandName>

const isSubcommandName = (argument: string): argument is SubcommandName => Object.hasOwn(subcommands, argument)

/**
 * The subcommands a command line needs: the one it names; none for a bare `--version`; all of them otherwise
 * (help, no arguments, an unknown command), so help and errors list every command.
 */
export const needed = (input: ReadonlyArray<string>): ReadonlyArray<SubcommandName> => {
  const named = input.find(isSubcommandName)
  if (named !== undefined) return [named]
  if (input.includes("--version") && !input.includes("--help") && !input.includes("-h")) return []
  return subcommandNames
}

/** The `stepwise` command with the given subcommands loaded. */
export const command = (names: ReadonlyArray<SubcommandName> = subcommandNames) =>
  Effect.promise(() => Promise.all(names.map((name) => subcommands[name]()))).pipe(
    Effect.map((loaded) =>
      Command.make("stepwise").pipe(
        Command.withDescription("Search-based LLM decoding guided by process reward models: benchmark, solve, list, report, serve, serve-sim"),
        Command.withSubcommands(loaded)
      )
    )
  )

/** The flags a command line may give more than once (each adds one more). */
export const repeatableFlags: ReadonlyArray<string> = ["--plugin"]

/**
 * The first flag a command line gives twice that takes one value (`--port 0 --port 8095`, where the parser keeps
 * one silently), or `undefined`. Arguments after `--` are not flags.
 */
export const repeatedFlag = (input: ReadonlyArray<string>): string | undefined => {
  const seen = new Set<string>()
  for (const argument of input) {
    if (argument === "--") return undefined
    if (!argument.startsWith("--")) continue
    const name = argument.split("=")[0]!
    if (repeatableFlags.includes(name)) continue
    if (seen.has(name)) return name
    seen.add(name)
  }
  return undefined
}

/** Whether a command line asks for help: `--help` or `-h` before any `--`, or no arguments at all. */
export const asksForHelp = (input: ReadonlyArray<string>): boolean => {
  if (input.length === 0) return true
  for (const argument of input) {
    if (argument === "--") return false
    if (argument === "--help" || argument === "-h") return true
  }
  return false
}

/**
 * The help a command line's own error comes with, when it did not ask for help: the command's usage and how to see
 * every flag, instead of the whole help (a misspelt flag of `solve` printed 40 lines of flags above its one-line
 * error and its suggestion).
 */
export const shortHelp = (doc: HelpDoc.HelpDoc): string => {
  const path = doc.usage.split(/\s+(?=[[<])/)[0] ?? doc.usage
  return `USAGE\n  ${doc.usage}\n\n  (${path} --help shows the whole help)`
}

/** The help formatter for a command line: the whole help when it asks for help, else the short form above errors. */
export const formatterFor = (input: ReadonlyArray<string>): CliOutput.Formatter => {
  const base = CliOutput.defaultFormatter()
  return asksForHelp(input) ? base : { ...base, formatHelpDoc: shortHelp }
}

/** Runs the command line over the given arguments (without the node and script paths). */
export const run = (input: ReadonlyArray<string>) => {
  const repeated = repeatedFlag(input)
  if (repeated !== undefined)
    return Effect.fail(new InvalidOptions({ subject: "stepwise", field: repeated, detail: `is given more than once: give it once (only ${repeatableFlags.join(", ")} may repeat)` }))
  return Effect.flatMap(command(needed(input)), (loaded) =>
    Command.runWith(loaded, { version })(input).pipe(Effect.provideService(CliOutput.Formatter, formatterFor(input)))
  )
}

/**
 * The one line a failed command prints (without the `stepwise: ` prefix), or `undefined` for the command line's
 * own parse errors, which effect/cli already shows with the help. Multi-line messages are folded into one line, and
 * credentials a server echoed are scrubbed (`Redaction.scrub`).
 */
export const failureLine = (error: unknown): string | undefined => {
  if (CliError.isCliError(error)) return undefined
  const text = error instanceof Error ? error.message : String(error)
  return Redaction.scrub(text).replace(/\s*\n\s*/g, " ")
}
