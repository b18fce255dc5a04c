import { resolve } from "node:path"
import { Clock, Data, Effect } from "effect"
import { Accountant, CostModels } from "@stepwise/accountant"
import type { InvalidOptions, Problem } from "@stepwise/core"
import { Options as OptionSchemas, Registry } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import type { Strategy } from "@stepwise/search"
import * as Registries from "./Registries.js"
import * as Backends from "./Backends.js"
import * as Dataset from "./Dataset.js"
import * as Grader from "./Grader.js"
import * as Progress from "./Progress.js"
import * as Recipe from "./Recipe.js"
import * as ResultRecord from "./ResultRecord.js"
import * as ResultsFile from "./ResultsFile.js"

/** Loads a data set entry of a recipe (file paths already resolved against the recipe's folder). */
export type DatasetLoader = (spec: Recipe.DatasetSpec) => Effect.Effect<Dataset.Dataset, Dataset.DatasetError>

/** The default data set loader: the file formats and generated simulator sets. */
export const defaultDatasetLoader: DatasetLoader = (spec) => {
  const options = (entry: { readonly limit?: number | undefined; readonly system?: string | undefined }) => ({
    ...(entry.limit === undefined ? {} : { limit: entry.limit }),
    ...(entry.system === undefined ? {} : { system: entry.system })
  })
  switch (spec.kind) {
    case "math500":
      return Dataset.math500(spec.path, options(spec))
    case "gsm8k":
      return Dataset.gsm8k(spec.path, options(spec))
    case "aime":
      return Dataset.aime(spec.path, options(spec))
    case "game24":
      return Dataset.game24(spec.path, options(spec))
    case "simulator":
      return Dataset.simulator({
        preset: spec.preset,
        count: spec.count,
        seed: spec.seed,
        ...(spec.difficulty === undefined ? {} : { difficulty: spec.difficulty }),
        ...(spec.name === undefined ? {} : { name: spec.name })
      })
  }
}

/** Options of `run`. */
export interface Options {
  /** The results file (JSON Lines); a rerun with the same file resumes. */
  readonly results: string
  /** The registries the recipe's strategies, backend, verifier and cost model are made from (default: the built-in ones). */
  readonly registries?: Registries.Registries
  /** Reads an environment variable (API keys the backend's options name; default: the process environment). */
  readonly environment?: (name: string) => string | undefined
  /** Loads data sets (default: the file formats). */
  readonly datasetLoader?: DatasetLoader
  /** Folder that relative paths of the recipe are resolved against (default: the working folder). */
  readonly baseDirectory?: string
  /** Progress display (default `auto`: a bar on a terminal, lines otherwise). */
  readonly progress?: Progress.Mode
  /** Where progress goes (default `process.stderr`). */
  readonly output?: Progress.Output
  /** Overrides the recipe's concurrency. */
  readonly concurrency?: number
}

/**
 * The run's shared pool ran out: the run stops before starting another problem (finished problems are kept;
 * raise the pool and rerun to resume).
 */
export class PoolExhausted extends Data.TaggedError("PoolExhausted")<{
  readonly resource: string
  readonly limit: number
}> {
  override get message(): string {
    return `the run's pool is exhausted: ${this.resource} reached its limit of ${this.limit}; raise "pool" in the recipe and rerun to resume`
  }
}

/** What a run did: every record in the results file (old and new), and how many were skipped and run now. */
export interface Outcome {
  readonly results: string
  readonly records: ReadonlyArray<ResultRecord.ResultRecord>
  readonly total: number
  readonly skipped: number
  readonly ran: number
}

/** Any error that stops a run (a failing strategy does not: its problem is recorded as wrong with the error). */
export type RunError =
  | Recipe.RecipeError
  | Dataset.DatasetError
  | ResultsFile.ResultsFileError
  | Backends.BackendError
  | InvalidOptions
  | PoolExhausted

/** One unit of work: a cell and one of its problems. */
export interface Work {
  readonly key: string
  readonly dataset: Dataset.Dataset
  readonly datasetName: string
  readonly strategy: Recipe.StrategySpec
  readonly strategyLabel: string
  /** The options as the recipe gives them at this budget, plus the run's seed (defaults not yet filled in). */
  readonly options: Readonly<Record<string, unknown>>
  readonly budget: Recipe.BudgetSpec
  readonly seed: number
  readonly problem: Problem.Problem
}

