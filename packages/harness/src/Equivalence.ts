import { normalize } from "./Normalization.js"
import * as Shape from "./Shape.js"
import * as Symbolic from "./Symbolic.js"

/** Options of `equivalent` and `compare`. */
export interface Options {
  /**
   * Relative tolerance of numeric comparison (default 1e-6): |a − b| ≤ tolerance · max(|a|, |b|) + 1e-12 (the last
   * term only for floating-point noise: 0.0000009 is not 0). Two integers written out (`2880000`) are compared
   * exactly, and numbers past the float range never equal each other.
   */
  readonly tolerance?: number
  /** Hard time limit of one symbolic check, in milliseconds (default 2000); past it the answers count as different. */
  readonly symbolicTimeLimitMillis?: number
  /** Total time of all symbolic checks of one comparison, in milliseconds (default 5000). */
  readonly symbolicBudgetMillis?: number
  /** Turns the symbolic check (through the compute engine) off. */
  readonly symbolic?: boolean
}

/** The longest normalized answer compared (characters); a longer one is `Unjudgeable` ("too-long"). */
export const maxLength = 2000

/** The most element comparisons of one comparison (items of lists, entries of matrices, sides of relations). */
export const maxSteps = 5_000

/** Why two answers could not be judged; they count as different. */
export type Reason = "empty" | "too-long" | "too-deep" | "too-complex"

/** The verdict on two answers. */
export type Verdict = { readonly _tag: "Equal" } | { readonly _tag: "Different" } | { readonly _tag: "Unjudgeable"; readonly reason: Reason }

/** Splits at top-level separators (outside braces, brackets and parentheses). */
export const splitTopLevel = Shape.splitTopLevel

const close = (a: number, b: number, tolerance: number): boolean => {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  return a === b || Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b)) + 1e-12
}

const integerLiteral = /^[-+]?\d+$/

/**
 * Whether two texts are integers written out (`2880000`, `-033`) that are the same integer, compared exactly (not
 * through floats: `2880000` is not `2880002`, nor are two 331-digit integers one number); `undefined` unless both
 * are integers written out.
 */
export const sameInteger = (left: string, right: string): boolean | undefined =>
  left.length <= 400 && right.length <= 400 && integerLiteral.test(left) && integerLiteral.test(right) ? BigInt(left) === BigInt(right) : undefined

const numberPattern = String.raw`[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?`
const wholeNumber = new RegExp(`^${numberPattern}$`)
const fractionNumber = new RegExp(String.raw`^(-?)\\frac\{(${numberPattern})\}\{(${numberPattern})\}$`)
const slashNumber = new RegExp(`^(${numberPattern})/(${numberPattern})$`)

/** A plain number, fraction, mixed number or `a/b`, read exactly as written; `undefined` otherwise. */
export const plainNumber = (text: string): number | undefined => {
  if (text.length > 400) return undefined
  if (wholeNumber.test(text)) return Number(text)
  const fraction = fractionNumber.exec(text)
  if (fraction !== null) return (fraction[1] === "-" ? -1 : 1) * (Number(fraction[2]) / Number(fraction[3]))
  const slash = slashNumber.exec(text)
  if (slash !== null) return Number(slash[1]) / Number(slash[2])
  const mixed = /^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/.exec(text)
  if (mixed !== null) return (mixed[1] === "-" ? -1 : 1) * (Number(mixed[2]) + Number(mixed[3]) / Number(mixed[4]))
  return undefined
}

/** Words only (a text answer such as "Evelyn" or "even"). */
export const words = /^[a-zA-Z][a-zA-Z ]*$/

/** The settled options and what one comparison has left to spend. */
interface Budget {
  readonly tolerance: number
  readonly symbolic: boolean
  readonly timeLimitMillis: number
  symbolicMillisLeft: number
  steps: number
  unjudgeable: Reason | undefined
}

/** Runs one symbolic check within the comparison's budget; false when the budget is spent. */
const withSymbolicBudget = (budget: Budget, check: (options: Symbolic.Options) => boolean): boolean => {
  if (!budget.symbolic || budget.symbolicMillisLeft <= 0) return false
  const started = performance.now()
  const result = check({ tolerance: budget.tolerance, timeLimitMillis: Math.min(budget.timeLimitMillis, budget.symbolicMillisLeft) })
  budget.symbolicMillisLeft -= performance.now() - started
  return result
}

