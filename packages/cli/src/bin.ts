import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import * as Main from "./Main.js"

// Typed failures print one line that says what to fix (the command line's own parse errors are already shown
// with the help); the exit code is 1. Ctrl-C interrupts cleanly through the runtime.
Main.run(process.argv.slice(2)).pipe(
  Effect.catch((error) =>
    Effect.sync(() => {
      const line = Main.failureLine(error)
      if (line !== undefined) console.error(`stepwise: ${line}`)
      process.exitCode = 1
    })
  ),
  Effect.provide(NodeServices.layer),
  NodeRuntime.runMain
)
