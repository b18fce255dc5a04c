import { Effect } from "effect"
import { z } from "zod"
import type { Problem, SearchResult } from "@stepwise/core"
import { InvalidOptions, Options as OptionSchemas, Registry, SearchEvent } from "@stepwise/core"
import * as BestOfN from "./BestOfN.js"
import * as Combinators from "./Combinators.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as SelfConsistency from "./SelfConsistency.js"
import type * as Strategies from "./Strategies.js"
import * as Strategy from "./Strategy.js"

/** A strategy a policy picks: its registered kind and its options (as a user writes them). */
export const Choice = z
  .object({
    kind: z.string().min(1).describe("A registered strategy kind."),
    options: z.record(z.string(), z.unknown()).default({}).describe("Its options (validated by its schema when chosen).")
  })
  .strict()

/** One difficulty bin of a policy row: problems whose estimated difficulty is at most `upTo` run `choice`. */
export const Bin = z
  .object({
    upTo: z.number().min(0).max(1).describe("Upper edge (inclusive) of the estimated difficulty, 1 − P(a sample is right), in [0, 1]."),
    choice: Choice,
    level: z.union([z.number(), z.string()]).optional().describe("The difficulty level of the benchmark the bin stands for (report only)."),
    accuracy: z.number().min(0).max(1).optional().describe("The choice's accuracy at that level in the benchmark (report only)."),
    cost: z.number().min(0).optional().describe("The choice's mean cost per problem at that level on the policy's axis (report only).")
  })
  .strict()

/** One row of a policy: the bins learned for one compute budget. */
export const Row = z
  .object({
    budget: z.number().positive().describe("The compute budget (mean cost per problem on the policy's axis) the row was learned for."),
    bins: z.array(Bin).min(1).describe("Difficulty bins, easiest first.")
  })
  .strict()

/**
 * A compute-optimal policy as plain data: per budget, difficulty bins → the strategy and size a previous benchmark's
 * frontier found most accurate at that difficulty within that budget. Built by the harness
 * (`ComputeOptimalPolicy.learn`) from a results file; written by hand just as well.
 */
export const Policy = z
  .object({
    axis: z.string().min(1).optional().describe("The cost axis the budgets are on (report only; e.g. all-tokens)."),
    table: z.array(Row).default([]).describe("Rows by budget.")
  })
  .strict()

/** A policy as written. */
export type Policy = z.input<typeof Policy>

/** A policy with defaults filled in. */
export type PolicySettings = z.output<typeof Policy>

/** A chosen strategy with its options filled in. */
export type ChoiceSettings = z.output<typeof Choice>

/** How the probe estimates difficulty: the verifier's mean score of the samples, or their answers' agreement. */
export type Measure = "verifier" | "agreement"

const isRegistry = (value: unknown): value is Strategies.Any =>
  typeof value === "object" && value !== null && typeof (value as { readonly entries?: unknown }).entries === "object"

/** The options of compute-optimal selection (strict). */
export const options = z
  .object({
    policy: Policy.default({ table: [] }).describe("The learned policy (plain data); with no row, the probe's own answer is the answer."),
    budget: z
      .number()
      .positive()
      .optional()
      .describe("The compute budget whose row is used: the largest row budget not above it (none: the smallest row); unset: the largest row."),
    probeSamples: Strategy.sizeOption().default(4).describe("Samples of the probe that estimates the problem's difficulty."),
    probe: z
      .enum(["verifier", "agreement"])
      .default("verifier")
      .describe("Difficulty estimate: 1 − the verifier's mean score of the probe's samples (Snell et al.'s predicted difficulty), or 1 − the share of the most common answer."),
    strategies: z
      .custom<Strategies.Any>(isRegistry, { message: "must be a strategy registry" })
      .optional()
      .describe("The registry the chosen kinds come from (code only; default: the built-in one)."),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    ...SearchOptions.scoring,
    ...SearchOptions.running
  })
  .strict()

/** Options of compute-optimal selection as a user writes them. */
export type Options = z.input<typeof options>

/** Compute-optimal settings with defaults filled in. */
export type Settings = z.output<typeof options>

/** Emitted once per problem: the estimated difficulty, the row's budget, the bin and the strategy it chose. */
export const chosen = SearchEvent.define<{
  readonly difficulty: number
  readonly budget: number | undefined
  readonly bin: number | undefined
  readonly kind: string | undefined
}>()("strategy-choose")

/** The row of a policy for a budget: the largest row budget not above it (none: the smallest); unset: the largest. */
export const rowFor = (policy: PolicySettings, budget: number | undefined): z.output<typeof Row> | undefined => {
  const rows = [...policy.table].sort((a, b) => a.budget - b.budget)
  if (budget === undefined) return rows[rows.length - 1]
  let found = rows[0]
  for (const row of rows) if (row.budget <= budget) found = row
  return found
}

