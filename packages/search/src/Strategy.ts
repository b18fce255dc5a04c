import { Effect } from "effect"
import { z } from "zod"
import type { Accountant } from "@stepwise/accountant"
import type { InvalidOptions, LanguageModel, Problem, ProcessRewardModel, SearchError, SearchResult } from "@stepwise/core"
import { Options, Registry } from "@stepwise/core"

/** What a strategy needs from its context: a policy, a verifier and an accountant. */
export type Requirements = LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel | Accountant.Accountant

/**
 * A search strategy: a value with a name that, given a problem, runs as an Effect over the contracts and returns
 * a `SearchResult`. Built from a small readonly options object by each strategy's `make`.
 */
export interface Strategy {
  readonly name: string
  readonly run: (problem: Problem.Problem) => Effect.Effect<SearchResult.SearchResult, SearchError, Requirements>
  /** The options the strategy runs with, defaults filled in (for reports); functions are left out. */
  readonly options?: Readonly<Record<string, unknown>>
}

// Code, not data: a function, or an object holding one (an answer equivalence).
const isCode = (value: unknown): boolean =>
  typeof value === "function" ||
  (typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).some((inner) => typeof inner === "function"))

/**
 * Drops code-valued fields (an answer equivalence, a function) so options can be shown in a report and kept in
 * results. Use when filling `Strategy.options`.
 */
export const describe = (options: object): Readonly<Record<string, unknown>> =>
  Object.fromEntries(Object.entries(options).filter(([, value]) => !isCode(value)))

/** What a budget offers a budget-scaled strategy: its token limit, and its verifier calls when limited. */
export interface BudgetOffer {
  readonly tokens: number
  readonly verifierCalls?: number | undefined
}

/**
 * A strategy's size knob: the option that scales its work (N samples, beams, particles, goals), and how to derive
 * it from a budget, given what one full solution costs. Benchmarks sweep it and scale it to each budget.
 */
export interface Size {
  /** The option that is the knob. */
  readonly option: string
  /** The knob's value for a budget, from the settings the other options give (e.g. the beam width). */
  readonly fromBudget: (budget: BudgetOffer, tokensPerSolution: number, settings: Readonly<Record<string, unknown>>) => number
  /** For anytime strategies: the knob value that means "as much as the budget allows" (the search stops when it ends). */
  readonly untilBudget?: number
}

/**
 * A registry entry of a strategy: its kind, description, strict options schema, `make` from validated options,
 * and its size knob when it has one.
 */
export type Entry<Kind extends string = string, S extends Options.Schema = Options.Schema> = Registry.Entry<
  Kind,
  S,
  Strategy,
  void,
  InvalidOptions,
  never
> & { readonly size?: Size }

/**
 * Declares a strategy's registry entry from a builder over validated settings (defaults filled in).
 *
 * @example
 * export const entry = Strategy.define({ kind: "greedy", description: "one sample", options, build: (settings) => ({ name: "greedy", run }) })
 */
export const define = <const Kind extends string, S extends Options.Schema>(definition: {
  readonly kind: Kind
  readonly description: string
  readonly options: S
  readonly build: (settings: z.output<S>) => Strategy
  readonly size?: Size
}): Entry<Kind, S> => ({
  ...Registry.entry({
    kind: definition.kind,
    description: definition.description,
    options: definition.options,
    make: (settings: z.output<S>) => Effect.sync(() => definition.build(settings))
  }),
  ...(definition.size === undefined ? {} : { size: definition.size })
})

/**
 * The largest value a strategy's size knob takes (samples, particles, beams, traces, simulations, goals, width):
 * past what searches in the literature use per problem (search-and-learn's N to 256, DeepConf's 512 traces) with room
 * to spare, and small enough that what a strategy allocates for its samples before the budget stops it stays small
 * (tens of MB at the cap, measured in `bench/README.md`). A larger value is an `InvalidOptions`; without it
 * `n: 1e9` exhausted the process's memory before the budget could stop anything.
 */
export const maxSize = 8_192

/**
 * The schema of a size knob: an integer from 1 to `maxSize`, for a strategy's options (add its default and meaning).
 *
 * @example
 * const options = z.object({ n: Strategy.sizeOption().default(4).describe("Number of full samples.") }).strict()
 */
export const sizeOption = () => z.number().int().min(1).max(maxSize)

/** How many full solutions a budget buys (at least one, at most `maxSize`). */
export const solutionsIn = (budget: BudgetOffer, tokensPerSolution: number): number =>
  Math.min(maxSize, Math.max(1, Math.floor(budget.tokens / tokensPerSolution)))

/**
 * The `make` of a strategy module: validates options as a user writes them (unknown keys, types and ranges fail
 * with `InvalidOptions` naming the field and the allowed keys), fills in the defaults, and builds the strategy.
 *
 * @example
 * export const make = Strategy.maker(entry)
 */
export const maker =
  <Kind extends string, S extends Options.Schema>(entry: Entry<Kind, S>) =>
  (options?: z.input<S>): Effect.Effect<Strategy, InvalidOptions> =>
    Effect.flatMap(Options.parse(entry.options, options ?? {}, entry.kind), (settings) => entry.make(settings, undefined))
