import { Effect } from "effect"
import { z } from "zod"
import type { Budget } from "@stepwise/accountant"
import { Accountant, Budget as Budgets } from "@stepwise/accountant"
import type { LanguageModelError, Problem, SearchError, SearchResult } from "@stepwise/core"
import { InvalidOptions, isRetryable, Options, Resource, SearchEvent, Trajectory, VerifierError } from "@stepwise/core"
import * as Run from "./Run.js"
import * as Selection from "./Selection.js"
import type { Requirements, Strategy } from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Runs a strategy under a child budget with its own limits, spending from the current one.
 * Use to cap one strategy inside a larger run.
 *
 * @example
 * const capped = yield* Combinators.withBudget(beam, { totalTokens: 20_000, verifierCalls: 64 })
 */
export const withBudget = (strategy: Strategy, limits: Budget.Limits): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.map(Budgets.validate(limits, "withBudget"), (checked) => ({
    name: strategy.name,
    options: { ...strategy.options, budget: checked },
    run: (problem: Problem.Problem) => Accountant.withChild(checked, `${strategy.name}-budget`)(strategy.run(problem))
  }))

/**
 * Combines the results of several runs into one: the trees merged under one root, the candidates renumbered, the
 * spend read from an unlimited child budget around all the runs, the answer and best trajectory from `choose`.
 * Use in a strategy that runs other strategies (the combinators here, compute-optimal selection).
 */
export const combined = (
  name: string,
  problem: Problem.Problem,
  runs: Effect.Effect<ReadonlyArray<SearchResult.SearchResult>, SearchError, Requirements>,
  choose: (results: ReadonlyArray<SearchResult.SearchResult>) => SearchResult.SearchResult | undefined
): Effect.Effect<SearchResult.SearchResult, SearchError, Requirements> =>
  Accountant.withChild({}, name)(
    Effect.gen(function* () {
      yield* SearchEvent.emit({ _tag: "search-start", strategy: name, problemId: problem.id })
      const results = yield* runs
      const { tree, ids } = TreeRecorder.merge(results.map((result) => result.tree))
      const candidates = results.flatMap((result, index) =>
        result.candidates.map((candidate) => ({ ...candidate, nodeId: ids[index]?.get(candidate.nodeId) ?? candidate.nodeId }))
      )
      const chosen = choose(results)
      const exhausted = results.some((result) => result.budgetExhausted)
      const answer = chosen?.answer
      const outcome: SearchResult.Outcome =
        chosen !== undefined
          ? chosen.outcome
          : Run.outcomeOf({ answer: undefined, best: undefined }, candidates.length, exhausted)
      const snapshot = yield* Accountant.snapshot
      yield* SearchEvent.emit({
        _tag: "search-end",
        strategy: name,
        answer,
        reason: outcome._tag === "Answered" ? `answered by ${chosen?.strategy ?? name}` : outcome.reason
      })
      return {
        strategy: name,
        problemId: problem.id,
        outcome,
        answer,
        best: chosen?.best,
        bestScore: chosen?.bestScore,
        candidates,
        tree,
        spend: snapshot.spent,
        usage: TreeRecorder.usage(tree),
        budgetExhausted: exhausted
      }
    })
  )

// Failures another strategy may not meet: a verifier's, a model server's that retries did not cure.
const isTransient = (error: unknown): boolean =>
  error instanceof VerifierError || (typeof error === "object" && error !== null && isRetryable(error as LanguageModelError))

/**
 * Runs strategies in order under the same budget until one answers; the result is the first answer, with the
 * explored trees of every run merged. A strategy that fails transiently (a verifier or a model server that is down)
 * passes on to the next too; one set up wrongly (its options, a model without logprobs) fails the fallback, as does
 * the last one's failure. Use to fall back to a cheaper or
 * sturdier strategy.
 *
 * @example
 * const sturdy = yield* Combinators.fallback([aStar, bestOfN])
 */