const scalarEqual = (left: string, right: string, budget: Budget): boolean => {
  if (left === right) return true
  if (left.toLowerCase() === right.toLowerCase() && /[a-zA-Z]/.test(left) && !/\\/.test(left)) return words.test(left)
  const integers = sameInteger(left, right)
  if (integers !== undefined) return integers
  const a = plainNumber(left)
  const b = plainNumber(right)
  if (a !== undefined && b !== undefined) return close(a, b, budget.tolerance)
  if (words.test(left) || words.test(right)) return false
  return withSymbolicBudget(budget, (options) => Symbolic.equal(left, right, options))
}

const step = (budget: Budget): boolean => {
  budget.steps++
  if (budget.steps > maxSteps) budget.unjudgeable ??= "too-complex"
  return budget.unjudgeable === undefined
}

const unorderedEqual = (left: ReadonlyArray<Shape.Shape>, right: ReadonlyArray<Shape.Shape>, budget: Budget): boolean => {
  if (left.length !== right.length) return false
  // Identical scalars pair up first (one map lookup each); only what is left is compared pairwise.
  const byText = new Map<string, Array<number>>()
  right.forEach((item, index) => {
    if (item.kind !== "scalar") return
    const indices = byText.get(item.text)
    if (indices === undefined) byText.set(item.text, [index])
    else indices.push(index)
  })
  const used = new Set<number>()
  const rest: Array<Shape.Shape> = []
  for (const item of left) {
    const match = item.kind === "scalar" ? byText.get(item.text)?.pop() : undefined
    if (match === undefined) rest.push(item)
    else used.add(match)
  }
  const others = right.map((item, index) => ({ item, index })).filter(({ index }) => !used.has(index))
  return rest.every((item) => {
    const match = others.find(({ index, item: other }) => !used.has(index) && equalShapes(item, other, budget))
    if (match === undefined) return false
    used.add(match.index)
    return true
  })
}

const orderedEqual = (left: ReadonlyArray<Shape.Shape>, right: ReadonlyArray<Shape.Shape>, budget: Budget): boolean =>
  left.length === right.length && left.every((item, index) => equalShapes(item, right[index]!, budget))

const sidesEqual = (left: string, right: string, budget: Budget): boolean => equalShapes(Shape.parse(left), Shape.parse(right), budget)

const relationsEqual = (
  a: Extract<Shape.Shape, { kind: "relation" }>,
  b: Extract<Shape.Shape, { kind: "relation" }>,
  budget: Budget
): boolean => {
  if (a.operator !== b.operator) return false
  if (sidesEqual(a.left, b.left, budget) && sidesEqual(a.right, b.right, budget)) return true
  const symmetric = a.operator === "=" || a.operator === "≠"
  if (symmetric && sidesEqual(a.left, b.right, budget) && sidesEqual(a.right, b.left, budget)) return true
  // Rearranged or scaled: L1 − R1 = c · (L2 − R2), c ≠ 0 (c > 0 for an inequality).
  return withSymbolicBudget(budget, (options) => Symbolic.relationEqual([a.left, a.right], [b.left, b.right], !symmetric, options))
}

/** The value side of an assignment `x = value` (either way round), or `undefined`. */
const assignedValue = (relation: Extract<Shape.Shape, { kind: "relation" }>): string | undefined => {
  if (relation.operator !== "=") return undefined
  if (Shape.isVariable(relation.left)) return relation.right
  if (Shape.isVariable(relation.right)) return relation.left
  return undefined
}

/** True when a text has no free variable (only numbers, commands, and the constants `e` and `i`). */
export const isConstantText = (text: string): boolean => !/[a-df-hj-zA-Z]/.test(text.replace(/\\[a-zA-Z]+/g, ""))

/** The value of an assignment of a constant (`x = 5`, `5 = x`), or `undefined`. */
export const assignedConstant = (relation: Extract<Shape.Shape, { kind: "relation" }>): string | undefined => {
  const value = assignedValue(relation)
  return value !== undefined && isConstantText(value) ? value : undefined
}

const isIntervalSet = (shape: Shape.Shape): shape is Extract<Shape.Shape, { kind: "set" }> =>
  shape.kind === "set" && shape.items.every((item) => item.kind === "bracketed")

