/**
 * @stepwise/cli: the `stepwise` command (bench, solve, report, serve-sim).
 */
export * as Bench from "./Bench.js"
export * as Describe from "./Describe.js"
export * as List from "./List.js"
export * as Main from "./Main.js"
export * as Paths from "./Paths.js"
export * as Plugins from "./Plugins.js"
export * as ReportCommand from "./ReportCommand.js"
export * as ServeSim from "./ServeSim.js"
export * as Solve from "./Solve.js"
