/**
 * LaTeX and text normalization of final answers, so that formatting differences do not decide correctness.
 * Used by `Equivalence`; call `normalize` directly to build vote keys or to display answers.
 */

/** Unit words dropped after a number ("5 cm", "18 dollars", "3 square feet"). */
export const units: ReadonlyArray<string> = [
  "square units", "square feet", "square inches", "square meters", "square centimeters", "square miles",
  "sq units", "sq ft", "sq in", "cubic units", "cubic feet", "cubic inches", "cubic meters", "cubic centimeters",
  "units", "unit", "degrees", "degree", "radians", "percentage points", "percentage", "percent", "per cent", "pct",
  "dollars", "dollar", "cents", "cent",
  "meters", "meter", "centimeters", "centimeter", "millimeters", "kilometers", "kilometer", "km", "cm", "mm", "m",
  "inches", "inch", "feet", "foot", "ft", "yards", "yard", "miles", "mile", "mph", "hours", "hour", "minutes",
  "minute", "seconds", "second", "days", "day", "weeks", "years", "year", "grams", "gram", "kg", "g", "pounds",
  "pound", "lbs", "ounces", "liters", "gallons", "people", "students", "apples", "eggs", "marbles", "cookies",
  "points", "ways", "games", "pages", "books", "cups", "boxes", "times", "items"
]

const unitAlternation = (list: ReadonlyArray<string>) =>
  [...list]
    .sort((a, b) => b.length - a.length)
    .map((unit) => unit.replace(/ /g, String.raw`\s+`))
    .join("|")

// A one-letter unit ("m", "g") must be set apart by a space ("5 m"), so "2m" stays an algebraic answer.
const unitPattern = new RegExp(
  String.raw`^(.*?[\d}.)\]])(?:\s*(?:${unitAlternation(units.filter((unit) => unit.length > 1))})|\s+(?:${unitAlternation(
    units.filter((unit) => unit.length === 1)
  )}))(?:\s*\^\s*\{?[23]\}?|²|³)?$`,
  "i"
)

const textCommandNames = ["textnormal", "boldsymbol", "textbf", "textit", "textrm", "textup", "mathrm", "mathbf", "mathit", "text", "mbox"]

/**
 * C(n, k) written out, exactly (in BigInt: `\binom{58}{29}` is 30067266499541040, past a float's integers); left
 * unexpanded (`undefined`) for n over 10,000, never "Infinity".
 */
const binomial = (n: number, k: number): string | undefined => {
  if (k > n) return "0"
  if (n > 10_000) return undefined
  const smaller = Math.min(k, n - k)
  let value = 1n
  for (let index = 1; index <= smaller; index++) value = (value * BigInt(n - smaller + index)) / BigInt(index)
  return value.toString()
}

