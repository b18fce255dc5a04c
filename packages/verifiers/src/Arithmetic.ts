import Fraction from "fraction.js"

/**
 * Exact arithmetic on the text of a reasoning step: parses expressions with rational numbers (fraction.js,
 * BigInt-backed: no floating error), and finds the equations a step states. Total: never throws, for any input.
 * Use to check steps like "Step 2: 68 * 3 = 204" or "$\frac{3}{4} \times 8 = 6$".
 *
 * Grammar: numbers (integers, decimals, thousands written "1,000"), `+ - * /` (also `× · ÷ −`, `\times`,
 * `\cdot`, `\div`), parentheses and brackets, `\frac{a}{b}`, unary minus. Nesting is limited to 100 levels and an
 * expression to `maxLength` characters (both give a typed `Invalid`).
 *
 * @example
 * Arithmetic.evaluate("(8 - 2) * (5 - 1)") // { _tag: "Value", value: Fraction(24), numbers: [8, 2, 5, 1] }
 */
export type Evaluation =
  | { readonly _tag: "Value"; readonly value: Fraction; readonly numbers: ReadonlyArray<Fraction> }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** An equation a step states, `left = right`, and whether it holds exactly. */
export interface Equation {
  readonly left: string
  readonly right: string
  readonly leftValue: Fraction
  readonly rightValue: Fraction
  /** The number literals of the left side, in order (for puzzles that must use given numbers). */
  readonly leftNumbers: ReadonlyArray<Fraction>
  readonly holds: boolean
}

const maxDepth = 100

/** The longest expression evaluated (characters): longer text is `Invalid` ("too long") without being read. */
export const maxLength = 10_000

const fraction = /\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g

/** Rewrites `\frac{a}{b}` into `((a)/(b))`, innermost first, so nested fractions (`\frac{8}{3-\frac{8}{3}}`) read too. */
const fractions = (text: string): string => {
  let current = text
  for (let level = 0; level < 100; level++) {
    const next = current.replace(fraction, "(($1)/($2))")
    if (next === current) return next
    current = next
  }
  return current
}

/** Rewrites LaTeX and Unicode operators into plain ASCII arithmetic. */
export const normalize = (text: string): string =>
  fractions(
    text
      .replace(/\\(?:times|cdot|ast)/g, "*")
      .replace(/\\div/g, "/")
      .replace(/[×·⋅∗]/g, "*")
      .replace(/÷/g, "/")
      .replace(/[−–]/g, "-")
      .replace(/\\left|\\right|\\!|\\,|\\;|\$/g, " ")
      .replace(/\\[()[\]]/g, " ")
  ).replace(/(\d),(?=\d{3}(?!\d))/g, "$1")

type Token = { readonly kind: "number"; readonly text: string } | { readonly kind: "symbol"; readonly text: string }

const tokenize = (text: string): ReadonlyArray<Token> | undefined => {
  const tokens: Array<Token> = []
  let index = 0
  while (index < text.length) {
    const character = text[index]!
    if (character === " " || character === "\t" || character === "\n" || character === "\r") {
      index++
      continue
    }
    const number = /^(?:\d+(?:\.\d+)?|\.\d+)/.exec(text.slice(index, index + 400))
    if (number !== null) {
      if (number[0].length >= 400) return undefined
      tokens.push({ kind: "number", text: number[0] })
      index += number[0].length
      continue
    }
    if ("+-*/()[]{}".includes(character)) {
      tokens.push({ kind: "symbol", text: character })
      index++
      continue
    }
    return undefined
  }
  return tokens
}

