/**
 * The structure of a normalized answer, as a typed tree: unions of intervals, tuples and intervals, sets and
 * lists, matrices, relations, scalars. `Equivalence` compares two trees and `Canonical` builds vote keys from
 * one. Parsing is bounded: nesting deeper than `maxDepth` gives an `Unjudgeable` node (never a stack overflow),
 * and each level scans its text once, so a parse costs at most O(length × depth).
 *
 * Decisions (see the package README):
 * - `a, b`, `\{a, b\}`, `a and b`, `a; b` and `a \pm b` (as `a + b, a − b`) are sets: order does not matter.
 * - `(a, b)` and `[a, b)` keep their order and brackets (a tuple is not an interval with other brackets).
 * - A relation `L op R` keeps its operator; `>` and `≥` are turned around (`5 ≥ x` is `x ≤ 5`).
 * - One variable bounded by constants is an interval: `x ≥ 5` is `[5, ∞)`, `2 < x ≤ 3` is `(2, 3]`.
 * - A chain of equalities `x = 5 + 6 = 11` is its last side, `11`.
 * - A labelled tuple `(p, q) = (3, 2)` is the tuple `(3, 2)`.
 */

/** The deepest nesting of structure read (brackets, sets, matrices); deeper answers are `Unjudgeable`. */
export const maxDepth = 32

/** A relation operator after turning `>` and `≥` around. */
export type Operator = "=" | "≠" | "<" | "≤"

/** A parsed answer. */
export type Shape =
  | { readonly kind: "union"; readonly parts: ReadonlyArray<Shape> }
  | { readonly kind: "bracketed"; readonly open: string; readonly close: string; readonly items: ReadonlyArray<Shape> }
  | { readonly kind: "set"; readonly items: ReadonlyArray<Shape> }
  | { readonly kind: "matrix"; readonly rows: ReadonlyArray<ReadonlyArray<Shape>> }
  | { readonly kind: "relation"; readonly operator: Operator; readonly left: string; readonly right: string }
  | { readonly kind: "scalar"; readonly text: string }
  | { readonly kind: "unjudgeable"; readonly reason: "too-deep" }

const openers = "{(["
const closers = "})]"

/** Splits at top-level separators (outside braces, brackets and parentheses); linear in the text. */
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
    if (openers.includes(character)) depth++
    else if (closers.includes(character)) depth--
    else if (depth === 0 && text.startsWith(separator, index)) {
      parts.push(text.slice(start, index))
      start = index + separator.length
      index += separator.length - 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** True when the bracket at `open` closes exactly at `closeAt` (so the text there is one bracketed group). */
const wrapsWhole = (text: string, open: number, closeAt: number): boolean => {
  let depth = 0
  for (let index = open; index <= closeAt; index++) {
    const character = text[index]!
    if (openers.includes(character)) depth++
    else if (closers.includes(character)) depth--
    if (depth === 0 && index < closeAt) return false
  }
  return true
}

/** One variable: a letter or a Greek command, with an optional subscript (`x`, `a_1`, `\theta`). */
export const isVariable = (text: string): boolean =>
  /^(?:[a-zA-Z]|\\(?:alpha|beta|gamma|delta|theta|lambda|mu|phi|psi|omega|rho|sigma|tau))(?:_\{?\w+\}?)?$/.test(text)

/** True when a text has no letter outside LaTeX commands, or only the constants `e` and `i` (so it is a constant). */
const isConstant = (text: string): boolean => !/[a-df-hj-zA-Z]/.test(text.replace(/\\[a-zA-Z]+/g, "")) || /\\infty/.test(text)

const relationSymbols = ["≠", "≤", "≥", "<", ">", "="] as const
type Symbol = (typeof relationSymbols)[number]

/** The top-level relation symbols of a text and the sides between them; one scan. */
const relationParts = (text: string): { readonly sides: Array<string>; readonly symbols: Array<Symbol> } => {
  const sides: Array<string> = []
  const symbols: Array<Symbol> = []
  let depth = 0
  let start = 0
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!
    if (character === "\\") {
      if (text[index + 1] === "{") depth++
      else if (text[index + 1] === "}") depth--
      index++
      continue
    }
    if (openers.includes(character)) depth++
    else if (closers.includes(character)) depth--
    else if (depth === 0 && (relationSymbols as ReadonlyArray<string>).includes(character)) {
      sides.push(text.slice(start, index))
      symbols.push(character as Symbol)
      start = index + 1
    }
  }
  sides.push(text.slice(start))
  return { sides, symbols }
}

const flipped: Record<Symbol, Symbol> = { "<": ">", ">": "<", "≤": "≥", "≥": "≤", "=": "=", "≠": "≠" }

/** An inequality of one variable against constants, as an interval; `undefined` when it is not one. */
const asInterval = (sides: ReadonlyArray<string>, symbols: ReadonlyArray<Symbol>): Shape | undefined => {
  const strict = (symbol: Symbol) => symbol === "<" || symbol === ">"
  const bracket = (symbol: Symbol, open: boolean) => (strict(symbol) ? (open ? "(" : ")") : open ? "[" : "]")
  const scalar = (text: string): Shape => ({ kind: "scalar", text })
  if (symbols.length === 1) {
    let [left, right] = sides as [string, string]
    let symbol = symbols[0]!
    if (symbol === "=" || symbol === "≠") return undefined
    if (!isVariable(left)) {
      ;[left, right] = [right, left]
      symbol = flipped[symbol]
    }
    if (!isVariable(left) || !isConstant(right) || right === "") return undefined
    // x < c is (-∞, c); x > c is (c, ∞).
    return symbol === "<" || symbol === "≤"
      ? { kind: "bracketed", open: "(", close: bracket(symbol, false), items: [scalar("-\\infty"), scalar(right)] }
      : { kind: "bracketed", open: bracket(symbol, true), close: ")", items: [scalar(right), scalar("\\infty")] }
  }
  if (symbols.length === 2) {
    let [low, variable, high] = sides as [string, string, string]
    let [first, second] = symbols as [Symbol, Symbol]
    if (first === ">" || first === "≥") {
      if (second !== ">" && second !== "≥") return undefined
      ;[low, high] = [high, low]
      ;[first, second] = [flipped[second], flipped[first]]
    }
    if ((first !== "<" && first !== "≤") || (second !== "<" && second !== "≤")) return undefined
    if (!isVariable(variable) || !isConstant(low) || !isConstant(high) || low === "" || high === "") return undefined
    return { kind: "bracketed", open: bracket(first, true), close: bracket(second, false), items: [scalar(low), scalar(high)] }
  }
  return undefined
}

