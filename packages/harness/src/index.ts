/** @stepwise/harness: The benchmark harness of stepwise: datasets, grading, the runner, metrics and reports. */
export * as Dataset from "./Dataset.js"
