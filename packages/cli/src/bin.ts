import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import * as Main from "./Main.js"

Main.run(process.argv.slice(2)).pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
