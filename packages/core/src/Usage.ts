/**
 * Token usage of one or more calls, as a server reports it.
 * A count that was not reported is `undefined`, never 0; sums keep that distinction
 * (see `add`). Use `estimated` when the counts come from a local tokenizer instead of the server.
 */
export interface Usage {
  readonly inputTokens: number | undefined
  readonly outputTokens: number | undefined
  readonly cachedInputTokens: number | undefined
  /** How many of the summed parts did not report each count (absent or all zero when every part did). */
  readonly unreported?: UnreportedCounts
  /** True when any count was estimated locally rather than reported by the server. */
  readonly estimated?: boolean
}

/** Per field, how many parts of a sum did not report that count. */
export interface UnreportedCounts {
  readonly inputTokens: number
  readonly outputTokens: number
  readonly cachedInputTokens: number
}

/** The fields of `Usage` that hold counts. */
export type Field = keyof UnreportedCounts

/** The counted fields, in a fixed order. */
export const fields: ReadonlyArray<Field> = ["inputTokens", "outputTokens", "cachedInputTokens"]

/** A usage of nothing: every count known and zero. The identity of `add`. */
export const zero: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 }

/** A usage that reported nothing at all. */
export const unknown: Usage = { inputTokens: undefined, outputTokens: undefined, cachedInputTokens: undefined }

/**
 * Makes a usage from counts; a missing count is unknown.
 *
 * @example
 * Usage.make({ inputTokens: 12, outputTokens: 30 }) // cachedInputTokens unknown
 */
export const make = (counts: {
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
  readonly cachedInputTokens?: number | undefined
  readonly estimated?: boolean
}): Usage => ({
  inputTokens: counts.inputTokens,
  outputTokens: counts.outputTokens,
  cachedInputTokens: counts.cachedInputTokens,
  ...(counts.estimated === true ? { estimated: true } : {})
})

const unreportedOf = (usage: Usage, field: Field): number =>
  usage.unreported?.[field] ?? (usage[field] === undefined ? 1 : 0)

/**
 * Adds two usages. Per field: known + known is their sum; unknown + unknown stays unknown;
 * known + unknown is the known part, and `unreported` counts how many parts were missing,
 * so a total never silently passes an unknown count off as complete.
 */
export const add = (left: Usage, right: Usage): Usage => {
  const sumOf = (field: Field): number | undefined => {
    const a = left[field]
    const b = right[field]
    if (a === undefined) return b
    if (b === undefined) return a
    return a + b
  }
  const unreported: UnreportedCounts = {
    inputTokens: unreportedOf(left, "inputTokens") + unreportedOf(right, "inputTokens"),
    outputTokens: unreportedOf(left, "outputTokens") + unreportedOf(right, "outputTokens"),
    cachedInputTokens: unreportedOf(left, "cachedInputTokens") + unreportedOf(right, "cachedInputTokens")
  }
  const anyUnreported = unreported.inputTokens + unreported.outputTokens + unreported.cachedInputTokens > 0
  const estimated = left.estimated === true || right.estimated === true
  return {
    inputTokens: sumOf("inputTokens"),
    outputTokens: sumOf("outputTokens"),
    cachedInputTokens: sumOf("cachedInputTokens"),
    ...(anyUnreported ? { unreported } : {}),
    ...(estimated ? { estimated: true } : {})
  }
}

/**
 * Sums any number of usages (`zero` for none): the same as folding `add` over them from `zero`, in one pass
 * (every metered call sums its samples' usages).
 */
export const sum = (usages: Iterable<Usage>): Usage => {
  let inputTokens = 0
  let outputTokens = 0
  let cachedInputTokens = 0
  let unreportedInput = 0
  let unreportedOutput = 0
  let unreportedCached = 0
  let estimated = false
  for (const usage of usages) {
    inputTokens += usage.inputTokens ?? 0
    outputTokens += usage.outputTokens ?? 0
    cachedInputTokens += usage.cachedInputTokens ?? 0
    unreportedInput += unreportedOf(usage, "inputTokens")
    unreportedOutput += unreportedOf(usage, "outputTokens")
    unreportedCached += unreportedOf(usage, "cachedInputTokens")
    if (usage.estimated === true) estimated = true
  }
  // Built by assignment, not by spreading optional parts: this runs once per metered call.
  const total: { inputTokens: number; outputTokens: number; cachedInputTokens: number; unreported?: UnreportedCounts; estimated?: true } = {
    inputTokens,
    outputTokens,
    cachedInputTokens
  }
  if (unreportedInput + unreportedOutput + unreportedCached > 0)
    total.unreported = { inputTokens: unreportedInput, outputTokens: unreportedOutput, cachedInputTokens: unreportedCached }
  if (estimated) total.estimated = true
  return total
}

/** True when every count of every summed part was reported. */
export const isComplete = (usage: Usage): boolean =>
  fields.every((field) => usage[field] !== undefined && unreportedOf(usage, field) === 0)

/** Input plus output tokens, or `undefined` when either is unknown. */
export const totalTokens = (usage: Usage): number | undefined =>
  usage.inputTokens === undefined || usage.outputTokens === undefined
    ? undefined
    : usage.inputTokens + usage.outputTokens

/**
 * True for a count: a finite number ≥ 0 (not `NaN`, which would make every limit pass, nor `±Infinity`). The test
 * every count and every priced cost goes through before it is charged.
 */
export const isCount = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value >= 0

/** A count of a usage that is not a count: the field and the raw value (negative, `NaN`, `±Infinity`, not a number). */
export interface InvalidCount {
  readonly field: Field
  readonly value: unknown
}

/**
 * The first count of a usage that is not a finite number ≥ 0 (an unknown count, `undefined`, is fine), or
 * `undefined` when every count is valid. The contracts refuse such usage before anything is charged or written:
 * `1e400` in a server's JSON is `Infinity` after parsing, a negative count would never exhaust a budget, and `NaN`
 * would make every limit pass.
 *
 * @example
 * Usage.invalidCount(Usage.make({ outputTokens: -3 })) // { field: "outputTokens", value: -3 }
 */
export const invalidCount = (usage: Usage): InvalidCount | undefined => {
  for (const field of fields) {
    const value: unknown = usage[field]
    if (value === undefined) continue
    if (!isCount(value)) return { field, value }
  }
  return undefined
}
