import { Cause, Effect, Exit } from "effect"
import { z } from "zod"
import type { CostModel } from "@stepwise/accountant"
import { Accountant, Budget, CostModels } from "@stepwise/accountant"
import type { SearchEvent as SearchEventValue, SearchResult } from "@stepwise/core"
import { InvalidOptions, LanguageModel, Options, Problem, ProcessRewardModel, Registry, SearchEvent, TimeLimit } from "@stepwise/core"
import type { Strategies, Strategy } from "@stepwise/search"
import { Backends, Recipe, Registries, Report, Runner } from "@stepwise/harness"
import { Verifiers } from "@stepwise/verifiers"

/**
 * A strategy for `solve`: a registered kind, a kind with options (typed by the registry: a misspelt option is a
 * type error, and a run-time `InvalidOptions` naming the field), or a strategy value built with a `make`.
 */
export type StrategyInput<Reg extends Strategies.Any = Strategies.BuiltIn> = Registry.KindOf<Reg> | Registry.Spec<Reg> | Strategy.Strategy

/** A kind with its options, typed by a registry: the kind alone, or `{ kind, options }`. */
export type KindInput<Reg> = Registry.KindOf<Reg> | Registry.Spec<Reg>

/**
 * What `solve` takes. The model comes from a `backend` named by kind (default: the simulator's calibrated world)
 * or is a `model` of one's own built with `LanguageModel.make`; the verifier is named by kind (default: the one
 * the backend suggests) or is a service built with `ProcessRewardModel.make`.
 */
export interface SolveOptions<
  Reg extends Strategies.Any = Strategies.BuiltIn,
  Verifiers_ extends Registries.Registries["verifiers"] = Registries.BuiltInVerifiers,
  Backends_ extends Registries.Registries["backends"] = Registries.BuiltInBackends,
  CostModels_ extends Registries.Registries["costModels"] = CostModels.BuiltIn
> {
  /** The problem: plain question text or a `Problem`. */
  readonly problem: string | Problem.Problem
  readonly strategy: StrategyInput<Reg>
  /** The backend by kind, e.g. `{ kind: "vllm", options: { url, model } }` (default: the simulator). */
  readonly backend?: KindInput<Backends_>
  /** A model of one's own instead of a backend (must be built by `LanguageModel.make`). */
  readonly model?: LanguageModel.Service
  /** The verifier by kind, or a service built by `ProcessRewardModel.make` (default: the backend's suggestion). */
  readonly verifier?: KindInput<Verifiers_> | ProcessRewardModel.Service
  /** Limits of the search (default: unlimited); validated like a recipe's. */
  readonly budget?: Budget.Limits
  /**
   * Wall time in milliseconds from the call: past it no model or verifier call runs (one still running is cut off),
   * and the search answers with the best it has, as when a budget ends (default: none).
   */
  readonly deadlineMillis?: number
  /** Prices the `cost` resource: a cost model by kind or a `CostModel` value (default: plain tokens). */
  readonly costModel?: KindInput<CostModels_> | CostModel.CostModel
  /** Called for every search event (progress, logging). */
  readonly onEvent?: (event: SearchEventValue.SearchEvent) => void
  /** Aborting it stops the search (calls in flight cut off, reservations released); `solve` rejects with its reason. */
  readonly signal?: AbortSignal
  /** The strategy registry kinds are looked up in (default: the built-in one; extend it with `Registry.add`). */
  readonly strategies?: Reg
  /**
   * The registries kinds are made from (default: the built-in ones), e.g. `Registries.extend(Registries.builtIn,
   * plugin)`: the verifier and backend kinds are then typed by these.
   */
  readonly registries?: {
    readonly strategies?: Strategies.Any
    readonly verifiers?: Verifiers_
    readonly backends?: Backends_
    readonly costModels?: CostModels_
  }
}

const isStrategy = (input: unknown): input is Strategy.Strategy => typeof input === "object" && input !== null && "run" in input

const specOf = (input: unknown): { readonly kind: string; readonly options?: unknown } =>
  typeof input === "string" ? { kind: input } : (input as { readonly kind: string; readonly options?: unknown })

const strategyOf = (input: unknown, strategies: Strategies.Any): Effect.Effect<Strategy.Strategy, InvalidOptions> => {
  if (isStrategy(input)) return Effect.succeed(input)
  const spec = specOf(input)
  return Registry.make(strategies, spec.kind, spec.options ?? {}, undefined)
}

const isService = (input: unknown): input is ProcessRewardModel.Service =>
  typeof input === "object" && input !== null && "score" in input && typeof (input as { readonly score?: unknown }).score === "function"

const isCostModel = (input: unknown): input is CostModel.CostModel =>
  typeof input === "object" && input !== null && "cost" in input && typeof (input as { readonly cost?: unknown }).cost === "function"

