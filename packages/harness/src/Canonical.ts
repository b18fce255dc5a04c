import * as Equivalence from "./Equivalence.js"
import { normalize } from "./Normalization.js"
import * as Shape from "./Shape.js"
import * as Symbolic from "./Symbolic.js"

/**
 * Canonical keys of answers, for votes (`Grader.equivalence`): answers with equal keys are equivalent under
 * `Equivalence.equivalent`, so a vote groups most answers by key alone, and `buckets` names the few keys that
 * tolerance or the symbolic check may still join.
 *
 * A key keeps the answer's structure (`Shape`) and replaces each scalar by its value: a number by its value to
 * `digits(tolerance)` significant digits (`#0.5` for `\frac12`, `0.5` and `1/2`), an expression with free
 * variables by its values at fixed points (`f<x>[…]`, so `(x+1)^2` and `x^2+2x+1` share a key), a relation by
 * its difference `L − R` scaled to a first value of 1 (`r=<x,y>[…]`, so rearranged and scaled equations share
 * a key), words by their lower case (`t:even`). Sets sort their items' keys; tuples and intervals keep order and
 * brackets; an assignment of a constant (`x = 5`) is `v:x=` and its value's key, in its value's buckets (so it
 * joins `5` through the pairwise check, and stays apart from `y = 5`).
 *
 * Buckets (where keys are ambiguous):
 * - words, and answers that could not be read (`s:` scalars the engine could not evaluate, over-long or too-deep
 *   answers: `raw:`) are exact: no bucket, no pairwise check;
 * - a number is in two buckets, the cells of two grids shifted by half a cell over its value (cells of 4 ×
 *   tolerance, on a log scale above 1): two numbers within the tolerance always share a cell;
 * - anything with free variables or a relation is in the bucket `sym` (the symbolic check may join keys that
 *   sampling rounded apart, or an assignment `y = 2x` with the relation `2x − y = 0`);
 * - any other structure is in the bucket of its signature (its key with the numbers blanked): two triples are
 *   compared pairwise only with each other.
 */

/** Significant digits a key keeps for a tolerance: enough that equal digits are within it. */
export const digits = (tolerance: number): number => Math.min(15, Math.max(3, Math.ceil(-Math.log10(tolerance)) + 2))

const format = (value: number, precision: number): string => (Number.isFinite(value) ? String(Number(value.toPrecision(precision))) : String(value))

const formatComplex = (value: Symbolic.Complex, precision: number, tolerance: number): string =>
  Math.abs(value.im) <= tolerance ? format(value.re, precision) : `${format(value.re, precision)}${value.im < 0 ? "" : "+"}${format(value.im, precision)}i`

interface Settled {
  readonly tolerance: number
  readonly precision: number
  readonly symbolic: boolean
  readonly timeLimitMillis: number
  symbolicMillisLeft: number
}

const fingerprintOf = (expression: string, settled: Settled): Symbolic.Fingerprint | undefined => {
  if (!settled.symbolic || settled.symbolicMillisLeft <= 0) return undefined
  const started = performance.now()
  const found = Symbolic.fingerprint(expression, { tolerance: settled.tolerance, timeLimitMillis: Math.min(settled.timeLimitMillis, settled.symbolicMillisLeft) })
  settled.symbolicMillisLeft -= performance.now() - started
  return found
}

const scalarKey = (text: string, settled: Settled): string => {
  if (Equivalence.words.test(text)) return `t:${text.toLowerCase()}`
  const plain = Equivalence.plainNumber(text)
  if (plain !== undefined) return `#${format(plain, settled.precision)}`
  if (text === "\\infty" || text === "+\\infty") return "#Infinity"
  if (text === "-\\infty") return "#-Infinity"
  const found = fingerprintOf(text, settled)
  if (found === undefined) return `s:${text}`
  const values = found.values.map((value) => formatComplex(value, settled.precision, settled.tolerance))
  return found.variables.length === 0 ? `#${values[0]}` : `f<${found.variables.join(",")}>[${values.join(";")}]`
}

const relationKey = (relation: Extract<Shape.Shape, { kind: "relation" }>, settled: Settled): string => {
  const found = fingerprintOf(`(${relation.left})-(${relation.right})`, settled)
  if (found === undefined || found.values.some((value) => Math.abs(value.im) > settled.tolerance)) return `s:${relation.left}${relation.operator}${relation.right}`
  // Scaled so that the first nonzero value is 1 (in size, for an inequality, whose direction a sign would flip).
  const first = found.values.find((value) => Math.abs(value.re) > settled.tolerance)?.re ?? 1
  const scale = relation.operator === "=" || relation.operator === "≠" ? first : Math.abs(first)
  return `r${relation.operator}<${found.variables.join(",")}>[${found.values.map((value) => format(value.re / scale, settled.precision)).join(";")}]`
}

