import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Answer } from "@stepwise/core"

const fuzzRuns = process.env["CI"] ? 100_000 : 5_000

/** The former quadratic reading of `extractBoxed` (a scan from every box opener), kept as the oracle. */
const oracleExtractBoxed = (text: string): string | undefined => {
  const pattern = /\\(?:boxed|fbox)[ \t\n\r\f\v\u00a0]*\{/g
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

/** Texts made of the pieces boxes are built from, plus noise. */
const boxedText = fc
  .array(fc.oneof(fc.constantFrom("\\boxed{", "\\fbox {", "{", "}", "\\{", "\\}", "\\boxed", " ", "\n\n", "x", "1", "\\"), fc.string({ maxLength: 4 })), {
    maxLength: 40
  })
  .map((parts) => parts.join(""))

/** Adversarial families: long whitespace runs, deep nesting, repeated openers, each mixed with random text. */
const adversarial = fc.oneof(
  fc.string({ maxLength: 200 }),
  boxedText,
  fc.tuple(fc.constantFrom("\\boxed{", "{", "\\boxed", " ", "\\fbox"), fc.integer({ min: 1, max: 400 }), fc.string({ maxLength: 10 })).map(
    ([piece, count, tail]) => piece.repeat(count) + tail
  ),
  fc.tuple(fc.integer({ min: 1, max: 300 }), fc.string({ maxLength: 10 })).map(([depth, inner]) => "\\boxed{".repeat(depth) + inner + "}".repeat(depth))
)

describe("Answer.extractBoxed", { timeout: process.env["CI"] ? 900_000 : 120_000 }, () => {
  it.each([
    ["Therefore, the final answer is: $\\boxed{204}$.", "204"],
    ["\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"],
    ["first \\boxed{1} then \\boxed{2}", "2"],
    ["\\fbox{x+1}", "x+1"],
    ["\\boxed {7}", "7"],
    ["\\boxed{a{b}c}", "a{b}c"],
    ["\\boxed{\\boxed{1}}", "1"],
    ["\\boxed{a \\} b}", "a \\"],
    ["\\boxed{1}} stray", "1"]
  ])("extracts the last boxed answer of %j", (text, answer) => {
    expect(Answer.extractBoxed(text)).toBe(answer)
  })

  it.each(["no answer here", "\\boxed{unclosed", "boxed{7}", "\\boxed{}", "so \\boxed{ }.", "\\boxed{4} then \\boxed{}"])("finds nothing in %j", (text) => {
    expect(Answer.extractBoxed(text)).toBeUndefined()
    expect(Answer.hasBoxed(text)).toBe(false)
  })

  it("reads 10,000 unclosed openers (once 12 s) and finds none; a closed box after them is found", () => {
    const openers = "\\boxed{".repeat(10_000)
    expect(Answer.extractBoxed(openers)).toBeUndefined()
    // The innermost opener closes on an empty box: no answer.
    expect(Answer.extractBoxed(openers + "}")).toBeUndefined()
    expect(Answer.boxes(openers + "}").at(-1)?.content).toBe("")
    expect(Answer.boxes(openers + "}}").map((box) => box.start)).toEqual([9_998 * 7, 9_999 * 7])
  })

  property.prop([boxedText], { numRuns: fuzzRuns / 10 })("agrees with the former reading on box-like texts", (text) => {
    // The former reading, but an empty box is no answer.
    const former = oracleExtractBoxed(text)
    expect(Answer.extractBoxed(text)).toBe(former === undefined || former.trim() === "" ? undefined : former)
  })

  property.prop([adversarial], { numRuns: fuzzRuns })("never throws and returns a string or undefined, on any text", (text) => {
    const found = Answer.extractBoxed(text)
    expect(found === undefined || typeof found === "string").toBe(true)
    const all = Answer.boxes(text)
    const last = all[all.length - 1]
    if (last !== undefined) expect(text[last.end - 1]).toBe("}")
    expect(all.every((box, index) => index === 0 || box.start > all[index - 1]!.start)).toBe(true)
    expect(Answer.finalBoxes(text).length).toBeLessThanOrEqual(all.length)
  })
})

describe("Answer.finalBoxes", () => {
  it.each([
    ["The solutions are \\boxed{1} and \\boxed{2}.", ["1", "2"]],
    ["Try \\boxed{7}.\n\nSo x is \\boxed{1} or \\boxed{2}.", ["1", "2"]],
    ["Try \\boxed{7}.\n \nSo \\boxed{3}", ["3"]],
    ["\\boxed{\\boxed{1} and \\boxed{2}}", ["\\boxed{1} and \\boxed{2}"]],
    ["x = \\boxed{1},\ny = \\boxed{2}", ["1", "2"]],
    ["nothing", []]
  ])("reads the final answer's boxes of %j", (text, expected) => {
    expect(Answer.finalBoxes(text)).toEqual(expected)
  })
})

describe("Answer.normalize", () => {
  it("normalizes light differences", () => {
    expect(Answer.normalize(" 204. ")).toBe("204")
    expect(Answer.normalize("\\text{5 apples}")).toBe("5apples")
    expect(Answer.normalize("$12$")).toBe("12")
  })
})

describe("Answer.partition", () => {
  // A sample relation: integers equal modulo 7, written as decimal or as "k+7m" sums; keys are the written text,
  // so the classes come only from the pairwise relation (the worst case for keys).
  const valueOf = (answer: string): number => answer.split("+").reduce((total, part) => total + Number(part), 0)
  const modulo: Answer.Equivalence = {
    key: (answer) => answer.trim(),
    buckets: (key) => [String(valueOf(key) % 7)],
    equivalent: (left, right) => (valueOf(left) - valueOf(right)) % 7 === 0
  }
  const answer = fc.oneof(
    fc.integer({ min: 0, max: 40 }).map(String),
    fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })).map(([a, b]) => `${a}+${b}`),
    fc.integer({ min: 0, max: 40 }).map((value) => ` ${value}`)
  )

  const asSets = (answers: ReadonlyArray<string>, partition: Answer.Partition) =>
    partition.classes.map((members) => members.map((index) => answers[index]!).sort().join("|")).sort()

  property.prop([fc.array(answer, { maxLength: 60 })], { numRuns: 300 })("is a partition into pairwise-equivalent classes", (answers) => {
    const { classes } = Answer.partition(answers, modulo)
    const all = classes.flat().sort((a, b) => a - b)
    expect(all).toEqual(answers.map((_, index) => index))
    for (const members of classes) {
      for (const index of members) expect(modulo.equivalent!(answers[index]!, answers[members[0]!]!)).toBe(true)
      expect(members).toEqual([...members].sort((a, b) => a - b))
    }
    // Different classes hold answers that are not equivalent.
    for (let first = 0; first < classes.length; first++)
      for (let second = first + 1; second < classes.length; second++)
        expect(modulo.equivalent!(answers[classes[first]![0]!]!, answers[classes[second]![0]!]!)).toBe(false)
    // Classes are in order of their first answer.
    expect(classes.map((members) => members[0])).toEqual([...classes.map((members) => members[0])].sort((a, b) => a! - b!))
  })

  property.prop([fc.array(answer, { maxLength: 60 }), fc.integer()], { numRuns: 300 })(
    "does not depend on the order of the answers (up to class order)",
    (answers, seed) => {
      const shuffled = fc.sample(fc.shuffledSubarray(answers, { minLength: answers.length, maxLength: answers.length }), { seed, numRuns: 1 })[0]!
      expect(asSets(shuffled, Answer.partition(shuffled, modulo))).toEqual(asSets(answers, Answer.partition(answers, modulo)))
    }
  )

  it("compares only different keys that share a bucket, once per earlier class", () => {
    const calls: Array<string> = []
    const counted: Answer.Equivalence = {
      ...modulo,
      equivalent: (left, right) => {
        calls.push(`${left}~${right}`)
        return modulo.equivalent!(left, right)
      }
    }
    // 1,000 answers with 3 distinct keys: 8 and 1 share bucket 1, 2 is alone in bucket 2.
    const answers = Array.from({ length: 1000 }, (_, index) => ["1", "8", "2"][index % 3]!)
    const result = Answer.partition(answers, counted)
    expect(calls).toEqual(["1~8"])
    expect(result.comparisons).toBe(1)
    expect(result.classes.map((members) => members.length)).toEqual([667, 333])
  })

  it("never compares exact keys, and stops merging at maxComparisons", () => {
    const exact: Answer.Equivalence = { key: (answer) => answer, buckets: () => [], equivalent: () => expect.unreachable() }
    expect(Answer.partition(["a", "b", "a"], exact).classes).toEqual([[0, 2], [1]])
    const everything: Answer.Equivalence = { key: (answer) => answer, equivalent: () => false }
    const answers = Array.from({ length: 200 }, (_, index) => String(index))
    const capped = Answer.partition(answers, everything, { maxComparisons: 50 })
    expect(capped).toMatchObject({ comparisons: 50, capped: true })
    expect(capped.classes.length).toBe(200)
    expect(Answer.partition(["0.5", "1/2"], Answer.byNormalization).classes).toEqual([[0], [1]])
  })
})