const matrixPattern = /^\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{\1\}$/

const parseAt = (text: string, depth: number): Shape => {
  if (depth > maxDepth) return { kind: "unjudgeable", reason: "too-deep" }
  const deeper = (part: string) => parseAt(part, depth + 1)
  const union = splitTopLevel(text, "\\cup")
  if (union.length > 1) return { kind: "union", parts: union.map(deeper) }
  // `\left[ \begin{array}…\end{array} \right]` and other brackets around a matrix.
  const unwrapped = /^[([]\\begin\{/.test(text) && /\\end\{[a-zA-Z]+\}[)\]]$/.test(text) ? text.slice(1, -1) : text
  const matrix = matrixPattern.exec(unwrapped)
  if (matrix?.[2] !== undefined)
    return {
      kind: "matrix",
      rows: splitTopLevel(matrix[2], "\\\\")
        .filter((row) => row.trim() !== "")
        .map((row) => splitTopLevel(row, "&").map(deeper))
    }
  if (text.startsWith("\\{") && text.endsWith("\\}") && text.length >= 4)
    return { kind: "set", items: expandItems(splitTopLevel(text.slice(2, -2), ","), depth) }
  const first = text[0]
  const last = text[text.length - 1]
  if ((first === "(" || first === "[") && (last === ")" || last === "]") && text.length >= 2) {
    const items = splitTopLevel(text.slice(1, -1), ",")
    if (items.length > 1 && wrapsWhole(text, 0, text.length - 1)) return { kind: "bracketed", open: first, close: last, items: items.map(deeper) }
  }
  const list = splitTopLevel(text, ",")
  if (list.length > 1) return { kind: "set", items: expandItems(list, depth) }
  const { sides, symbols } = relationParts(text)
  if (symbols.length > 0 && sides.every((side) => side !== "")) {
    if (symbols.every((symbol) => symbol === "=")) {
      if (symbols.length > 1) return deeper(sides[sides.length - 1]!)
      const [left, right] = sides as [string, string]
      // A labelled tuple: (p, q) = (3, 2).
      const label = deeper(left)
      if (label.kind === "bracketed" && label.items.every((item) => item.kind === "scalar" && isVariable(item.text))) {
        const value = deeper(right)
        if (value.kind === "bracketed" && value.items.length === label.items.length) return value
      }
      return { kind: "relation", operator: "=", left, right }
    }
    const interval = asInterval(sides, symbols)
    if (interval !== undefined) return interval
    if (symbols.length === 1) {
      const symbol = symbols[0]!
      const [left, right] = sides as [string, string]
      if (symbol === ">" || symbol === "≥") return { kind: "relation", operator: flipped[symbol] as Operator, left: right, right: left }
      return { kind: "relation", operator: symbol as Operator, left, right }
    }
  }
  const plusMinus = expandPlusMinus(text)
  if (plusMinus !== undefined) return { kind: "set", items: plusMinus.map((item) => ({ kind: "scalar", text: item })) }
  return { kind: "scalar", text }
}

/**
 * An expression with one `\pm` (or `±`), anywhere, as its two values: `1 \pm \sqrt{2}` is `[1+\sqrt{2},
 * 1-\sqrt{2}]`, `\frac{-1 \pm \sqrt5}{2}` is two fractions; `undefined` without exactly one.
 */
const expandPlusMinus = (text: string): ReadonlyArray<string> | undefined => {
  const marked = text.replace(/\\pm(?![a-zA-Z])/g, "±")
  const at = marked.indexOf("±")
  if (at < 0 || marked.indexOf("±", at + 1) >= 0) return undefined
  const before = marked.slice(0, at)
  const after = marked.slice(at + 1)
  if (after === "") return undefined
  // A leading ±, or one right after an opening bracket or an operator, is a sign: `\pm 3` is 3 and -3.
  const sign = before === "" || /[({[=,+\-*/^]$/.test(before)
  return sign ? [`${before}${after}`, `${before}-${after}`] : [`${before}+${after}`, `${before}-${after}`]
}

/** Parses the items of a set or list, expanding `\pm` items into two. */
const expandItems = (items: ReadonlyArray<string>, depth: number): ReadonlyArray<Shape> =>
  items
    .filter((item) => item !== "")
    .flatMap((item) => {
      const shape = parseAt(item, depth + 1)
      // A `\pm` item stands for two items; a nested `\{…\}` stays one item.
      return shape.kind === "set" && !item.startsWith("\\{") ? shape.items : [shape]
    })

/**
 * Parses a normalized answer (see `Normalization.normalize` with `assignment: "keep"`).
 *
 * @example
 * Shape.parse("x≥5") // { kind: "bracketed", open: "[", close: ")", items: [5, \infty] }
 */
export const parse = (normalized: string): Shape => parseAt(normalized, 0)
