import { existsSync, renameSync } from "node:fs"
import { resolve } from "node:path"
import { Clock, Data, Effect, Scheduler } from "effect"
import { Accountant, CostModel, CostModels } from "@stepwise/accountant"
import type { InvalidOptions, Problem, SearchResult } from "@stepwise/core"
import { Options as OptionSchemas, Redaction, Registry } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import type { Strategy } from "@stepwise/search"
import * as Registries from "./Registries.js"
import * as Backends from "./Backends.js"
import * as CostAxes from "./CostAxes.js"
import * as Dataset from "./Dataset.js"
import * as Grader from "./Grader.js"
import * as Progress from "./Progress.js"
import * as Recipe from "./Recipe.js"
import * as ResultRecord from "./ResultRecord.js"
import * as ResultsFile from "./ResultsFile.js"
import * as Sweep from "./Sweep.js"

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
  /**
   * Starts over: once the recipe, its strategies, data sets and backend are all valid (never before), an existing
   * results file is moved aside to `<file>.<timestamp>.bak` rather than deleted.
   */
  readonly fresh?: boolean
}

/** The label of a run's shared pool, the budget every problem's own budget spends from. */
const poolLabel = "pool"

/**
 * The run's shared pool ran out: the run stops before starting another problem. Finished problems are kept; a
 * problem that wanted a call the pool had no room for is not recorded (its budget was not there to spend), so
 * raising the pool and rerunning resumes with it. A problem crowded out only by other problems' reservations runs
 * again alone after the rest; the run stops only when the pool has no room for a problem run alone.
 */
export class PoolExhausted extends Data.TaggedError("PoolExhausted")<{
  readonly resource: string
  readonly limit: number
  /** What the pool had spent of the resource when the run stopped (absent: all of it). */
  readonly spent?: number
}> {
  override get message(): string {
    const state =
      this.spent === undefined || this.spent >= this.limit
        ? `${this.resource} reached its limit of ${this.limit}`
        : `${this.spent} of its ${this.limit} ${this.resource} are spent, and what is left does not fund a problem's next call`
    return `the run's pool is exhausted: ${state}; raise "pool" in the recipe and rerun to resume`
  }
}

/**
 * What a run did: the latest record of every key of the recipe (old and new, in the plan's order), how many records
 * of other keys the results file holds, how many were skipped and run now, and the runs that ended in an error (a
 * rerun retries them).
 */
export interface Outcome {
  readonly results: string
  readonly records: ReadonlyArray<ResultRecord.ResultRecord>
  /** Records in the results file that are not of this recipe's plan (left out of `records`). */
  readonly otherRecords: number
  readonly total: number
  readonly skipped: number
  readonly ran: number
  /** The latest records that are errors (never counted as done: a rerun retries them). */
  readonly errors: ReadonlyArray<ResultRecord.ResultRecord>
  /** Where `fresh` moved the old results file, when it did. */
  readonly movedAside?: string
}

/** Any error that stops a run (a failing strategy does not: its problem is recorded as an error, retried on rerun). */
export type RunError =
  | Recipe.RecipeError
  | Dataset.DatasetError
  | ResultsFile.ResultsFileError
  | Backends.BackendError
  | InvalidOptions
  | PoolExhausted

/** One unit of work: a cell (data set × strategy configuration × budget × seed) and one of its problems. */
export interface Work {
  readonly key: string
  readonly dataset: Dataset.Dataset
  readonly datasetName: string
  readonly strategy: Recipe.StrategySpec
  readonly strategyLabel: string
  /** The configuration of a swept or scaled strategy (`n=8`); empty otherwise. */
  readonly configuration: string
  /** The options as the recipe gives them at this budget and configuration, plus the run's seed (defaults not yet filled in). */
  readonly options: Readonly<Record<string, unknown>>
  readonly budget: Recipe.BudgetSpec
  readonly seed: number
  readonly problem: Problem.Problem
}

// A file's path resolved against the recipe's folder; with `difficulties` the loader reads the whole file, since
// `limit` counts the problems of those levels (`problemsOf` applies both).
const resolveSpec = (spec: Recipe.DatasetSpec, base: string): Recipe.DatasetSpec => {
  if (spec.kind === "simulator") return spec
  const { limit, ...rest } = spec
  return { ...(spec.difficulties === undefined && limit !== undefined ? { limit } : {}), ...rest, path: resolve(base, spec.path) }
}