/** The index of the bin of a difficulty: the first bin (by `upTo`, ascending) whose edge is not below it, else the last. */
export const binFor = (bins: ReadonlyArray<z.output<typeof Bin>>, difficulty: number): number => {
  const order = bins.map((bin, index) => ({ upTo: bin.upTo, index })).sort((a, b) => a.upTo - b.upTo || a.index - b.index)
  const found = order.find((bin) => difficulty <= bin.upTo) ?? order[order.length - 1]
  return found?.index ?? -1
}

/**
 * The difficulty a probe estimates, 1 − P(a sample is right): `verifier` — 1 − the mean verifier score of the
 * samples (unscored ones left out; none scored: 1); `agreement` — 1 − the share of the samples that give the most
 * common answer (samples without an answer count as disagreeing).
 */
export const difficultyOf = (
  candidates: ReadonlyArray<SearchResult.Candidate>,
  measure: Measure,
  equivalence: Selection.Equivalence = Selection.defaultEquivalence
): number => {
  if (candidates.length === 0) return 1
  if (measure === "verifier") {
    const scores = candidates.flatMap((candidate) => (candidate.score === undefined ? [] : [candidate.score]))
    return scores.length === 0 ? 1 : 1 - scores.reduce((total, score) => total + score, 0) / scores.length
  }
  const largest = Selection.groups(candidates, equivalence).reduce((most, group) => Math.max(most, group.count), 0)
  return 1 - largest / candidates.length
}

/** The registered kind of compute-optimal selection. */
export const kind = "compute-optimal"

// The built-in registry, loaded when first needed (it registers this module, so a static import would be a cycle).
const builtIn: Effect.Effect<Strategies.Any> = Effect.promise(() => import("./Strategies.js")).pipe(
  Effect.map((module): Strategies.Any => module.registry)
)

/**
 * Compute-optimal selection (Snell et al. 2024, "Scaling LLM Test-Time Compute Optimally", arXiv 2408.03314): per
 * problem, a cheap probe estimates the difficulty — `probeSamples` full samples, and 1 − their mean verifier score
 * (the paper's model-predicted difficulty) or 1 − their answers' agreement — and the policy's row for the budget
 * maps that difficulty's bin to the strategy and size a previous benchmark's frontier found most accurate there,
 * which then runs through the strategy registry (with this strategy's seed and answer equivalence). The probe's
 * spend counts; the answer is the chosen strategy's, or the probe's own (a vote of its samples) when the chosen
 * one gives none or the policy has no row.
 */
export const entry = Strategy.define({
  kind,
  description: "Per problem, estimate difficulty with a cheap probe, then run the strategy and size a learned policy says is best at that difficulty and budget (Snell et al. 2024).",
  options,
  size: { option: "budget", fromBudget: (budget) => budget.tokens },
  build: (settings) => {
    const name = settings.budget === undefined ? "compute-optimal" : `compute-optimal-${settings.budget}`
    const equivalence = settings.equivalence
    const { strategies: _registry, ...described } = settings
    const probeOptions = {
      n: settings.probeSamples,
      batch: settings.probeSamples,
      temperature: settings.temperature,
      maxTokens: settings.maxTokens,
      seed: settings.seed,
      concurrency: settings.concurrency,
      ...(equivalence === undefined ? {} : { equivalence })
    }
    return {
      name,
      options: Strategy.describe(described),
      run: (problem: Problem.Problem) =>
        Combinators.combined(
          name,
          problem,
          Effect.gen(function* () {
            const probe =
              settings.probe === "verifier"
                ? yield* BestOfN.make({ ...probeOptions, selection: "weighted", aggregation: settings.aggregation })
                : yield* SelfConsistency.make(probeOptions)
            const probed = yield* probe.run(problem)
            const difficulty = difficultyOf(probed.candidates, settings.probe, equivalence)
            const row = rowFor(settings.policy, settings.budget)
            const bin = row === undefined ? undefined : binFor(row.bins, difficulty)
            const choice = row === undefined || bin === undefined ? undefined : row.bins[bin]?.choice
            yield* chosen.emit({ difficulty, budget: row?.budget, bin, kind: choice?.kind })
            if (choice === undefined) return [probed]
            if (choice.kind === kind)
              return yield* Effect.fail(
                new InvalidOptions({ subject: kind, field: "policy", detail: "chooses compute-optimal itself: a policy must choose other strategies" })
              )
            const registry = settings.strategies ?? (yield* builtIn)
            const found = yield* Registry.lookup(registry, choice.kind)
            const takes = OptionSchemas.keysAt(found.options, [])
            const strategy = yield* Registry.make(
              registry,
              choice.kind,
              {
                ...choice.options,
                ...(takes.includes("seed") ? { seed: settings.seed } : {}),
                ...(equivalence !== undefined && takes.includes("equivalence") ? { equivalence } : {})
              },
              undefined
            )
            return [probed, yield* strategy.run(problem)]
          }),
          (results) => {
            const [probed, picked] = results
            if (picked?.answer !== undefined) return picked
            if (probed?.answer !== undefined) return probed
            return picked ?? probed
          }
        )
    }
  }
})

/**
 * Makes compute-optimal selection from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* ComputeOptimal.make({ policy, budget: 6000, probeSamples: 4 })
 */
export const make = Strategy.maker(entry)
