/**
 * Finds the content of the last `\boxed{…}` (or `\fbox{…}`) in a text, honouring nested braces.
 * Use to read a final answer; returns `undefined` when there is none or its braces never close.
 *
 * @example
 * Answer.extractBoxed("so \\boxed{\\frac{1}{2}}.") // "\\frac{1}{2}"
 */
export const extractBoxed = (text: string): string | undefined => {
  const pattern = /\\(?:boxed|fbox)\s*\{/g
  let found: string | undefined
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    let depth = 1
    let index = match.index + match[0].length
    const start = index
    while (index < text.length && depth > 0) {
      const character = text[index]
      if (character === "{") depth++
      else if (character === "}") depth--
      index++
    }
    if (depth === 0) found = text.slice(start, index - 1)
  }
  return found
}

/** True when the text holds a closed `\boxed{…}`. */
export const hasBoxed = (text: string): boolean => extractBoxed(text) !== undefined

/**
 * A light default normalizer for comparing answers: trims, drops spaces, `$`, a trailing period, and
 * `\text{}` wrappers. The harness's grader is the thorough one; strategies take any normalizer.
 */
export const normalize = (answer: string): string =>
  answer
    .replace(/\\text\{([^}]*)\}/g, "$1")
    .replace(/[\s$]/g, "")
    .replace(/\.$/, "")
    .replace(/^\{(.*)\}$/, "$1")