/** Evaluates an arithmetic expression exactly. */
export const evaluate = (expression: string): Evaluation => {
  if (expression.length > maxLength) return { _tag: "Invalid", reason: "too long" }
  const tokens = tokenize(normalize(expression))
  if (tokens === undefined) return { _tag: "Invalid", reason: "not arithmetic" }
  if (tokens.length === 0) return { _tag: "Invalid", reason: "empty" }
  let position = 0
  const numbers: Array<Fraction> = []
  let failure: string | undefined
  const fail = (reason: string): undefined => {
    failure ??= reason
    return undefined
  }
  const peek = (): Token | undefined => tokens[position]
  const closing: Record<string, string> = { "(": ")", "[": "]", "{": "}" }

  const primary = (depth: number): Fraction | undefined => {
    if (depth > maxDepth) return fail("nested too deeply")
    const token = peek()
    if (token === undefined) return fail("unexpected end")
    if (token.kind === "number") {
      position++
      const value = new Fraction(token.text)
      numbers.push(value)
      return value
    }
    if (token.text === "-") {
      position++
      const inner = primary(depth + 1)
      return inner === undefined ? undefined : inner.neg()
    }
    const close = closing[token.text]
    if (close !== undefined) {
      position++
      const inner = sum(depth + 1)
      if (inner === undefined) return undefined
      if (peek()?.text !== close) return fail(`missing ${close}`)
      position++
      return inner
    }
    return fail(`unexpected ${token.text}`)
  }
  const product = (depth: number): Fraction | undefined => {
    let value = primary(depth)
    while (value !== undefined && (peek()?.text === "*" || peek()?.text === "/")) {
      const operator = peek()!.text
      position++
      const right = primary(depth)
      if (right === undefined) return undefined
      if (operator === "/" && right.equals(0)) return fail("division by zero")
      value = operator === "*" ? value.mul(right) : value.div(right)
    }
    return value
  }
  const sum = (depth: number): Fraction | undefined => {
    let value = product(depth)
    while (value !== undefined && (peek()?.text === "+" || peek()?.text === "-")) {
      const operator = peek()!.text
      position++
      const right = product(depth)
      if (right === undefined) return undefined
      value = operator === "+" ? value.add(right) : value.sub(right)
    }
    return value
  }
  const value = sum(0)
  if (value === undefined) return { _tag: "Invalid", reason: failure ?? "invalid" }
  if (position !== tokens.length) return { _tag: "Invalid", reason: `unexpected ${tokens[position]?.text ?? "end"}` }
  return { _tag: "Value", value, numbers }
}

const arithmeticCharacter = /[0-9.+\-*/()[\]{} \t]/

/**
 * The equations a step states: for each `=` (not part of `<=`, `>=`, `!=`, `==`), the arithmetic on each side.
 * Only what can be checked exactly is returned; an equation is left out when a side touches a letter or an
 * operator hangs off it (algebra such as "2x - 3 = 7" or "= 3x"), or when a side does not parse.
 * On the left, a run that does not parse is cut at a space ("Step 2 68 * 3" → "68 * 3"); on the right, the
 * longest prefix that parses is kept ("12 (left: 6 8 12)" → "12").
 */
export const equations = (text: string): ReadonlyArray<Equation> => {
  const plain = normalize(text)
  const found: Array<Equation> = []
  for (let at = plain.indexOf("="); at >= 0; at = plain.indexOf("=", at + 1)) {
    const before = plain[at - 1]
    const after = plain[at + 1]
    if (before === "<" || before === ">" || before === "!" || before === "=" || after === "=") continue
    let start = at
    while (start > 0 && arithmeticCharacter.test(plain[start - 1]!)) start--
    let end = at + 1
    while (end < plain.length && arithmeticCharacter.test(plain[end]!)) end++
    if (at - start > 300 || end - at > 300) continue
    const leftRun = plain.slice(start, at)
    const rightRun = plain.slice(at + 1, end)
    // A letter glued to a side, or a side that starts after a word with an operator, is algebra: skip it.
    if (start > 0 && /[A-Za-z_^\\]/.test(plain[start - 1]!) && !/^\s/.test(leftRun)) continue
    // "x - 3 = 7" is algebra, but "so -7 * 3 = -21" starts with a negative number.
    if (/^\s*[+*/]/.test(leftRun) || (start > 0 && /^\s*-\s/.test(leftRun) && /[A-Za-z]/.test(plain[start - 1]!))) continue
    let left = leftRun.trim()
    let leftEvaluation = evaluate(left)
    for (let cut = leftRun.indexOf(" "); leftEvaluation._tag === "Invalid" && cut >= 0; cut = leftRun.indexOf(" ", cut + 1)) {
      const candidate = leftRun.slice(cut).trim()
      if (candidate.length === 0) break
      leftEvaluation = evaluate(candidate)
      left = candidate
    }
    const rightTrimmed = rightRun.replace(/[.\s]+$/, "")
    let right = rightTrimmed.trim()
    let rightEvaluation = evaluate(right)
    for (let cut = rightTrimmed.length - 1; rightEvaluation._tag === "Invalid" && cut > 0; cut--) {
      const candidate = rightTrimmed.slice(0, cut).trim()
      if (candidate.length === 0) break
      rightEvaluation = evaluate(candidate)
      right = candidate
    }
    if (leftEvaluation._tag === "Invalid" || rightEvaluation._tag === "Invalid") continue
    const rest = plain.slice(plain.indexOf(right, at + 1) + right.length)
    if (/^[A-Za-z_^\\%]/.test(rest) || /^\s*[+\-*/]/.test(rest)) continue
    found.push({
      left,
      right,
      leftValue: leftEvaluation.value,
      rightValue: rightEvaluation.value,
      leftNumbers: leftEvaluation.numbers,
      holds: leftEvaluation.value.equals(rightEvaluation.value)
    })
  }
  return found
}
