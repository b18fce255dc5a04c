import { z } from "zod"

/**
 * One finished problem of a benchmark run, as one JSON line of the results file. A run's cell is
 * dataset × strategy × budget × seed; `key` (cell + problem id) is what a rerun skips.
 */
export const ResultRecord = z.object({
  key: z.string(),
  dataset: z.string(),
  /** The strategy's label in the recipe (its name unless the recipe gives a label). */
  strategy: z.string(),
  /** The strategy's registered name (`best-of-n`, `beam`, …) and options. */
  strategyName: z.string(),
  options: z.record(z.string(), z.unknown()),
  budget: z.string(),
  limits: z.record(z.string(), z.number()),
  seed: z.number(),
  problemId: z.string(),
  difficulty: z.number().nullable(),
  reference: z.string().nullable(),
  answer: z.string().nullable(),
  correct: z.boolean(),
  /** Why there is no answer (budget exhausted, no finished candidate, an error), when there is none. */
  noAnswer: z.string().nullable(),
  budgetExhausted: z.boolean(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  verifierCalls: z.number(),
  verifierTokens: z.number(),
  /** The accountant's `cost` resource in its cost model's unit (`costUnit`). */
  cost: z.number(),
  costUnit: z.string(),
  /** Kinetics eFLOPs, when the recipe gave a model shape. */
  eflops: z.number().nullable(),
  wallMillis: z.number(),
  /** The strategy failed with this error (the problem counts as wrong). */
  error: z.string().nullable()
})

/** One results-file line. */
export type ResultRecord = z.infer<typeof ResultRecord>

/** The key of a cell + problem: what a rerun uses to skip finished work. */
export const keyOf = (cell: {
  readonly dataset: string
  readonly strategy: string
  readonly budget: string
  readonly seed: number
  readonly problemId: string
}): string => JSON.stringify([cell.dataset, cell.strategy, cell.budget, cell.seed, cell.problemId])

/** Total policy tokens (input + output) of a record. */
export const policyTokens = (record: ResultRecord): number => record.inputTokens + record.outputTokens

/** Every token a record spent: policy input and output, and verifier tokens. */
export const allTokens = (record: ResultRecord): number => record.inputTokens + record.outputTokens + record.verifierTokens
