import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Main from "./Main.js"

// Typed failures print one line that says what to fix (the command line's own parse errors are already shown,
// with the usage line); the exit code is 1. Ctrl-C interrupts cleanly through the runtime. Modules are imported by
// their own paths rather than through package indexes, so start-up loads only what the command uses.
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
