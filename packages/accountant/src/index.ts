/**
 * @stepwise/accountant: budgets, cost models (and their registry) and the compute accountant that meters every call.
 */
export * as Accountant from "./Accountant.js"
export * as Budget from "./Budget.js"
export * as Charge from "./Charge.js"
export * as CostModel from "./CostModel.js"
export * as CostModels from "./CostModels.js"
export * as Snapshot from "./Snapshot.js"
export * as StopCondition from "./StopCondition.js"