const difficultyOf = (problem: Problem.Problem): number | null => {
  const difficulty = problem.metadata?.["difficulty"]
  return typeof difficulty === "number" ? difficulty : null
}

/**
 * Why a data set gives the recipe nothing to run (an empty file, or difficulties it does not have), naming the file
 * and the levels it has; `undefined` when it gives something. Such a run would print empty tables and "succeed".
 */
const emptyError = (spec: Recipe.DatasetSpec, dataset: Dataset.Dataset, base: string): Dataset.DatasetError | undefined => {
  if (problemsOf(spec, dataset).length > 0) return undefined
  const file = spec.kind === "simulator" ? Recipe.datasetName(spec) : resolve(base, spec.path)
  if (dataset.problems.length === 0 || spec.kind === "simulator" || spec.difficulties === undefined)
    return new Dataset.DatasetError({ file, line: 0, field: "problems", detail: "holds no problems" })
  const levels = [...new Set(dataset.problems.map(difficultyOf).filter((level): level is number => level !== null))].sort((a, b) => a - b)
  return new Dataset.DatasetError({
    file,
    line: 0,
    field: "difficulties",
    detail: `keeps none of its ${dataset.problems.length} problems: no problem has difficulty ${spec.difficulties.join(" or ")} (${levels.length === 0 ? "it has no levels" : `its levels: ${levels.join(", ")}`})`
  })
}

/**
 * A data set's problems a recipe runs: those of its `difficulties`, when it names some, then the first `limit` of
 * them (a simulator set: all).
 */
const problemsOf = (spec: Recipe.DatasetSpec, dataset: Dataset.Dataset): ReadonlyArray<Problem.Problem> => {
  if (spec.kind === "simulator") return dataset.problems
  const wanted = spec.difficulties
  const kept = wanted === undefined ? dataset.problems : dataset.problems.filter((problem) => wanted.includes(difficultyOf(problem) ?? Number.NaN))
  return spec.limit === undefined ? kept : kept.slice(0, spec.limit)
}