const equalShapes = (a: Shape.Shape, b: Shape.Shape, budget: Budget): boolean => {
  if (!step(budget)) return false
  if (a.kind === "unjudgeable" || b.kind === "unjudgeable") {
    budget.unjudgeable ??= "too-deep"
    return false
  }
  // An assignment against a bare value: `x = 5` and `5`.
  if (a.kind === "relation" && b.kind !== "relation") {
    const value = assignedValue(a)
    return value !== undefined && equalShapes(Shape.parse(value), b, budget)
  }
  if (b.kind === "relation" && a.kind !== "relation") return equalShapes(b, a, budget)
  // A union of intervals and a list of intervals ("x < 2 or x > 3").
  if (a.kind === "union" && isIntervalSet(b)) return unorderedEqual(a.parts, b.items, budget)
  if (b.kind === "union" && isIntervalSet(a)) return unorderedEqual(a.items, b.parts, budget)
  switch (a.kind) {
    case "union":
      return b.kind === "union" && unorderedEqual(a.parts, b.parts, budget)
    case "matrix":
      return b.kind === "matrix" && a.rows.length === b.rows.length && a.rows.every((row, index) => orderedEqual(row, b.rows[index]!, budget))
    case "bracketed":
      return b.kind === "bracketed" && a.open === b.open && a.close === b.close && orderedEqual(a.items, b.items, budget)
    case "set":
      return b.kind === "set" && unorderedEqual(a.items, b.items, budget)
    case "relation":
      return b.kind === "relation" && relationsEqual(a, b, budget)
    case "scalar":
      return b.kind === "scalar" && scalarEqual(a.text, b.text, budget)
  }
}

const settle = (options: Options): Budget => ({
  tolerance: options.tolerance ?? 1e-6,
  symbolic: options.symbolic ?? true,
  timeLimitMillis: options.symbolicTimeLimitMillis ?? 2000,
  symbolicMillisLeft: options.symbolicBudgetMillis ?? 5000,
  steps: 0,
  unjudgeable: undefined
})

/**
 * Compares two final answers, with a typed verdict: `Equal`, `Different`, or `Unjudgeable` with the reason
 * (empty; longer than `maxLength` once normalized; nested deeper than `Shape.maxDepth`; more than `maxSteps`
 * element comparisons). Bounded for any input: at most `maxSteps` comparisons, `symbolicBudgetMillis` of symbolic
 * checks, and no recursion deeper than `Shape.maxDepth`.
 *
 * @example
 * Equivalence.compare("(1,2)", "(1,2)") // { _tag: "Equal" }
 */
export const compare = (answer: string, reference: string, options: Options = {}): Verdict => {
  const budget = settle(options)
  // Normalization is linear; the cap stops an answer no one would write from reaching the structure.
  if (answer.length > maxLength * 8 || reference.length > maxLength * 8) return { _tag: "Unjudgeable", reason: "too-long" }
  const left = normalize(answer, { assignment: "keep" })
  const right = normalize(reference, { assignment: "keep" })
  if (left === "" || right === "") return { _tag: "Unjudgeable", reason: "empty" }
  if (left.length > maxLength || right.length > maxLength) return { _tag: "Unjudgeable", reason: "too-long" }
  if (left === right) return { _tag: "Equal" }
  const equal = equalShapes(Shape.parse(left), Shape.parse(right), budget)
  if (equal) return { _tag: "Equal" }
  return budget.unjudgeable === undefined ? { _tag: "Different" } : { _tag: "Unjudgeable", reason: budget.unjudgeable }
}

/**
 * Decides whether two final answers are the same: after `normalize`, equal strings; then by structure (tuples
 * and intervals in order with the same brackets, sets and lists in any order — "and", ";" and `\pm` included —,
 * unions of intervals, matrices, relations up to flipping, rearranging and scaling, one-variable inequalities as
 * intervals); scalars numerically within a tolerance (fractions, mixed numbers, radicals, π, complex numbers
 * through the compute engine) and, with free variables, symbolically by evaluating both at several points, under
 * a time limit. An `Unjudgeable` pair (see `compare`) is not equivalent.
 *
 * @example
 * Equivalence.equivalent("\\dfrac{1}{2}", "0.5") // true
 * Equivalence.equivalent("(1,2)", "(2,1)") // false
 */
export const equivalent = (answer: string, reference: string, options: Options = {}): boolean =>
  compare(answer, reference, options)._tag === "Equal"