// What `solve` and `bench` take, checked as a user writes it (zod, strict: a misspelt key is an `InvalidOptions`
// naming it and the likely intended one, never silently ignored); the kinds' own options are checked by their registries.
const kindInput = (axis: string) =>
  z.union([z.string(), z.object({ kind: z.string(), options: z.unknown().optional() }).strict()], {
    error: `must be a ${axis} kind's name or { kind, options }`
  })
// The signal of options as given (checked later with the rest: anything else than an AbortSignal is ignored here).
const signalOf = (options: unknown): AbortSignal | undefined => {
  const signal: unknown = typeof options === "object" && options !== null ? (options as { readonly signal?: unknown }).signal : undefined
  return signal instanceof AbortSignal ? signal : undefined
}

const aSignal = z.custom<AbortSignal>((input) => input instanceof AbortSignal, { error: "must be an AbortSignal (new AbortController().signal)" })
const anObject = (what: string) => z.custom<object>((input) => typeof input === "object" && input !== null, { error: `must be ${what}` })

const solveInput = z
  .object({
    problem: z.union([z.string(), z.looseObject({ id: z.string(), question: z.string(), messages: z.array(z.unknown()) })], {
      error: "must be the question's text or a Problem (Problem.make)"
    }),
    strategy: z.union([kindInput("strategy"), z.custom<Strategy.Strategy>(isStrategy)], {
      error: "must be a strategy kind's name, { kind, options } or a strategy value (a strategy's make)"
    }),
    backend: kindInput("backend").optional(),
    model: anObject("a language model built by LanguageModel.make").optional(),
    verifier: z.union([kindInput("verifier"), z.custom<ProcessRewardModel.Service>(isService)], {
      error: "must be a verifier kind's name, { kind, options } or a verifier built by ProcessRewardModel.make"
    }).optional(),
    budget: anObject("an object of limits, e.g. { totalTokens: 8000 }").optional(),
    deadlineMillis: z.number().int().min(1).optional(),
    costModel: z.union([kindInput("cost model"), z.custom<CostModel.CostModel>(isCostModel)], {
      error: "must be a cost model kind's name, { kind, options } or a CostModel value"
    }).optional(),
    onEvent: z.custom<(event: SearchEventValue.SearchEvent) => void>((input) => typeof input === "function", { error: "must be a function" }).optional(),
    signal: aSignal.optional(),
    strategies: anObject("a strategy registry").optional(),
    registries: z
      .object({
        strategies: anObject("a strategy registry").optional(),
        verifiers: anObject("a verifier registry").optional(),
        backends: anObject("a backend registry").optional(),
        costModels: anObject("a cost-model registry").optional()
      })
      .strict()
      .optional()
  })
  .strict()

const benchInput = z
  .object({
    recipe: z.union([z.string(), anObject("a recipe")], { error: "must be a recipe file's path or a recipe object" }),
    strategies: anObject("a strategy registry").optional(),
    registries: anObject("registries (Registries.extend)").optional(),
    results: z.string().min(1),
    progress: z.enum(["auto", "bar", "lines", "none"]).optional(),
    signal: aSignal.optional()
  })
  .strict()

/**
 * Runs an effect to a promise that rejects with the typed failure itself (not a wrapper). With a `signal`, aborting
 * it interrupts the effect (every call in flight is cut off and releases its reservation) and the promise rejects
 * with the signal's reason (an `AbortError` unless one was given), as `fetch` does.
 */
export const toPromise = async <A, E>(effect: Effect.Effect<A, E>, signal?: AbortSignal): Promise<A> => {
  signal?.throwIfAborted()
  const exit = await Effect.runPromiseExit(effect, signal === undefined ? undefined : { signal })
  if (Exit.isSuccess(exit)) return exit.value
  if (signal?.aborted === true && Cause.hasInterruptsOnly(exit.cause)) throw signal.reason
  throw Cause.squash(exit.cause)
}


/**
 * Solves one problem with a strategy under a budget, as a Promise, for people who don't use Effect.
 * Rejects with a typed error (`InvalidOptions`, `Unmetered`, `BudgetExhausted`, a language-model or verifier error).
 *
 * @example
 * const result = await solve({ problem, strategy: { kind: "a-star", options: { expansions: 4 } }, budget: { totalTokens: 8000 } })
 * const served = await solve({ problem, strategy: "best-of-n", backend: { kind: "vllm", options: { url, model } }, verifier: "think-prm" })
 */
export const solve = <
  Reg extends Strategies.Any = Strategies.BuiltIn,
  Verifiers_ extends Registries.Registries["verifiers"] = Registries.BuiltInVerifiers,
  Backends_ extends Registries.Registries["backends"] = Registries.BuiltInBackends,
  CostModels_ extends Registries.Registries["costModels"] = CostModels.BuiltIn
