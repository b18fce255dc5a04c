/**
 * @stepwise/verifiers: score aggregation, a prefix-score cache, a ThinkPRM-style generative verifier, LLM judges,
 * served discriminative PRMs, exact checkers and ensembles — all behind core's `ProcessRewardModel` contract.
 */
export { Aggregation } from "@stepwise/core"
export * as Arithmetic from "./Arithmetic.js"
export * as BinaryChoice from "./BinaryChoice.js"
export * as ChainParser from "./ChainParser.js"
export * as Ensemble from "./Ensemble.js"
export * as ExactChecker from "./ExactChecker.js"
export * as Judge from "./Judge.js"
export * as ModelFailure from "./ModelFailure.js"
export * as ModelVerifier from "./ModelVerifier.js"
export * as OptionCheck from "./OptionCheck.js"
export * as PoolingPrm from "./PoolingPrm.js"
export * as PrefixCache from "./PrefixCache.js"
export * as ThinkPrm from "./ThinkPrm.js"
export * as TokenLogitPrm from "./TokenLogitPrm.js"
export * as VerdictParser from "./VerdictParser.js"