export const fallback = (strategies: ReadonlyArray<Strategy>): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    if (strategies.length === 0)
      return yield* Effect.fail(new InvalidOptions({ subject: "fallback", field: "strategies", detail: "must hold at least one strategy" }))
    const name = `fallback(${strategies.map((strategy) => strategy.name).join(", ")})`
    return {
      name,
      options: { strategies: strategies.map((strategy) => strategy.name) },
      run: (problem: Problem.Problem) =>
        combined(
          name,
          problem,
          Effect.gen(function* () {
            const results: Array<SearchResult.SearchResult> = []
            for (const [index, strategy] of strategies.entries()) {
              const last = index === strategies.length - 1
              // A transient failure (a server or verifier that is down) passes on to the next strategy; a strategy
              // set up wrongly (bad options, no logprobs) fails the fallback, as the last one's failure does.
              const result = last
                ? yield* strategy.run(problem)
                : yield* Effect.catch(strategy.run(problem), (error) => (isTransient(error) ? Effect.succeed(undefined) : Effect.fail(error)))
              if (result === undefined) continue
              results.push(result)
              if (result.outcome._tag === "Answered") break
            }
            return results
          }),
          (results) => results.find((result) => result.outcome._tag === "Answered") ?? results[results.length - 1]
        )
    }
  })

/** The options of `portfolio` (strict). */
export const portfolioOptions = z
  .object({
    shares: z
      .array(z.number().min(0))
      .optional()
      .describe("Share of the budget per strategy (default equal); normalized to sum 1."),
    combine: z
      .enum(["vote", "best"])
      .default("vote")
      .describe("vote: the answer most strategies gave (ties: the earlier strategy); best: the highest best score."),
    equivalence: Selection.equivalenceOption,
    concurrency: z.number().int().min(1).optional().describe("Strategies run at once (default all).")
  })
  .strict()

/** Options of `portfolio` as a user writes them. */
export type PortfolioOptions = z.input<typeof portfolioOptions>

/**
 * Splits what is left of the current budget across strategies (each under a child budget of its share of every
 * limited resource), runs them, and votes or picks among their answers.
 *
 * @example
 * const mix = yield* Combinators.portfolio([beam, particles], { shares: [1, 1], combine: "vote" })
 */
export const portfolio = (
  strategies: ReadonlyArray<Strategy>,
  options: PortfolioOptions = {}
): Effect.Effect<Strategy, InvalidOptions> =>
  Effect.gen(function* () {
    const settings = yield* Options.parse(portfolioOptions, options, "portfolio")
    const shares = settings.shares ?? strategies.map(() => 1)
    const problem = (field: string, detail: string) => Effect.fail(new InvalidOptions({ subject: "portfolio", field, detail }))
    if (strategies.length === 0) return yield* problem("strategies", "must hold at least one strategy")
    if (shares.length !== strategies.length || !shares.some((share) => share > 0))
      return yield* problem("shares", `must be ${strategies.length} numbers ≥ 0, not all 0, got ${shares.length}`)
    const total = shares.reduce((sum, share) => sum + share, 0)
    const combine = settings.combine
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    const name = `portfolio(${strategies.map((strategy) => strategy.name).join(", ")})`
    return {
      name,
      options: { strategies: strategies.map((strategy) => strategy.name), shares, combine },
      run: (problem: Problem.Problem) =>
        combined(
          name,
          problem,
          Effect.gen(function* () {
            // What the portfolio may spend, the limits above it included (its own budget here is an unlimited child).
            const available = yield* Accountant.available
            const limitsOf = (share: number): Budget.Limits => {
              const limits: Record<string, number> = {}
              for (const resource of Resource.all)
                if (Number.isFinite(available[resource])) {
                  const part = (Math.max(0, available[resource]) * share) / total
                  // Counts split in whole units; cost (dollars, eFLOPs) is fractional and splits exactly.
                  limits[resource] = resource === "cost" ? part : Math.floor(part)
                }
              return limits
            }
            return yield* Effect.forEach(
              strategies,
              (strategy, index) =>
                Accountant.withChild(limitsOf(shares[index] ?? 0), `${strategy.name}-share`)(strategy.run(problem)),
              { concurrency: settings.concurrency ?? strategies.length }
            )
          }),
          (results) => {
            const answered = results.filter((result) => result.answer !== undefined)
            if (combine === "best") {
              let best: SearchResult.SearchResult | undefined
              for (const result of answered)
                if (best === undefined || (result.bestScore ?? Number.NEGATIVE_INFINITY) > (best.bestScore ?? Number.NEGATIVE_INFINITY))
                  best = result
              return best ?? results[0]
            }
            const votes = Selection.groups(
              answered.map((result, index) => ({
                nodeId: index,
                trajectory: result.best ?? Trajectory.empty,
                answer: result.answer,
                score: result.bestScore
              })),
              equivalence
            )
            let winner: Selection.Group | undefined
            for (const group of votes) if (winner === undefined || group.count > winner.count) winner = group
            const first = winner?.members[0]
            return first === undefined ? results[0] : answered[first.nodeId]
          }
        )
    }
  })