>(
  options: SolveOptions<Reg, Verifiers_, Backends_, CostModels_>
): Promise<SearchResult.SearchResult> =>
  toPromise(
    Effect.scoped(
      Effect.gen(function* () {
        yield* Options.parse(solveInput, options, "solve")
        // The deadline counts from the call: building the backend (a model file's load, say) is inside it.
        const limit = options.deadlineMillis === undefined ? undefined : yield* TimeLimit.fromNow(options.deadlineMillis, "solve")
        const registries: Registries.Registries = {
          ...Registries.builtIn,
          ...options.registries,
          ...(options.strategies === undefined ? {} : { strategies: options.strategies })
        }
        if (options.model !== undefined && options.backend !== undefined)
          return yield* Effect.fail(new InvalidOptions({ subject: "solve", field: "model", detail: "give a backend or a model of your own, not both" }))
        if (options.model !== undefined && options.verifier === undefined)
          return yield* Effect.fail(
            new InvalidOptions({ subject: "solve", field: "verifier", detail: "is required with a model of your own (a kind such as \"think-prm\", or a service)" })
          )
        const strategy = yield* strategyOf(options.strategy, registries.strategies)
        const budget = yield* Budget.validate(options.budget ?? {}, "budget")
        const costModel = isCostModel(options.costModel)
          ? options.costModel
          : yield* CostModels.make(specOf(options.costModel ?? "tokens"), registries.costModels)
        const verifierSpec = options.verifier === undefined || isService(options.verifier) ? undefined : specOf(options.verifier)
        const services =
          options.model !== undefined
            ? {
                languageModel: yield* LanguageModel.check(options.model),
                processRewardModel: isService(options.verifier)
                  ? options.verifier
                  : yield* Verifiers.make(
                      verifierSpec ?? { kind: "think-prm" },
                      { languageModel: options.model, modelOf: (spec) => Effect.map(Registry.make(registries.backends, spec.kind, spec.options ?? {}, context()), (made) => made.languageModel), environment: (name) => process.env[name] },
                      registries.verifiers
                    )
              }
            : yield* Backends.make({ backend: specOf(options.backend ?? "simulator"), verifier: verifierSpec }, registries)
        const processRewardModel = isService(options.verifier) ? yield* ProcessRewardModel.check(options.verifier) : services.processRewardModel
        const problem =
          typeof options.problem === "string" ? Problem.make({ id: "problem", question: options.problem }) : options.problem
        const accountant = yield* Accountant.make(budget, "solve", { costModel })
        const made = { languageModel: services.languageModel, processRewardModel }
        const limited = limit === undefined ? made : TimeLimit.services(made, limit)
        const run = strategy.run(problem)
        const observed = options.onEvent === undefined ? run : SearchEvent.withListener(options.onEvent)(run)
        return yield* observed.pipe(Backends.provide(limited), Accountant.provide(accountant))
      })
    ),
    signalOf(options)
  )

const context = () => ({ baseDirectory: process.cwd(), environment: (name: string) => process.env[name] })

/** What `bench` takes: a recipe (a path to a JSON file or the recipe object) and where results go. */
export interface BenchOptions<Reg extends Strategies.Any = Strategies.BuiltIn> {
  readonly recipe: string | Recipe.RecipeInput<Reg>
  /** The strategy registry the recipe's kinds come from (default: the built-in one). */
  readonly strategies?: Reg
  /** The other registries (default: the built-in ones), e.g. with a plugin's verifiers or backends added. */
  readonly registries?: Partial<Registries.Registries>
  /** Results file (JSON Lines); a rerun with the same file resumes. */
  readonly results: string
  /** Progress display (default `none`). */
  readonly progress?: "auto" | "bar" | "lines" | "none"
  /**
   * Aborting it stops the run: finished problem runs are in the results file (a rerun resumes), and `bench` rejects
   * with the signal's reason.
   */
  readonly signal?: AbortSignal
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
      yield* Options.parse(benchInput, options, "bench")
      const registries: Registries.Registries = {
        ...Registries.builtIn,
        ...options.registries,
        ...(options.strategies === undefined ? {} : { strategies: options.strategies })
      }
      const recipe =
        typeof options.recipe === "string"
          ? yield* Recipe.load(options.recipe, registries)
          : yield* Recipe.parse(options.recipe, undefined, registries)
      const outcome = yield* Runner.run(recipe, { results: options.results, registries, progress: options.progress ?? "none" })
      const report = yield* Report.render(outcome.records, { title: `stepwise benchmark: ${recipe.name}` })
      return { outcome, report }
    }),
    signalOf(options)
  )