const shapeKey = (shape: Shape.Shape, settled: Settled): string | undefined => {
  const keys = (items: ReadonlyArray<Shape.Shape>) => {
    const found = items.map((item) => shapeKey(item, settled))
    return found.every((key) => key !== undefined) ? (found as Array<string>) : undefined
  }
  switch (shape.kind) {
    case "unjudgeable":
      return undefined
    case "scalar":
      return scalarKey(shape.text, settled)
    case "relation": {
      // `x = 5` is keyed as `5` (the grader reads an assignment of a value as the value).
      // `x = 5` is keyed `v:x=` and the key of 5; its buckets are those of 5, where `5` itself is.
      const value = Equivalence.assignedConstant(shape)
      if (value === undefined) return relationKey(shape, settled)
      const valueKey = shapeKey(Shape.parse(value), settled)
      return valueKey === undefined ? undefined : `v:${value === shape.right ? shape.left : shape.right}=${valueKey}`
    }
    case "set":
    case "union": {
      // A union of intervals and a list of intervals are one answer.
      const items = keys(shape.kind === "set" ? shape.items : shape.parts)
      return items === undefined ? undefined : `{${items.sort().join(";")}}`
    }
    case "bracketed": {
      const items = keys(shape.items)
      return items === undefined ? undefined : `${shape.open}${items.join(";")}${shape.close}`
    }
    case "matrix": {
      const rows = shape.rows.map((row) => keys(row))
      return rows.every((row) => row !== undefined) ? `M[${rows.map((row) => `[${row!.join(";")}]`).join(";")}]` : undefined
    }
  }
}

const settle = (options: Equivalence.Options): Settled => {
  const tolerance = options.tolerance ?? 1e-6
  return {
    tolerance,
    precision: digits(tolerance),
    symbolic: options.symbolic ?? true,
    timeLimitMillis: options.symbolicTimeLimitMillis ?? 2000,
    symbolicMillisLeft: options.symbolicBudgetMillis ?? 5000
  }
}

/**
 * The canonical key of an answer (see the module's description). Bounded like `Equivalence.compare`: answers over
 * `Equivalence.maxLength` once normalized, or nested too deeply, get the exact key `raw:` + their normalized text.
 *
 * @example
 * Canonical.key("\\frac{1}{2}") === Canonical.key("0.5") // true
 */
export const key = (answer: string, options: Equivalence.Options = {}): string => {
  if (answer.length > Equivalence.maxLength * 8) return `raw:${answer}`
  const normalized = normalize(answer, { assignment: "keep" })
  if (normalized === "") return "empty:"
  if (normalized.length > Equivalence.maxLength) return `raw:${normalized}`
  return shapeKey(Shape.parse(normalized), settle(options)) ?? `raw:${normalized}`
}

/** The value of a number key (`#…`, real part), or `undefined`. */
const numberOf = (key: string): number | undefined => {
  if (!key.startsWith("#")) return undefined
  const value = Number(/^#([^+i]*(?:e[-+]\d+)?)/.exec(key)?.[1] ?? Number.NaN)
  return Number.isNaN(value) ? undefined : value
}

/**
 * The buckets of a key (see the module's description): where keys that differ may still be equivalent.
 *
 * @example
 * Canonical.buckets(Canonical.key("0.5")) // ["n:…", "m:…"], two grid cells around 0.5
 */
export const buckets = (key: string, options: Equivalence.Options = {}): ReadonlyArray<string> => {
  const assignment = /^v:[^=]*=/.exec(key)
  if (assignment !== null) return buckets(key.slice(assignment[0].length), options)
  if (key.startsWith("t:") || key.startsWith("raw:") || key.startsWith("empty:") || key.includes("s:")) return []
  const value = numberOf(key)
  if (value !== undefined && /^#[^;{}()[\]]*$/.test(key)) {
    const width = 4 * (options.tolerance ?? 1e-6)
    const scaled = Math.abs(value) < 1 ? value : Math.sign(value) * (1 + Math.log(Math.abs(value)))
    return [`n:${Math.floor(scaled / width)}`, `m:${Math.floor(scaled / width + 0.5)}`]
  }
  if (key.includes("f<") || /(?:^|[;{([])r[=≠<≤]</.test(key)) return ["sym"]
  return [`c:${key.replace(/#[^;{}()[\]]*/g, "#")}`]
}
