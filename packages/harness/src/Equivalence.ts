import { ComputeEngine } from "@cortex-js/compute-engine"
import { normalize } from "./Normalization.js"

/** Options of `equivalent`. */
export interface Options {
  /** Relative tolerance of numeric comparison (default 1e-6); absolute below 1 (|a − b| ≤ tolerance · max(1, |a|, |b|)). */
  readonly tolerance?: number
  /** Time limit of the symbolic check, in milliseconds, checked between steps (default 2000). */
  readonly symbolicTimeLimitMillis?: number
  /** Turns the symbolic check (through the compute engine) off. */
  readonly symbolic?: boolean
}

type Engine = InstanceType<typeof ComputeEngine>
let engine: Engine | undefined
const engineOf = (): Engine => {
  engine ??= new ComputeEngine()
  return engine
}

/** Splits at top-level separators (outside braces, brackets and parentheses). */
export const splitTopLevel = (text: string, separator: string): Array<string> => {
  const parts: Array<string> = []
  let depth = 0
  let start = 0
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!
    if (character === "\\" && (text[index + 1] === "{" || text[index + 1] === "}")) {
      depth += text[index + 1] === "{" ? 1 : -1
      index++
      continue
    }
    if ("{([".includes(character)) depth++
    else if ("})]".includes(character)) depth--
    else if (depth === 0 && text.startsWith(separator, index)) {
      parts.push(text.slice(start, index))
      start = index + separator.length
      index += separator.length - 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** True when the opening bracket at 0 closes at the very end (so the text is one bracketed group). */
const wrapsWhole = (text: string, open: number, closeAt: number): boolean => {
  let depth = 0
  for (let index = open; index <= closeAt; index++) {
    const character = text[index]!
    if ("{([".includes(character)) depth++
    else if ("})]".includes(character)) depth--
    if (depth === 0 && index < closeAt) return false
  }
  return true
}

/** The structure of a normalized answer. */
type Shape =
  | { readonly kind: "union"; readonly parts: ReadonlyArray<string> }
  | { readonly kind: "bracketed"; readonly open: string; readonly close: string; readonly items: ReadonlyArray<string> }
  | { readonly kind: "set"; readonly items: ReadonlyArray<string> }
  | { readonly kind: "list"; readonly items: ReadonlyArray<string> }
  | { readonly kind: "matrix"; readonly rows: ReadonlyArray<ReadonlyArray<string>> }
  | { readonly kind: "equation"; readonly left: string; readonly right: string }
  | { readonly kind: "scalar"; readonly text: string }

const shapeOf = (text: string): Shape => {
  const union = splitTopLevel(text, "\\cup")
  if (union.length > 1) return { kind: "union", parts: union }
  const matrix = /^\\begin\{[pbvB]?matrix\}([\s\S]*)\\end\{[pbvB]?matrix\}$/.exec(text)
  if (matrix?.[1] !== undefined)
    return { kind: "matrix", rows: matrix[1].split("\\\\").filter((row) => row.trim() !== "").map((row) => row.split("&")) }
  if (text.startsWith("\\{") && text.endsWith("\\}"))
    return { kind: "set", items: splitTopLevel(text.slice(2, -2), ",").filter((item) => item !== "") }
  const first = text[0]
  const last = text[text.length - 1]
  if ((first === "(" || first === "[") && (last === ")" || last === "]") && text.length >= 2) {
    const inner = text.slice(1, -1)
    const items = splitTopLevel(inner, ",")
    if (items.length > 1 && wrapsWhole(text, 0, text.length - 1)) return { kind: "bracketed", open: first, close: last, items }
  }
  const list = splitTopLevel(text, ",")
  if (list.length > 1) return { kind: "list", items: list }
  const sides = splitTopLevel(text, "=")
  if (sides.length === 2) return { kind: "equation", left: sides[0]!, right: sides[1]! }
  return { kind: "scalar", text }
}

const close = (a: number, b: number, tolerance: number): boolean => {
  if (a === b) return true
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))
}

/** A plain number, fraction, mixed number or `a/b`, read exactly as written; `undefined` otherwise. */
export const plainNumber = (text: string): number | undefined => {
  const number = String.raw`[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?`
  if (new RegExp(`^${number}$`).test(text)) return Number(text)
  const fraction = new RegExp(String.raw`^(-?)\\frac\{(${number})\}\{(${number})\}$`).exec(text)
  if (fraction !== null) return (fraction[1] === "-" ? -1 : 1) * (Number(fraction[2]) / Number(fraction[3]))
  const slash = new RegExp(`^(${number})/(${number})$`).exec(text)
  if (slash !== null) return Number(slash[1]) / Number(slash[2])
  const mixed = /^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/.exec(text)
  if (mixed !== null) return (mixed[1] === "-" ? -1 : 1) * (Number(mixed[2]) + Number(mixed[3]) / Number(mixed[4]))
  return undefined
}

const words = /^[a-zA-Z][a-zA-Z ]+$/
const samplePoints = [0.7391, 1.6180, -2.2361, 3.1416]

interface Complex {
  readonly re: number
  readonly im: number
}

/** Evaluates an expression numerically (with free variables bound to `bindings`); `undefined` when it cannot. */
const evaluate = (expression: ReturnType<Engine["parse"]>, bindings: Record<string, number>): Complex | undefined => {
  const bound = Object.keys(bindings).length === 0 ? expression : expression.subs(bindings)
  const value = bound.N()
  const re = value.re
  const im = value.im
  if (typeof re !== "number" || Number.isNaN(re) || typeof im !== "number" || Number.isNaN(im)) return undefined
  return { re, im }
}

