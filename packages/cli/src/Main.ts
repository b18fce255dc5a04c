import { Command } from "effect/cli"
import * as Bench from "./Bench.js"
import * as ReportCommand from "./ReportCommand.js"
import * as ServeSim from "./ServeSim.js"
import * as Solve from "./Solve.js"

/** The `stepwise` command and its subcommands. */
export const command = Command.make("stepwise").pipe(
  Command.withDescription("Search-based LLM decoding guided by process reward models: benchmark, solve, report, serve"),
  Command.withSubcommands([Bench.command, Solve.command, ReportCommand.command, ServeSim.command])
)

/** Runs the command line over the given arguments (without the node and script paths). */
export const run = Command.runWith(command, { version: "0.1.0" })
