/**
 * Parses an LLM judge's answer (a yes/no or a 0–10 grade) into a typed verdict; never throws, for any input.
 * Use on the text of a judge completion.
 *
 * Rules: for `yes-no`, the first whole word "yes" or "no" (any case; inside `\boxed{}` or after "Answer:" too);
 * for `scale`, the first integer 0..10 standing alone (not part of a longer number or a decimal), optionally
 * written "7/10". Anything else is `Unparsable`.
 *
 * @example
 * VerdictParser.parse("Score: 7/10", "scale") // { _tag: "Grade", value: 7 }
 */
export type Mode = "yes-no" | "scale"

/** A judge's verdict. */
export type Verdict =
  | { readonly _tag: "Yes" }
  | { readonly _tag: "No" }
  | { readonly _tag: "Grade"; readonly value: number }
  | { readonly _tag: "Unparsable"; readonly reason: "empty" | "no-verdict" }

const yesNoPattern = /(?:^|[^a-z0-9])(yes|no)(?![a-z0-9])/i
const gradePattern = /(?:^|[^0-9.\-])(10|[0-9])(?![0-9]|\.[0-9])/

/** Parses a judge's text in a mode. */
export const parse = (text: string, mode: Mode): Verdict => {
  if (text.trim().length === 0) return { _tag: "Unparsable", reason: "empty" }
  if (mode === "yes-no") {
    const word = yesNoPattern.exec(text)?.[1]?.toLowerCase()
    if (word === "yes") return { _tag: "Yes" }
    if (word === "no") return { _tag: "No" }
    return { _tag: "Unparsable", reason: "no-verdict" }
  }
  const digits = gradePattern.exec(text)?.[1]
  if (digits === undefined) return { _tag: "Unparsable", reason: "no-verdict" }
  return { _tag: "Grade", value: Number(digits) }
}

/** A verdict as a score in [0, 1] (yes 1, no 0, a grade over 10), or `undefined` when unparsable. */
export const scoreOf = (verdict: Verdict): number | undefined => {
  switch (verdict._tag) {
    case "Yes":
      return 1
    case "No":
      return 0
    case "Grade":
      return verdict.value / 10
    case "Unparsable":
      return undefined
  }
}
