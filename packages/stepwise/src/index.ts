/**
 * stepwise: search-based LLM decoding guided by process reward models. The Promise API (`solve`, `bench`) for
 * people who don't use Effect, and the building blocks of every package for those who do.
 */
export { bench, solve, toPromise } from "./Promises.js"
export type { BenchOptions, BenchOutcome, SolveOptions, StrategyInput } from "./Promises.js"
export * from "@stepwise/core"
export { Accountant, Budget, CostModel, CostModels, Snapshot, StopCondition } from "@stepwise/accountant"
// Every strategy and the building blocks of one's own (Run.search, TreeRecorder, Expansion, Scoring, Selection, …).
export {
  AdaptiveConsistency,
  AStar,
  BeamOptions,
  BeamSearch,
  BestFirst,
  BestOfN,
  BudgetSchedule,
  Combinators,
  ComputeOptimal,
  Confidence,
  DeepConf,
  Dvts,
  EarlyStoppingConsistency,
  Expansion,
  Frontier,
  LogprobSampling,
  Lookahead,
  Mcts,
  ParticleFiltering,
  ParticleGibbs,
  PlanAndBudget,
  Rebase,
  Resampling,
  Round,
  Run,
  Scoring,
  SearchOptions,
  Selection,
  SelfCertainty,
  SelfConsistency,
  Strategies,
  Strategy,
  TreeRecorder
} from "@stepwise/search"
export { Aggregation, Ensemble, ExactChecker, Judge, PoolingPrm, PrefixCache, ThinkPrm, TokenLogitPrm, Verifier, Verifiers } from "@stepwise/verifiers"
export { Presets, Server, World } from "@stepwise/simulator"
export { Backend, Gguf, HuggingFace, LlamaCpp, Replay } from "@stepwise/models"
export { Dataset, Grader, Metrics, Recipe, Registries, Report, Runner } from "@stepwise/harness"
