/**
 * @stepwise/verifiers: score aggregation, a prefix-score cache, a ThinkPRM-style generative verifier, LLM judges,
 * served discriminative PRMs, exact checkers and ensembles — all behind core's `ProcessRewardModel` contract, and
 * the verifier registry (`Verifiers`) that recipes, the command line and the Promise API make them from.
 */
export { Aggregation } from "@stepwise/core"
export * as Arithmetic from "./Arithmetic.js"
export * as BinaryChoice from "./BinaryChoice.js"
export * as ChainParser from "./ChainParser.js"
export * as Ensemble from "./Ensemble.js"
export * as ExactChecker from "./ExactChecker.js"
export * as ExactOptions from "./ExactOptions.js"
export * as Judge from "./Judge.js"
export * as PoolingPrm from "./PoolingPrm.js"
export * as PrefixCache from "./PrefixCache.js"
export * as ThinkPrm from "./ThinkPrm.js"
export * as TokenLogitPrm from "./TokenLogitPrm.js"
export * as VerdictParser from "./VerdictParser.js"
export * as Verifier from "./Verifier.js"
export * as Verifiers from "./Verifiers.js"
