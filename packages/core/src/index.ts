/**
 * @stepwise/core: the domain values, the service contracts and the tagged errors of stepwise.
 */
export * as Aggregation from "./Aggregation.js"
export * as Answer from "./Answer.js"
export * from "./Errors.js"
export * as LanguageModel from "./LanguageModel.js"
export * as Logprob from "./Logprob.js"
export * as Message from "./Message.js"
export * as Meter from "./Meter.js"
export * as Problem from "./Problem.js"
export * as ProcessRewardModel from "./ProcessRewardModel.js"
export * as Resource from "./Resource.js"
export * as SearchEvent from "./SearchEvent.js"
export * as SearchResult from "./SearchResult.js"
export * as SearchTree from "./SearchTree.js"
export * as Step from "./Step.js"
export * as Trajectory from "./Trajectory.js"
export * as Usage from "./Usage.js"
