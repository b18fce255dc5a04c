import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as CliError from "effect/cli/CliError"
import * as Main from "./Main.js"

// Typed failures print one line that says what to fix (the command line's own parse errors are already shown
// with the help); the exit code is 1. Ctrl-C interrupts cleanly through the runtime. Modules are imported by
// their own paths rather than through package indexes, so start-up loads only what the command uses.
Main.run(process.argv.slice(2)).pipe(
  Effect.catch((error) =>
    Effect.sync(() => {
      if (!CliError.isCliError(error)) console.error(`stepwise: ${error instanceof Error ? error.message : String(error)}`)
      process.exitCode = 1
    })
  ),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