const symbolicEqual = (left: string, right: string, options: Required<Options>): boolean => {
  if (!options.symbolic || left.length > 400 || right.length > 400) return false
  if (words.test(left) || words.test(right)) return false
  const deadline = Date.now() + options.symbolicTimeLimitMillis
  const ce = engineOf()
  const result = (() => {
    try {
      const a = ce.parse(left)
      const b = ce.parse(right)
      if (!a.isValid || !b.isValid) return false
      const unknowns = [...new Set([...a.unknowns, ...b.unknowns])].sort()
      const sameUnknowns = [...a.unknowns].sort().join(",") === [...b.unknowns].sort().join(",")
      if (!sameUnknowns) return false
      if (unknowns.length === 0) {
        const x = evaluate(a, {})
        const y = Date.now() > deadline ? undefined : evaluate(b, {})
        return x !== undefined && y !== undefined && close(x.re, y.re, options.tolerance) && close(x.im, y.im, options.tolerance)
      }
      // Same free variables: equal at several points (skipping points where either side is undefined).
      let compared = 0
      for (let point = 0; point < samplePoints.length; point++) {
        if (Date.now() > deadline) return false
        const bindings = Object.fromEntries(
          unknowns.map((name, index) => [name, samplePoints[(point + index) % samplePoints.length]! * (1 + index / 7)])
        )
        const x = evaluate(a, bindings)
        const y = evaluate(b, bindings)
        if (x === undefined || y === undefined) continue
        if (!close(x.re, y.re, options.tolerance) || !close(x.im, y.im, options.tolerance)) return false
        compared++
      }
      return compared >= 2
    } catch {
      return false
    }
  })()
  return result
}

const scalarEqual = (left: string, right: string, options: Required<Options>): boolean => {
  if (left === right) return true
  if (left.toLowerCase() === right.toLowerCase() && /[a-zA-Z]/.test(left) && !/\\/.test(left)) return words.test(left)
  const a = plainNumber(left)
  const b = plainNumber(right)
  if (a !== undefined && b !== undefined) return close(a, b, options.tolerance)
  return symbolicEqual(left, right, options)
}

const unorderedEqual = (left: ReadonlyArray<string>, right: ReadonlyArray<string>, options: Required<Options>): boolean => {
  if (left.length !== right.length) return false
  const used = new Set<number>()
  return left.every((item) => {
    const match = right.findIndex((other, index) => !used.has(index) && equalNormalized(item, other, options))
    if (match < 0) return false
    used.add(match)
    return true
  })
}

const orderedEqual = (left: ReadonlyArray<string>, right: ReadonlyArray<string>, options: Required<Options>): boolean =>
  left.length === right.length && left.every((item, index) => equalNormalized(item, right[index]!, options))

const equalNormalized = (left: string, right: string, options: Required<Options>): boolean => {
  if (left === right) return true
  const a = shapeOf(left)
  const b = shapeOf(right)
  // A bare list and a set are the same kind of answer ("1, 2" vs "\{1, 2\}").
  const kindOf = (shape: Shape) => (shape.kind === "set" ? "list" : shape.kind)
  if (kindOf(a) !== kindOf(b)) return false
  switch (a.kind) {
    case "union":
      return b.kind === "union" && unorderedEqual(a.parts, b.parts, options)
    case "matrix":
      return (
        b.kind === "matrix" &&
        a.rows.length === b.rows.length &&
        a.rows.every((row, index) => orderedEqual(row, b.rows[index]!, options))
      )
    case "bracketed":
      return b.kind === "bracketed" && a.open === b.open && a.close === b.close && orderedEqual(a.items, b.items, options)
    case "set":
    case "list":
      return (b.kind === "set" || b.kind === "list") && unorderedEqual(a.items, b.items, options)
    case "equation":
      return (
        b.kind === "equation" &&
        ((equalNormalized(a.left, b.left, options) && equalNormalized(a.right, b.right, options)) ||
          (equalNormalized(a.left, b.right, options) && equalNormalized(a.right, b.left, options)))
      )
    case "scalar":
      return b.kind === "scalar" && scalarEqual(a.text, b.text, options)
  }
}

/**
 * Decides whether two final answers are the same: after `normalize`, equal strings; then by structure (tuples
 * and intervals in order with the same brackets, sets and comma lists in any order, unions of intervals,
 * matrices, equations side by side); scalars numerically within a tolerance (fractions, mixed numbers,
 * radicals, π, complex numbers through the compute engine) and, with free variables, symbolically by
 * evaluating both at several points, under a time limit.
 *
 * @example
 * Equivalence.equivalent("\\dfrac{1}{2}", "0.5") // true
 * Equivalence.equivalent("(1,2)", "(2,1)") // false
 */
export const equivalent = (answer: string, reference: string, options: Options = {}): boolean => {
  const settled: Required<Options> = {
    tolerance: options.tolerance ?? 1e-6,
    symbolicTimeLimitMillis: options.symbolicTimeLimitMillis ?? 2000,
    symbolic: options.symbolic ?? true
  }
  const left = normalize(answer)
  const right = normalize(reference)
  if (left === "" || right === "") return false
  return equalNormalized(left, right, settled)
}
