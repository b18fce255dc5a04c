import { Command } from "effect/cli"
import { CliError } from "effect/cli"
import { Redaction } from "@stepwise/core"
import * as Bench from "./Bench.js"
import * as List from "./List.js"
import * as ReportCommand from "./ReportCommand.js"
import * as ServeSim from "./ServeSim.js"
import * as Solve from "./Solve.js"

/** The `stepwise` command and its subcommands. */
export const command = Command.make("stepwise").pipe(
  Command.withDescription("Search-based LLM decoding guided by process reward models: benchmark, solve, list, report, serve"),
  Command.withSubcommands([Bench.command, Solve.command, List.command, ReportCommand.command, ServeSim.command])
)

/** Runs the command line over the given arguments (without the node and script paths). */
export const run = Command.runWith(command, { version: "0.1.0" })

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
