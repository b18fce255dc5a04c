/** @stepwise/harness: The benchmark harness of stepwise: datasets, grading, the runner, metrics and reports. */
export * as Dataset from "./Dataset.js"
export * as Equivalence from "./Equivalence.js"
export * as FinalAnswer from "./FinalAnswer.js"
export * as Grader from "./Grader.js"
export * as Normalization from "./Normalization.js"
export * as Metrics from "./Metrics.js"
export * as ResultRecord from "./ResultRecord.js"
export * as Statistics from "./Statistics.js"