const resolveSpec = (spec: Recipe.DatasetSpec, base: string): Recipe.DatasetSpec =>
  spec.kind === "simulator" ? spec : { ...spec, path: resolve(base, spec.path) }

const difficultyOf = (problem: Problem.Problem): number | null => {
  const difficulty = problem.metadata?.["difficulty"]
  return typeof difficulty === "number" ? difficulty : null
}

/** JSON with object keys sorted, to compare option objects. */
const stableJson = (value: unknown): string =>
  JSON.stringify(value, (_, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner
  )

const describeError = (error: { readonly _tag: string; readonly message?: string }): string =>
  `${error._tag}: ${error.message ?? ""}`.trim()

/**
 * Expands a recipe into its work: datasets × strategies × budgets × seeds × problems, in that order, each with
 * its key. Use to count or list a run without running it.
 */
export const plan = (
  recipe: Recipe.Recipe,
  datasets: ReadonlyArray<readonly [Recipe.DatasetSpec, Dataset.Dataset]>,
  strategies: Strategies.Any = Strategies.registry
): ReadonlyArray<Work> => {
  // The run's seed goes to every strategy that takes one.
  const seeded = (kind: string): boolean => {
    const entry: Registry.AnyEntry | undefined = strategies.entries[kind]
    return entry !== undefined && OptionSchemas.keysAt(entry.options, []).includes("seed")
  }
  const work: Array<Work> = []
  for (const [spec, dataset] of datasets) {
    const datasetName = Recipe.datasetName(spec)
    const wanted = spec.kind === "simulator" ? undefined : spec.difficulties
    const problems =
      wanted === undefined ? dataset.problems : dataset.problems.filter((problem) => wanted.includes(difficultyOf(problem) ?? Number.NaN))
    for (const strategy of recipe.strategies)
      for (const budget of recipe.budgets)
        for (const seed of recipe.seeds)
          for (const problem of problems) {
            const strategyLabel = Recipe.strategyLabel(strategy)
            work.push({
              key: ResultRecord.keyOf({ dataset: datasetName, strategy: strategyLabel, budget: budget.label, seed, problemId: problem.id }),
              dataset,
              datasetName,
              strategy,
              strategyLabel,
              options: { ...Recipe.optionsAt(strategy, budget.label), ...(seeded(strategy.kind) ? { seed } : {}) },
              budget,
              seed,
              problem
            })
          }
  }
  return work
}

/**
 * Runs a recipe: every cell (dataset × strategy × budget × seed) on every problem, each problem under its own
 * child budget of the shared pool, `concurrency` problems at once. Each finished problem is appended to the
 * results file as one JSON line as soon as it completes; a rerun skips the keys already there. Interrupting
 * the run (Ctrl-C) stops the problems in flight and loses nothing already written; a killed run leaves at most a
 * torn last line, which the next run drops and redoes.
 *
 * @example
 * const outcome = yield* Runner.run(recipe, { results: "results.jsonl", backendFactory: Backends.factory })
 */
export const run = (recipe: Recipe.Recipe, options: Options): Effect.Effect<Outcome, RunError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const base = options.baseDirectory ?? process.cwd()
      const loader = options.datasetLoader ?? defaultDatasetLoader
      const registries = options.registries ?? Registries.builtIn
      const registry = registries.strategies
      const datasets = yield* Effect.forEach(recipe.datasets, (spec) =>
        Effect.map(loader(resolveSpec(spec, base)), (dataset) => [spec, dataset] as const)
      )
      const work = plan(recipe, datasets, registry)
      const previous = yield* ResultsFile.read(options.results)
      const done = new Map(previous.records.map((record) => [record.key, record]))

      // Strategies are made once per distinct (kind, options), before anything runs, so bad options fail fast.
      const identity = (item: Work) => JSON.stringify([item.strategy.kind, item.options])
      const strategies = new Map<string, Strategy.Strategy>()
      for (const item of work) {
        const id = identity(item)
        if (!strategies.has(id)) strategies.set(id, yield* Registry.make(registry, item.strategy.kind, item.options, undefined))
      }
      // What a record keeps of a strategy's options: the strategy's own account (defaults filled in), else as given.
      const optionsOf = (item: Work): Readonly<Record<string, unknown>> => strategies.get(identity(item))?.options ?? item.options

      for (const item of work) {
        const earlier = done.get(item.key)
        if (earlier === undefined) continue
        if (stableJson(earlier.options) !== stableJson(optionsOf(item)) || stableJson(earlier.limits) !== stableJson(Recipe.limitsOf(item.budget.limits)))
          return yield* Effect.fail(
            new Recipe.RecipeError({
              file: options.results,
              field: `strategies.${item.strategyLabel}`,
              detail: `was run at budget "${item.budget.label}" with other options or limits; give the changed strategy or budget a new label, or start a fresh results file`
            })
          )
      }
      const todo = work.filter((item) => !done.has(item.key))

      const backend = yield* Backends.make({ backend: recipe.backend, verifier: recipe.verifier }, registries, {
        baseDirectory: base,
        environment: options.environment ?? ((name) => process.env[name])
      })
      const costModel = yield* CostModels.make(recipe.costModel ?? { kind: "tokens" }, registries.costModels)
      const pool = yield* Accountant.make(Recipe.limitsOf(recipe.pool ?? {}), "pool", { costModel })
      const writer = yield* ResultsFile.open(options.results, previous)
      const progress = Progress.make({
        total: work.length,
        skipped: work.length - todo.length,
        mode: options.progress ?? "auto",
        output: options.output ?? process.stderr
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => progress.stop()))

      const grading = {
        ...(recipe.grading?.tolerance === undefined ? {} : { tolerance: recipe.grading.tolerance }),
        ...(recipe.grading?.symbolicTimeLimitMillis === undefined ? {} : { symbolicTimeLimitMillis: recipe.grading.symbolicTimeLimitMillis })
      }
      const added: Array<ResultRecord.ResultRecord> = []

      const runOne = (item: Work) =>
        Effect.gen(function* () {
          const strategy = strategies.get(identity(item))!
          const state = yield* pool.snapshot
          for (const [resource, limit] of Object.entries(state.limits))
            if (limit !== undefined && state.remaining[resource as keyof typeof state.remaining] <= 0)
              return yield* Effect.fail(new PoolExhausted({ resource, limit }))
          const child = yield* pool.child(Recipe.limitsOf(item.budget.limits), `${item.strategyLabel}/${item.budget.label}/${item.seed}/${item.problem.id}`)
          const started = yield* Clock.currentTimeMillis
          const result = yield* strategy.run(item.problem).pipe(
            Accountant.provide(child),
            Backends.provide(backend),
            Effect.result
          )
          const finished = yield* Clock.currentTimeMillis
          const spent = (yield* child.snapshot).spent
          const answer = result._tag === "Success" ? result.success.answer : undefined
          const reference = item.problem.reference
          const correct =
            answer === undefined
              ? false
              : item.dataset.isCorrect !== undefined
                ? item.dataset.isCorrect(item.problem, answer)
                : reference !== undefined && Grader.isCorrect(answer, reference, grading)
          const noAnswer =
            result._tag === "Failure"
              ? result.failure._tag === "BudgetExhausted"
                ? "budget-exhausted"
                : "error"
              : result.success.outcome._tag === "NoAnswer"
                ? result.success.outcome.reason
                : null
          const record: ResultRecord.ResultRecord = {
            key: item.key,
            dataset: item.datasetName,
            strategy: item.strategyLabel,
            strategyName: item.strategy.kind,
            options: { ...optionsOf(item) },
            budget: item.budget.label,
            limits: Recipe.limitsOf(item.budget.limits),
            seed: item.seed,
            problemId: item.problem.id,
            difficulty: difficultyOf(item.problem),
            reference: reference ?? null,
            answer: answer ?? null,
            correct,
            noAnswer,
            budgetExhausted: result._tag === "Success" ? result.success.budgetExhausted : result.failure._tag === "BudgetExhausted",
            inputTokens: spent.inputTokens,
            outputTokens: spent.outputTokens,
            verifierCalls: spent.verifierCalls,
            verifierTokens: spent.verifierTokens,
            cost: spent.cost,
            costUnit: costModel.unit,
            eflops: costModel.unit === "eFLOPs" ? spent.cost : null,
            wallMillis: finished - started,
            error: result._tag === "Failure" && result.failure._tag !== "BudgetExhausted" ? describeError(result.failure) : null
          }
          yield* Effect.uninterruptible(
            Effect.andThen(writer.append(record), Effect.sync(() => {
              added.push(record)
              progress.done(record)
            }))
          )
        })

      yield* Effect.forEach(todo, runOne, { concurrency: options.concurrency ?? recipe.concurrency, discard: true })
      return {
        results: options.results,
        records: [...previous.records, ...added],
        total: work.length,
        skipped: work.length - todo.length,
        ran: added.length
      }
    })
  )
