import { Cause, Effect, Exit } from "effect"
import type { Budget, CostModel } from "@stepwise/accountant"
import { Accountant } from "@stepwise/accountant"
import type { SearchEvent as SearchEventValue, SearchResult } from "@stepwise/core"
import { InvalidOptions, LanguageModel, Problem, ProcessRewardModel, Registry, SearchEvent } from "@stepwise/core"
import type { Strategies, Strategy } from "@stepwise/search"
import { Backends, Recipe, Registries, Report, Runner } from "@stepwise/harness"
import { Presets, World } from "@stepwise/simulator"

/**
 * A strategy for `solve`: a registered kind, a kind with options (typed by the registry: a misspelt option is a
 * type error, and a run-time `InvalidOptions` naming the field), or a strategy value built with a `make`.
 */
export type StrategyInput<Reg extends Strategies.Any = Strategies.BuiltIn> = Registry.KindOf<Reg> | Registry.Spec<Reg> | Strategy.Strategy

/** What `solve` takes. Model and verifier default to the simulator's calibrated world. */
export interface SolveOptions<Reg extends Strategies.Any = Strategies.BuiltIn> {
  /** The problem: plain question text or a `Problem`. */
  readonly problem: string | Problem.Problem
  readonly strategy: StrategyInput<Reg>
  readonly model?: LanguageModel.Service
  readonly verifier?: ProcessRewardModel.Service
  /** Limits of the search (default: unlimited). */
  readonly budget?: Budget.Limits
  /** Prices the `cost` resource (default: plain tokens). */
  readonly costModel?: CostModel.CostModel
  /** Called for every search event (progress, logging). */
  readonly onEvent?: (event: SearchEventValue.SearchEvent) => void
  /** The strategy registry kinds are looked up in (default: the built-in one; extend it with `Registry.add`). */
  readonly strategies?: Reg
}

const isStrategy = (input: unknown): input is Strategy.Strategy => typeof input === "object" && input !== null && "run" in input

const strategyOf = (input: unknown, strategies: Strategies.Any): Effect.Effect<Strategy.Strategy, InvalidOptions> => {
  if (typeof input === "string") return Registry.make(strategies, input, {}, undefined)
  if (isStrategy(input)) return Effect.succeed(input)
  const spec = input as { readonly kind: string; readonly options?: unknown }
  return Registry.make(strategies, spec.kind, spec.options ?? {}, undefined)
}

/** Runs an effect to a promise that rejects with the typed failure itself (not a wrapper). */
export const toPromise = async <A, E>(effect: Effect.Effect<A, E>): Promise<A> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/**
 * Solves one problem with a strategy under a budget, as a Promise, for people who don't use Effect.
 * Rejects with a typed error (`InvalidOptions`, `BudgetExhausted`, a language-model or verifier error).
 *
 * @example
 * const result = await solve({ problem, strategy: { kind: "a-star", options: { expansions: 4 } }, budget: { totalTokens: 8000 } })
 */
export const solve = <Reg extends Strategies.Any = Strategies.BuiltIn>(options: SolveOptions<Reg>): Promise<SearchResult.SearchResult> =>
  toPromise(
    Effect.gen(function* () {
      if (options.model !== undefined && options.verifier === undefined)
        return yield* Effect.fail(
          new InvalidOptions({ subject: "solve", field: "verifier", detail: "is required with a model of your own (e.g. ThinkPrm.make over it)" })
        )
      const world = options.model === undefined ? World.make(Presets.calibrated) : undefined
      const model = options.model ?? world?.languageModel
      const verifier = options.verifier ?? world?.processRewardModel
      if (model === undefined || verifier === undefined) return yield* Effect.die("unreachable: defaults resolved above")
      const strategy = yield* strategyOf(options.strategy, options.strategies ?? Registries.builtIn.strategies)
      const problem =
        typeof options.problem === "string" ? Problem.make({ id: "problem", question: options.problem }) : options.problem
      const accountant = yield* Accountant.make(options.budget ?? {}, "solve", options.costModel === undefined ? {} : { costModel: options.costModel })
      const run = strategy.run(problem)
      const observed = options.onEvent === undefined ? run : SearchEvent.withListener(options.onEvent)(run)
      return yield* observed.pipe(Backends.provide({ languageModel: model, processRewardModel: verifier }), Accountant.provide(accountant))
    })
  )

/** What `bench` takes: a recipe (a path to a JSON file or the recipe object) and where results go. */
export interface BenchOptions<Reg extends Strategies.Any = Strategies.BuiltIn> {
  readonly recipe: string | Recipe.RecipeInput<Reg>
  /** The strategy registry the recipe's kinds come from (default: the built-in one). */
  readonly strategies?: Reg
  /** Results file (JSON Lines); a rerun with the same file resumes. */
  readonly results: string
  /** Progress display (default `none`). */
  readonly progress?: "auto" | "bar" | "lines" | "none"
}

/** What `bench` returns: every result record and the rendered report (table, Markdown, HTML). */
export interface BenchOutcome {
  readonly outcome: Runner.Outcome
  readonly report: Report.Rendered
}

/**
 * Runs a benchmark recipe on the simulator (or the recipe's backend) and renders its report, as a Promise.
 *
 * @example
 * const { report } = await bench({ recipe: "bench/recipes/quick.json", results: "results/quick.jsonl" })
 * console.log(report.terminal)
 */
export const bench = <Reg extends Strategies.Any = Strategies.BuiltIn>(options: BenchOptions<Reg>): Promise<BenchOutcome> =>
  toPromise(
    Effect.gen(function* () {
      const registries: Registries.Registries = { ...Registries.builtIn, ...(options.strategies === undefined ? {} : { strategies: options.strategies }) }
      const recipe =
        typeof options.recipe === "string"
          ? yield* Recipe.load(options.recipe, registries)
          : yield* Recipe.parse(options.recipe, undefined, registries)
      const outcome = yield* Runner.run(recipe, { results: options.results, strategies: registries.strategies, progress: options.progress ?? "none" })
      const report = yield* Report.render(outcome.records, { title: `stepwise benchmark: ${recipe.name}` })
      return { outcome, report }
    })
  )
