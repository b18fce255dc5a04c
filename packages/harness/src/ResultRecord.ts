import { z } from "zod"

/** How a run ended: a right answer, a wrong one, no answer (nothing finished, or the budget ended), or an error. */
export type Outcome = "correct" | "wrong" | "no-answer" | "error"

/** Every outcome, in report order. */
export const outcomes = ["correct", "wrong", "no-answer", "error"] as const satisfies ReadonlyArray<Outcome>

/**
 * One finished problem of a benchmark run, as one JSON line of the results file. A run's cell is
 * dataset × strategy × configuration × budget × seed on one backend; `key` (cell + problem id + backend) is what a
 * rerun skips — unless the record is an error, which a rerun retries (the later line wins).
 */
export const ResultRecord = z.object({
  key: z.string(),
  dataset: z.string(),
  /** The strategy's label in the recipe (its kind unless the recipe gives a label). */
  strategy: z.string(),
  /** The configuration of a swept or budget-scaled strategy (`n=8`, `expansions=2,goals=1`); empty otherwise. */
  configuration: z.string().default(""),
  /** The strategy's registered kind (`best-of-n`, `beam-search`, …). */
  strategyName: z.string(),
  /** The options the strategy ran with, every default filled in. */
  options: z.record(z.string(), z.unknown()),
  budget: z.string(),
  limits: z.record(z.string(), z.number()),
  seed: z.number(),
  problemId: z.string(),
  difficulty: z.number().nullable(),
  /** The backend's name (its full configuration is part of the key). */
  backend: z.string().default(""),
  reference: z.string().nullable(),
  answer: z.string().nullable(),
  correct: z.boolean(),
  /** How the run ended (derived from the fields below for records written before it was kept). */
  outcome: z.enum(outcomes).optional(),
  /** Why there is no answer (budget exhausted, no finished candidate, an error), when there is none. */
  noAnswer: z.string().nullable(),
  budgetExhausted: z.boolean(),
  inputTokens: z.number(),
  /** The part of the input tokens a server's prefix cache served. */
  cachedInputTokens: z.number().default(0),
  outputTokens: z.number(),
  verifierCalls: z.number(),
  verifierTokens: z.number(),
  /** The accountant's `cost` resource in its cost model's unit (`costUnit`). */
  cost: z.number(),
  costUnit: z.string(),
  /** Further cost axes measured on every call (`eflops`, `dollars`, …), by name. */
  measures: z.record(z.string(), z.number()).default({}),
  /** Kinetics eFLOPs (policy and verifier), when measured. */
  eflops: z.number().nullable(),
  wallMillis: z.number(),
  /** The strategy failed with this error (the problem counts as wrong, and a rerun retries it). */
  error: z.string().nullable(),
  /**
   * A fingerprint of how the run was measured and graded (the cost model, prices, model shapes, grading): a rerun
   * measured otherwise is refused rather than averaged with it. Absent in records written before it was kept.
   */
  measurement: z.string().optional()
})

/** One results-file line. */
export type ResultRecord = z.infer<typeof ResultRecord>

/** The key of a cell + problem on a backend: what a rerun uses to skip finished work. */
export const keyOf = (cell: {
  readonly dataset: string
  readonly strategy: string
  readonly configuration: string
  readonly budget: string
  readonly seed: number
  readonly problemId: string
  readonly backend: string
}): string =>
  JSON.stringify(
    cell.configuration === ""
      ? [cell.dataset, cell.strategy, cell.budget, cell.seed, cell.problemId, cell.backend]
      : [cell.dataset, cell.strategy, cell.configuration, cell.budget, cell.seed, cell.problemId, cell.backend]
  )

/** How a record's run ended. */
export const outcomeOf = (record: ResultRecord): Outcome =>
  record.outcome ?? (record.error !== null ? "error" : record.correct ? "correct" : record.answer === null ? "no-answer" : "wrong")

/** The strategy and its configuration as one name: `best-of-n [n=8]`, or the strategy alone. */
export const variantOf = (record: Pick<ResultRecord, "strategy" | "configuration">): string =>
  record.configuration === "" ? record.strategy : `${record.strategy} [${record.configuration}]`

/** Total policy tokens (input + output) of a record. */
export const policyTokens = (record: ResultRecord): number => record.inputTokens + record.outputTokens

/** Every token a record spent: policy input and output, and verifier tokens. */
export const allTokens = (record: ResultRecord): number => record.inputTokens + record.outputTokens + record.verifierTokens

/**
 * The last record of each key, in the order keys first appear: a rerun appends a retried run after its error, and
 * the later line is the one that counts.
 */
export const latest = (records: ReadonlyArray<ResultRecord>): ReadonlyArray<ResultRecord> => {
  const byKey = new Map<string, ResultRecord>()
  for (const record of records) byKey.set(record.key, record)
  return [...byKey.values()]
}

/**
 * A cost total as a record keeps it. A problem's cost is summed call by call in the order the calls finished, which
 * concurrent calls (and a resumed run) change: a sum of whole numbers below 2^53 is exact in any order and is kept
 * as it is; a fractional one (dollars, weighted tokens) is kept to 12 significant digits, past which its last bits
 * depend on that order.
 *
 * @example
 * ResultRecord.steadyTotal(0.00024639999999999997) // 0.0002464
 */
export const steadyTotal = (value: number): number => (Number.isInteger(value) ? value : Number(value.toPrecision(12)))