/** JSON with object keys sorted, to compare option objects. */
const stableJson = (value: unknown): string =>
  JSON.stringify(value, (_, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner
  )

// FNV-1a over a string, as 8 hex digits: a short, stable fingerprint.
const fingerprint = (text: string): string => {
  let hash = 0x811c9dc5
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(16).padStart(8, "0")
}

/**
 * The identity of a recipe's backend in result keys: its kind and a fingerprint of its whole configuration (its
 * options, and the verifier when the recipe names one), so results of another model, server, world or verifier are
 * never taken for this one's on a rerun. The options are fingerprinted flat beside the kind.
 */
export const backendIdentity = (spec: Recipe.Spec, verifier?: Recipe.Spec): string => {
  const options = typeof spec.options === "object" && spec.options !== null ? (spec.options as Record<string, unknown>) : {}
  return `${spec.kind}#${fingerprint(stableJson({ ...options, kind: spec.kind, ...(verifier === undefined ? {} : { verifier }) }))}`
}

const describeError = (error: { readonly _tag: string; readonly message?: string }): string =>
  Redaction.scrub(`${error._tag}: ${error.message ?? ""}`.trim())

type SizedEntry = Registry.AnyEntry & { readonly size?: Strategy.Size }

/**
 * Expands a recipe into its work: datasets × strategies (× their swept or scaled configurations) × budgets ×
 * seeds × problems, in that order, each with its key. Use to count or list a run without running it.
 */
export const plan = (
  recipe: Recipe.Recipe,
  datasets: ReadonlyArray<readonly [Recipe.DatasetSpec, Dataset.Dataset]>,
  strategies: Strategies.Any = Strategies.registry
): ReadonlyArray<Work> => {
  const backend = backendIdentity(recipe.backend, recipe.verifier)
  const entryOf = (kind: string): SizedEntry | undefined => strategies.entries[kind]
  // The run's seed goes to every strategy that takes one.
  const seeded = (kind: string): boolean => {
    const entry = entryOf(kind)
    return entry !== undefined && OptionSchemas.keysAt(entry.options, []).includes("seed")
  }
  const work: Array<Work> = []
  for (const [spec, dataset] of datasets) {
    const datasetName = Recipe.datasetName(spec)
    const problems = problemsOf(spec, dataset)
    for (const strategy of recipe.strategies) {
      const strategyLabel = Recipe.strategyLabel(strategy)
      for (const budget of recipe.budgets) {
        const given = Recipe.optionsAt(strategy, budget.label)
        const found = Sweep.variants({ ...strategy, options: given }, entryOf(strategy.kind)?.size, budget.limits, recipe.sizing.tokensPerSolution)
        // The recipe was validated against the same registry, so a message here cannot happen; keep the plain strategy.
        const variants = typeof found === "string" ? [{ configuration: "", overrides: {} }] : found
        for (const variant of variants)
          for (const seed of recipe.seeds)
            for (const problem of problems)
              work.push({
                key: ResultRecord.keyOf({
                  dataset: datasetName,
                  strategy: strategyLabel,
                  configuration: variant.configuration,
                  budget: budget.label,
                  seed,
                  problemId: problem.id,
                  backend
                }),
                dataset,
                datasetName,
                strategy,
                strategyLabel,
                configuration: variant.configuration,
                options: { ...given, ...variant.overrides, ...(seeded(strategy.kind) ? { seed } : {}) },
                budget,
                seed,
                problem
              })
      }
    }
  }
  return work
}

/** The outcome of one finished run. */
const outcomeOf = (
  result: { readonly _tag: "Success"; readonly success: SearchResult.SearchResult } | { readonly _tag: "Failure"; readonly failure: { readonly _tag: string } },
  correct: boolean
): ResultRecord.Outcome => {
  if (result._tag === "Failure") return result.failure._tag === "BudgetExhausted" ? "no-answer" : "error"
  if (result.success.answer === undefined) return "no-answer"
  return correct ? "correct" : "wrong"
}

/**
 * Runs a recipe: every cell (dataset × strategy configuration × budget × seed) on every problem, each problem
 * under its own child budget of the shared pool (closed when the problem ends, so bookkeeping stays O(1) per
 * problem), `concurrency` problems at once. Each finished problem is appended to the results file as one JSON line
 * as soon as it completes; a rerun skips the keys already there — except errors, which it retries. A defect in a
 * strategy, verifier or grader becomes that problem's error record, never the run's end. Interrupting the run
 * (Ctrl-C) stops the problems in flight and loses nothing already written; a killed run leaves at most a torn last
 * line, which the next run drops and redoes.
 *
 * @example
 * const outcome = yield* Runner.run(recipe, { results: "results.jsonl" })
 */
export const run = (recipe: Recipe.Recipe, options: Options): Effect.Effect<Outcome, RunError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const base = options.baseDirectory ?? process.cwd()
      const loader = options.datasetLoader ?? defaultDatasetLoader
      const registries = options.registries ?? Registries.builtIn
      const registry = registries.strategies
      const datasets = yield* Effect.forEach(recipe.datasets, (spec) =>
        Effect.flatMap(loader(resolveSpec(spec, base)), (dataset) => {
          const empty = emptyError(spec, dataset, base)
          return empty === undefined ? Effect.succeed([spec, dataset] as const) : Effect.fail(empty)
        })
      )
      const work = plan(recipe, datasets, registry)

      // Strategies are made once per distinct (kind, options, data set grading), before anything runs, so bad options
      // fail fast. Votes on a data set graded by the grader group answers by the grader's equivalence (`\frac12`, `0.5`
      // and `1/2` vote together); data sets with their own check (simulator worlds, Game of 24) keep the default.
      const grading = {
        ...(recipe.grading?.tolerance === undefined ? {} : { tolerance: recipe.grading.tolerance }),
        ...(recipe.grading?.symbolicTimeLimitMillis === undefined ? {} : { symbolicTimeLimitMillis: recipe.grading.symbolicTimeLimitMillis })
      }
      const equivalence = Grader.equivalence(grading)
      const takesEquivalence = (kind: string): boolean => {
        const entry: Registry.AnyEntry | undefined = registry.entries[kind]
        return entry !== undefined && OptionSchemas.keysAt(entry.options, []).includes("equivalence")
      }
      const graded = (item: Work) => item.dataset.isCorrect === undefined && takesEquivalence(item.strategy.kind)
      const withEquivalence = (item: Work) => (graded(item) && !("equivalence" in item.options) ? { ...item.options, equivalence } : item.options)
      const identity = (item: Work) => JSON.stringify([item.strategy.kind, item.options, graded(item)])
      const strategies = new Map<string, Strategy.Strategy>()
      for (const item of work) {
        const id = identity(item)
        if (!strategies.has(id)) strategies.set(id, yield* Registry.make(registry, item.strategy.kind, withEquivalence(item), undefined))
      }
      // What a record keeps of a strategy's options: the strategy's own account (defaults filled in), else as given.
      const optionsOf = (item: Work): Readonly<Record<string, unknown>> => strategies.get(identity(item))?.options ?? item.options

      const backend = yield* Backends.make({ backend: recipe.backend, verifier: recipe.verifier }, registries, {
        baseDirectory: base,
        environment: options.environment ?? ((name) => process.env[name])
      })

      // One run per results file at a time (a second would redo and append all the same work).
      yield* ResultsFile.lock(options.results)

      // Everything is valid: only now may an old results file be moved aside.
      let movedAside: string | undefined
      if (options.fresh === true && existsSync(options.results)) {
        const aside = `${options.results}.${new Date().toISOString().replace(/[:.]/g, "-")}.bak`
        yield* Effect.try({
          try: () => renameSync(options.results, aside),
          catch: (cause) => new ResultsFile.ResultsFileError({ file: options.results, line: 0, detail: `cannot be moved aside: ${String(cause)}` })
        })
        movedAside = aside
      }

      // How runs are measured and graded: records measured otherwise would be averaged with these in the report.
      const measurement = fingerprint(
        stableJson({
          costModel: recipe.costModel ?? { kind: "tokens" },
          prices: recipe.prices ?? null,
          modelShape: recipe.modelShape ?? null,
          verifierShape: recipe.verifierShape ?? null,
          grading: recipe.grading ?? null
        })
      )
      const previous = yield* ResultsFile.read(options.results)
      const output = options.output ?? process.stderr
      if (previous.tornTail) output.write(`${options.results}: left out a torn last line (a killed run's write); its problem runs again\n`)
      const latest = new Map(previous.records.map((record) => [record.key, record]))
      // Records from before fingerprints were kept cannot be checked: counted and said, not refused (they may well match).
      let unchecked = 0
      for (const item of work) {
        const earlier = latest.get(item.key)
        if (earlier === undefined) continue
        if (earlier.measurement === undefined) unchecked++
        else if (earlier.measurement !== measurement)
          return yield* Effect.fail(
            new Recipe.RecipeError({
              file: options.results,
              field: "costModel",
              detail: `holds runs measured or graded otherwise (the cost model, prices, modelShape, verifierShape or grading differ from this recipe's): their costs and grades would be averaged with these; use another results file, or start over with --fresh`
            })
          )
        if (stableJson(earlier.options) !== stableJson(optionsOf(item)) || stableJson(earlier.limits) !== stableJson(Recipe.limitsOf(item.budget.limits)))
          return yield* Effect.fail(
            new Recipe.RecipeError({
              file: options.results,
              field: `strategies.${item.strategyLabel}`,
              detail: `was run at budget "${item.budget.label}" with other options or limits; give the changed strategy or budget a new label, or start over with --fresh`
            })
          )
      }
      if (unchecked > 0)
        output.write(
          `${options.results}: ${unchecked} records were written without a note of how they were measured and graded; they are resumed unchecked (their cost model, prices, shapes and grading must be this recipe's)\n`
        )
      // An error is never done: a rerun retries it (its new line comes after, and wins).
      const isDone = (key: string) => {
        const earlier = latest.get(key)
        return earlier !== undefined && ResultRecord.outcomeOf(earlier) !== "error"
      }
      const todo = work.filter((item) => !isDone(item.key))

      // The budgets' cost resource is priced by the recipe's cost model (registry kind); the report's eFLOPs and
      // dollars axes are measured beside it on every call.
      const costModel = yield* CostModels.make(recipe.costModel ?? { kind: "tokens" }, registries.costModels)
      const kinetics = recipe.costModel?.kind === "kinetics" ? CostModel.kineticsOptions.safeParse(recipe.costModel.options ?? {}) : undefined
      const measured = CostAxes.measuresOf({
        policyShape: recipe.modelShape,
        verifierShape: recipe.verifierShape,
        kinetics: kinetics?.success === true ? kinetics.data : undefined,
        policyModel: backend.languageModel.info.model,
        prices: recipe.prices
      })
      // Budgets priced in dollars (the price cost model) and no separate prices for the report: its dollars axis
      // is that same pricing, rather than left empty. Budgets priced in eFLOPs (the kinetics cost model) and no
      // shapes of the report's own: its eFLOPs axis is that same pricing, so the report shows what the budgets counted.
      const ownKinetics = recipe.costModel?.kind === "kinetics" && recipe.modelShape === undefined && recipe.verifierShape === undefined
      const measures = [
        ...measured.filter((measure) => !(ownKinetics && measure.name === CostAxes.eflopsMeasure)),
        ...(ownKinetics ? [{ ...costModel, name: CostAxes.eflopsMeasure }] : []),
        ...(recipe.prices === undefined && recipe.costModel?.kind === "price" ? [{ ...costModel, name: CostAxes.dollarsMeasure }] : [])
      ]
      const poolLimits = Recipe.limitsOf(recipe.pool ?? {})
      const pool = yield* Accountant.make(poolLimits, poolLabel, { costModel, measures })
      const writer = yield* ResultsFile.open(options.results, previous)
      const progress = Progress.make({
        total: work.length,
        skipped: work.length - todo.length,
        mode: options.progress ?? "auto",
        output
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => progress.stop()))

      const added: Array<ResultRecord.ResultRecord> = []

      // Grading is the data's code, not the strategy's: a grader that throws (a pathological answer) makes this
      // problem's error record, never the run's end.
      const grade = (item: Work, answer: string | undefined): Effect.Effect<boolean, string> => {
        if (answer === undefined) return Effect.succeed(false)
        const reference = item.problem.reference
        return Effect.try({
          try: () =>
            item.dataset.isCorrect !== undefined
              ? item.dataset.isCorrect(item.problem, answer)
              : reference !== undefined && Grader.isCorrect(answer, reference, grading),
          catch: (cause) => `grading failed: ${cause instanceof Error ? cause.message : String(cause)}`
        })
      }

      // Problems whose calls the pool refused or cut while other problems held reservations in it: run again after
      // the rest, one at a time, so that only a pool that cannot fund a problem alone stops the run.
      const concurrency = options.concurrency ?? recipe.concurrency
      const crowdedOut: Array<Work> = []
      const runOne = (item: Work, alone: boolean) =>
        Effect.gen(function* () {
          const strategy = strategies.get(identity(item))!
          // Spent to its limit (what others only reserve may come back: see `crowdedOut`).
          const state = yield* pool.snapshot
          for (const [resource, limit] of Object.entries(state.limits))
            if (limit !== undefined && limit - state.spent[resource as keyof typeof state.spent] <= 0)
              return yield* Effect.fail(new PoolExhausted({ resource, limit }))
          const label = `${item.strategyLabel}${item.configuration === "" ? "" : `[${item.configuration}]`}/${item.budget.label}/${item.seed}/${item.problem.id}`
          const started = yield* Clock.currentTimeMillis
          const { result, spent, measured, limitedBy } = yield* Effect.acquireUseRelease(
            // A call the pool would cut is refused instead: a problem the pool cuts is no result, so it should not spend.
            pool.child(Recipe.limitsOf(item.budget.limits), label, { refuseCutsAbove: true }),
            (child) =>
              Effect.gen(function* () {
                // A defect (a throw) anywhere in the strategy, verifier or backend becomes this run's error.
                const services = backend.isolate === undefined ? backend : yield* backend.isolate
                const result = yield* strategy.run(item.problem).pipe(
                  Accountant.provide(child),
                  Backends.provide(services),
                  Effect.catchDefect((defect) => Effect.fail({ _tag: "Defect", message: defect instanceof Error ? defect.message : String(defect) })),
                  Effect.result
                )
                const snapshot = yield* child.snapshot
                return { result, spent: snapshot.spent, measured: snapshot.measured, limitedBy: snapshot.limitedBy }
              }),
            (child) => child.close
          )
          // A call the pool refused or cut short: the problem did not get its budget, so its run is no result. Run
          // with others, the pool may only have been crowded by their reservations: it runs again alone later.
          const starved = limitedBy.find((limit) => limit.budget === poolLabel)
          if (starved !== undefined) {
            if (alone) {
              const spentNow = (yield* pool.snapshot).spent[starved.resource]
              return yield* Effect.fail(new PoolExhausted({ resource: starved.resource, limit: poolLimits[starved.resource] ?? 0, spent: spentNow }))
            }
            crowdedOut.push(item)
            return
          }
          const finished = yield* Clock.currentTimeMillis
          const answer = result._tag === "Success" ? result.success.answer : undefined
          const graded = yield* Effect.result(grade(item, answer))
          const correct = graded._tag === "Success" && graded.success
          const outcome = graded._tag === "Failure" ? "error" : outcomeOf(result, correct)
          const error =
            result._tag === "Failure" && result.failure._tag !== "BudgetExhausted"
              ? describeError(result.failure)
              : graded._tag === "Failure"
                ? graded.failure
                : null
          const measures = Object.fromEntries(Object.entries(measured).map(([name, value]) => [name, ResultRecord.steadyTotal(value)]))
          const record: ResultRecord.ResultRecord = {
            key: item.key,
            dataset: item.datasetName,
            strategy: item.strategyLabel,
            configuration: item.configuration,
            strategyName: item.strategy.kind,
            options: { ...optionsOf(item) },
            budget: item.budget.label,
            limits: Recipe.limitsOf(item.budget.limits),
            seed: item.seed,
            problemId: item.problem.id,
            difficulty: difficultyOf(item.problem),
            backend: backend.name,
            reference: item.problem.reference ?? null,
            answer: answer ?? null,
            correct,
            outcome,
            noAnswer:
              result._tag === "Failure"
                ? result.failure._tag === "BudgetExhausted"
                  ? "budget-exhausted"
                  : "error"
                : result.success.outcome._tag === "NoAnswer"
                  ? result.success.outcome.reason
                  : null,
            budgetExhausted: result._tag === "Success" ? result.success.budgetExhausted : result.failure._tag === "BudgetExhausted",
            inputTokens: spent.inputTokens,
            cachedInputTokens: spent.cachedInputTokens,
            outputTokens: spent.outputTokens,
            verifierCalls: spent.verifierCalls,
            verifierTokens: spent.verifierTokens,
            cost: ResultRecord.steadyTotal(spent.cost),
            costUnit: costModel.unit,
            measures,
            eflops: measures[CostAxes.eflopsMeasure] ?? null,
            wallMillis: finished - started,
            error,
            measurement
          }
          yield* Effect.uninterruptible(
            Effect.andThen(writer.append(record), Effect.sync(() => {
              added.push(record)
              progress.done(record)
            }))
          )
        })

      // Fibers yield to the event loop every 64 operations (Effect's default is 2,048): the simulator answers
      // synchronously, and at the default a batch of problems held the loop for seconds, so Ctrl-C waited that long.
      yield* Effect.forEach(todo, (item) => runOne(item, concurrency === 1), { concurrency, discard: true }).pipe(
        Effect.andThen(Effect.suspend(() => Effect.forEach(crowdedOut, (item) => runOne(item, true), { discard: true }))),
        Effect.provideService(Scheduler.MaxOpsBeforeYield, 64)
      )
      // The recipe's own records, in its plan's order (not the order runs finished in, which concurrency and resumes
      // change); records of other keys in the file (a strategy or backend since changed, a shrunk data set) are left out.
      const byKey = new Map(ResultRecord.latest([...previous.records, ...added]).map((record) => [record.key, record]))
      const records = work.flatMap((item) => {
        const record = byKey.get(item.key)
        return record === undefined ? [] : [record]
      })
      return {
        results: options.results,
        records,
        otherRecords: byKey.size - records.length,
        total: work.length,
        skipped: work.length - todo.length,
        ran: added.length,
        errors: records.filter((record) => ResultRecord.outcomeOf(record) === "error"),
        ...(movedAside === undefined ? {} : { movedAside })
      }
    })
  )
