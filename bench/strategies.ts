/**
 * Every search strategy on a simulator world at several equal budgets: accuracy, tokens and verifier calls, then
 * what A* needs to match best-of-64. Run: `npx tsx bench/strategies.ts [--preset medium] [--problems 40]
 * [--budgets 1600,3200,6400] [--resource outputTokens] [--seed 7]`. The recipe lives in the search package.
 */
import "../packages/search/bench/strategies.js"