/** Rewrites `\frac12`, `\frac1{2}`, `\frac{1}2`, `\sqrt2` into their braced forms. */
const braceArguments = (text: string): string =>
  text
    .replace(/\\frac\s*(\d)\s*(\d)/g, "\\frac{$1}{$2}")
    .replace(/\\frac\s*(\d)\s*\{/g, "\\frac{$1}{")
    .replace(/\\frac\s*(\{[^{}]*\})\s*(\d)/g, "\\frac$1{$2}")
    .replace(/\\frac\s*([a-zA-Z])\s*([a-zA-Z\d])/g, "\\frac{$1}{$2}")
    .replace(/\\sqrt\s*(\d+|[a-zA-Z])/g, "\\sqrt{$1}")

/**
 * Drops `\text{…}`-like wrappers (`\text`, `\textbf`, `\mathrm`, `\mbox`, …), keeping their content, at any
 * nesting. One pass with a stack of open braces: linear in the text.
 */
export const stripTextCommands = (text: string): string => {
  let output = ""
  let copyFrom = 0
  // Per open brace: true when it opened a dropped wrapper (its closing brace is dropped too).
  const open: Array<boolean> = []
  for (let index = 0; index < text.length; index++) {
    const character = text[index]!
    if (character === "\\") {
      const name = textCommandNames.find((candidate) => text.startsWith(candidate, index + 1) && !/[a-zA-Z]/.test(text[index + 1 + candidate.length] ?? ""))
      let brace = name === undefined ? -1 : index + 1 + name.length
      while (brace >= 0 && text[brace] === " ") brace++
      if (brace >= 0 && text[brace] === "{") {
        output += text.slice(copyFrom, index)
        open.push(true)
        index = brace
        copyFrom = brace + 1
      } else index++ // any other command, and an escaped brace, is copied as it is
      continue
    }
    if (character === "{") open.push(false)
    else if (character === "}" && open.pop() === true) {
      output += text.slice(copyFrom, index)
      copyFrom = index + 1
    }
  }
  return output + text.slice(copyFrom)
}

/** Drops the periods a text ends with (a loop, not `/\.+$/`, which is quadratic on a run of periods). */
const trimTrailingPeriods = (text: string): string => {
  let end = text.length
  while (end > 0 && text[end - 1] === ".") end--
  return text.slice(0, end)
}

/** Relation symbols in their canonical forms: `≤`, `≥`, `≠` (and `<`, `>`). */
const relations: ReadonlyArray<readonly [RegExp, string]> = [
  [/\\(?:leqslant|leq|le)(?![a-zA-Z])|<=|⩽/g, "≤"],
  [/\\(?:geqslant|geq|ge)(?![a-zA-Z])|>=|⩾/g, "≥"],
  [/\\(?:neq|ne)(?![a-zA-Z])|!=|\\not\s*=/g, "≠"],
  [/\\lt(?![a-zA-Z])/g, "<"],
  [/\\gt(?![a-zA-Z])/g, ">"]
]

/** Options of `normalize`. */
export interface Options {
  /** `drop` (default) removes a leading `x =` (one variable, one equals sign); `keep` leaves it for `Equivalence`. */
  readonly assignment?: "drop" | "keep"
}

/** At most this many unit words are dropped from the end of an answer ("5 square units" is one). */
const maxUnits = 3

/**
 * Normalizes an answer: strips `$`, `\(…\)`, `\left`/`\right`, `\displaystyle`; `\dfrac`/`\tfrac`/`\cfrac` →
 * `\frac`; `\text{}`-like wrappers; units after a number (`pct` and `percentage` too); degrees (`^\circ`, `°`);
 * percent; dollar signs; thousands separators; relation symbols to `≤`, `≥`, `≠` (`\geq`, `>=`, `\neq`, `!=`, …);
 * lists written with "and", "or" or ";" to commas; `x \in S` to `S`; a leading `x =` (unless `assignment: "keep"`);
 * a trailing period; `.5` → `0.5`, `2.50` → `2.5`; multiple choice `(C)` → `C`; and spacing. The result is a
 * canonical string; equal strings are equal answers. Linear in the answer: no pattern backtracks over a run twice.
 *
 * @example
 * Normalization.normalize("\\$1,000.00") // "1000"
 */
export const normalize = (answer: string, options: Options = {}): string => {
  // Protect LaTeX row breaks (`\\\\`) from the single-backslash rules below.
  // The two placeholders used below (row breaks, command spacing) are dropped from the input first.
  let text = answer.replace(/[\u0000\u0001]/g, "").trim().replace(/\\\\/g, "\u0001")
  text = text.replace(/^\\boxed\s*\{([\s\S]*)\}$/, "$1")
  text = text.replace(/\\\$/g, "")
  text = text.replace(/\\\(|\\\)|\\\[|\\\]/g, "").replace(/\$/g, "")
  text = text.replace(/\\displaystyle|\\textstyle/g, "")
  text = text.replace(/\\left\s*\./g, "").replace(/\\right\s*\./g, "")
  text = text.replace(/\\left\s*/g, "").replace(/\\right\s*/g, "")
  text = text.replace(/\\big[lr]?|\\Big[lr]?/g, "")
  text = text.replace(/\\[dtc]frac/g, "\\frac").replace(/\\[dt]binom/g, "\\binom")
  text = text.replace(/[−–]/g, "-").replace(/\\colon/g, ":")
  text = text.replace(/\\(?:,|!|;|:|quad|qquad)|\\ |~/g, " ")
  text = text.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree/g, "")
  text = text.replace(/\\%|%/g, "")
  for (const [pattern, symbol] of relations) text = text.replace(pattern, symbol)
  text = text.replace(/≧/g, "≥").replace(/≦/g, "≤")
  text = stripTextCommands(text)
  text = text.replace(/\{,\}/g, ",")
  // Lists written with words or semicolons: "1 and 2", "1, 2, and 3", "x = 1 or x = 2", "1; 2".
  text = text.replace(/,?(?<!\s)\s+(?:and|or)\s+/gi, ",").replace(/;/g, ",")
  text = trimTrailingPeriods(text.trim()).trim()
  // Units (and a "degrees" word) after a number ("5 square units", "3 inches^2").
  for (let count = 0, match = unitPattern.exec(text); count < maxUnits && match !== null && match[1] !== undefined; count++, match = unitPattern.exec(text))
    text = match[1].trim()
  // Membership: "x \in [2, 5]" is the set itself.
  const membership = /^\s*(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\s*(?:\\in|∈)\s*(.+)$/.exec(text)
  if (membership?.[1] !== undefined) text = membership[1]
  // A leading "x =" (one short variable, one equals sign).
  const assignment = options.assignment === "keep" ? null : /^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(.+)$/.exec(text)
  if (assignment?.[1] !== undefined && !assignment[1].includes("=")) text = assignment[1]
  text = braceArguments(text)
  text = text.replace(/\\binom\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}/g, (whole: string, n: string, k: string) => {
    const value = binomial(Number(n), Number(k))
    return value ?? whole
  })
  // A one-character subscript with or without braces (`52_8`, `52_{8}`, `x_1`): one spelling, LaTeX's own reading.
  text = text.replace(/_([A-Za-z0-9])/g, "_{$1}")
  // Thousands separators: only when the whole answer is one number written with them.
  const compact = text.replace(/\s+/g, "")
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(compact)) text = compact.replace(/,/g, "")
  if (/^[-+]?\d{1,3}(\s\d{3})+(\.\d+)?$/.test(text)) text = text.replace(/\s/g, "")
  // Spacing: keep one space only where it separates a command from a letter (`\cot x`).
  text = text.replace(/\s+/g, " ").replace(/(\\[a-zA-Z]+) (?=[a-zA-Z])/g, "$1\u0000").replace(/ /g, "").replace(/\u0000/g, " ")
  // Numbers: leading zero, trailing zeros, a plus sign.
  text = text.replace(/(^|[^\d.])\.(\d)/g, "$10.$2")
  // A number starts after a non-digit (the look-behind keeps a failed match from restarting inside a digit run).
  text = text.replace(/(?<!\d)(\d+\.\d*?[1-9])0+(?!\d)/g, "$1").replace(/(?<!\d)(\d+)\.0+(?!\d)/g, "$1")
  text = text.replace(/^\+(?=\d)/, "")
  // Multiple choice.
  const choice = /^\(([A-Ea-e])\)$/.exec(text)
  if (choice?.[1] !== undefined) text = choice[1].toUpperCase()
  text = text.replace(/^\{([^{}]*)\}$/, "$1")
  return text.replace(/\u0001/g, "\\\\")
}
