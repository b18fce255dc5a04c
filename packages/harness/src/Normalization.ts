/**
 * LaTeX and text normalization of final answers, so that formatting differences do not decide correctness.
 * Used by `Equivalence`; call `normalize` directly to build vote keys or to display answers.
 */

/** Unit words dropped after a number ("5 cm", "18 dollars", "3 square feet"). */
export const units: ReadonlyArray<string> = [
  "square units", "square feet", "square inches", "square meters", "square centimeters", "square miles",
  "sq units", "sq ft", "sq in", "cubic units", "cubic feet", "cubic inches", "cubic meters", "cubic centimeters",
  "units", "unit", "degrees", "degree", "radians", "percent", "dollars", "dollar", "cents", "cent",
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

const textCommands = /\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mbox|textup|boldsymbol)\s*\{([^{}]*)\}/g

const binomial = (n: number, k: number): number => {
  let value = 1
  for (let index = 1; index <= k; index++) value = (value * (n - k + index)) / index
  return Math.round(value)
}

/** Rewrites `\frac12`, `\frac1{2}`, `\frac{1}2`, `\sqrt2` into their braced forms. */
const braceArguments = (text: string): string =>
  text
    .replace(/\\frac\s*(\d)\s*(\d)/g, "\\frac{$1}{$2}")
    .replace(/\\frac\s*(\d)\s*\{/g, "\\frac{$1}{")
    .replace(/\\frac\s*(\{[^{}]*\})\s*(\d)/g, "\\frac$1{$2}")
    .replace(/\\frac\s*([a-zA-Z])\s*([a-zA-Z\d])/g, "\\frac{$1}{$2}")
    .replace(/\\sqrt\s*(\d+|[a-zA-Z])/g, "\\sqrt{$1}")

/** Drops `\text{…}`-like wrappers, keeping their content (innermost first). */
export const stripTextCommands = (text: string): string => {
  let previous = ""
  let current = text
  while (current !== previous) {
    previous = current
    current = current.replace(textCommands, "$1")
  }
  return current
}

/**
 * Normalizes an answer: strips `$`, `\(…\)`, `\left`/`\right`, `\displaystyle`; `\dfrac`/`\tfrac` → `\frac`;
 * `\text{}`-like wrappers; units after a number; degrees (`^\circ`, `°`); percent; dollar signs; thousands
 * separators; a leading `x =`; a trailing period; `.5` → `0.5`, `2.50` → `2.5`; multiple choice `(C)` → `C`;
 * and spacing. The result is a canonical string; equal strings are equal answers.
 *
 * @example
 * Normalization.normalize("\\$1,000.00") // "1000"
 */
export const normalize = (answer: string): string => {
  // Protect LaTeX row breaks (`\\\\`) from the single-backslash rules below.
  let text = answer.trim().replace(/\\\\/g, "\u0001")
  text = text.replace(/^\\boxed\s*\{([\s\S]*)\}$/, "$1")
  text = text.replace(/\\\$/g, "")
  text = text.replace(/\\\(|\\\)|\\\[|\\\]/g, "").replace(/\$/g, "")
  text = text.replace(/\\displaystyle|\\textstyle/g, "")
  text = text.replace(/\\left\s*\./g, "").replace(/\\right\s*\./g, "")
  text = text.replace(/\\left\s*/g, "").replace(/\\right\s*/g, "")
  text = text.replace(/\\big[lr]?|\\Big[lr]?/g, "")
  text = text.replace(/\\[dt]frac/g, "\\frac").replace(/\\[dt]binom/g, "\\binom")
  text = text.replace(/\\(?:,|!|;|:|quad|qquad)|\\ |~/g, " ")
  text = text.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|°|\\degree/g, "")
  text = text.replace(/\\%|%/g, "")
  text = stripTextCommands(text)
  text = text.replace(/\{,\}/g, ",")
  text = text.trim().replace(/\.+$/, "").trim()
  // Units (and a "degrees" word) after a number, repeatedly ("5 square units").
  for (let match = unitPattern.exec(text); match !== null && match[1] !== undefined; match = unitPattern.exec(text))
    text = match[1].trim()
  // A leading "x =" (one short variable, one equals sign).
  const assignment = /^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(.+)$/.exec(text)
  if (assignment?.[1] !== undefined && !assignment[1].includes("=")) text = assignment[1]
  text = braceArguments(text)
  text = text.replace(/\\binom\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}/g, (_, n: string, k: string) =>
    String(binomial(Number(n), Number(k)))
  )
  // Thousands separators: only when the whole answer is one number written with them.
  const compact = text.replace(/\s+/g, "")
  if (/^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(compact)) text = compact.replace(/,/g, "")
  if (/^[-+]?\d{1,3}(\s\d{3})+(\.\d+)?$/.test(text)) text = text.replace(/\s/g, "")
  // Spacing: keep one space only where it separates a command from a letter (`\cot x`).
  text = text.replace(/\s+/g, " ").replace(/(\\[a-zA-Z]+) (?=[a-zA-Z])/g, "$1\u0000").replace(/ /g, "").replace(/\u0000/g, " ")
  // Numbers: leading zero, trailing zeros, a plus sign.
  text = text.replace(/(^|[^\d.])\.(\d)/g, "$10.$2")
  text = text.replace(/(\d+\.\d*?[1-9])0+(?!\d)/g, "$1").replace(/(\d+)\.0+(?!\d)/g, "$1")
  text = text.replace(/^\+(?=\d)/, "")
  // Multiple choice.
  const choice = /^\(([A-Ea-e])\)$/.exec(text)
  if (choice?.[1] !== undefined) text = choice[1].toUpperCase()
  text = text.replace(/^\{([^{}]*)\}$/, "$1")
  return text.replace(/\u0001/g, "\\\\")
}
