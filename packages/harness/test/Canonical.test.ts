import { describe, expect, it } from "vitest"
import { fc, test } from "@fast-check/vitest"
import { Answer } from "@stepwise/core"
import { Adversarial } from "@stepwise/testing"
import { Canonical, Equivalence, Grader } from "../src/index.js"

// Answers as a vote sees them: the same values written many ways, and near misses.
const pool = [
  "\\frac12", "0.5", "1/2", ".5", "\\dfrac{1}{2}", "2/4", "0.5000000001", "0.51",
  "3", "3.0", "\\sqrt{9}", "x=3", "4",
  "(1,2)", "(1, 2)", "(2,1)", "\\{1,2\\}", "2, 1", "1 and 2",
  "x^2+2x+1", "(x+1)^2", "x^2+1",
  "2x+4y-3=0", "y=-\\frac12x+\\frac34", "y = 2x + 3", "2x - y + 3 = 0",
  "\\text{even}", "Even", "odd",
  "x \\geq 5", "[5,\\infty)", "x > 5",
  "\\pm 2", "2, -2", "1e-9", "2e-9"
]
const grader = Grader.equivalence()
const related = pool.map((left) => pool.map((right) => Equivalence.equivalent(left, right)))
const keys = pool.map((answer) => grader.key(answer))

describe("Canonical keys", () => {
  it("gives equivalent spellings one key", () => {
    expect(new Set(["\\frac12", "0.5", "1/2", ".5", "\\dfrac{1}{2}", "2/4"].map((answer) => Canonical.key(answer))).size).toBe(1)
    expect(Canonical.key("(x+1)^2")).toBe(Canonical.key("x^2+2x+1"))
    expect(Canonical.key("2x+4y-3=0")).toBe(Canonical.key("y=-\\frac12x+\\frac34"))
    expect(Canonical.key("\\{1,2\\}")).toBe(Canonical.key("2, 1"))
    expect(Canonical.key("(1,2)")).not.toBe(Canonical.key("(2,1)"))
    expect(Canonical.key("x \\geq 5")).toBe(Canonical.key("[5,\\infty)"))
    expect(Canonical.key("Even")).toBe("t:even")
  })

  it("marks words and unreadable answers exact, numbers by two grid cells, expressions and relations as sym", () => {
    expect(Canonical.buckets("t:even")).toEqual([])
    expect(Canonical.buckets(Canonical.key("1,".repeat(5_000)))).toEqual([])
    expect(Canonical.buckets(Canonical.key("0.5"))).toHaveLength(2)
    expect(Canonical.buckets(Canonical.key("x^2+1"))).toEqual(["sym"])
    expect(Canonical.buckets(Canonical.key("y = 2x + 3"))).toEqual(["sym"])
    expect(Canonical.buckets(Canonical.key("x = 3"))).toEqual(Canonical.buckets(Canonical.key("3")))
    expect(Canonical.buckets(Canonical.key("(1,2)"))).toEqual(Canonical.buckets(Canonical.key("(7,8)")))
    expect(Canonical.digits(1e-6)).toBe(8)
  })

  it("puts numbers within the tolerance in a shared bucket, across grid cells", () => {
    for (const [a, b] of [[0.5, 0.5000000001], [1e-9, 1.0000001e-9], [1234.5678, 1234.5678 * (1 + 5e-7)], [-3, -3.0000009], [0.9999999, 1.0000001]] as const) {
      expect(Equivalence.equivalent(String(a), String(b))).toBe(true)
      const shared = Canonical.buckets(Canonical.key(String(a))).filter((bucket) => Canonical.buckets(Canonical.key(String(b))).includes(bucket))
      expect(shared.length).toBeGreaterThan(0)
    }
  })

  it("is sound on the pool: equal keys only for equivalent answers", () => {
    const unsound = pool.flatMap((left, i) => pool.flatMap((right, j) => (keys[i] === keys[j] && !related[i]![j] ? [`${left} ~ ${right}`] : [])))
    expect(unsound).toEqual([])
  })
})

describe("Answer.partition with the grader's equivalence", () => {
  it("samples a pool on which the grader's relation is an equivalence (symmetric and transitive)", () => {
    const broken: Array<string> = []
    related.forEach((row, i) =>
      row.forEach((value, j) => {
        if (value !== related[j]![i]) broken.push(`asymmetric ${pool[i]} ~ ${pool[j]}`)
        if (value) row.forEach((_, k) => related[j]![k] && !related[i]![k] && broken.push(`${pool[i]} ~ ${pool[j]} ~ ${pool[k]}`))
      })
    )
    expect(broken).toEqual([])
  })

  it("chains a class through an answer where the relation is not transitive (documented)", () => {
    // x = 3 is 3 and 3 is y = 3, but x = 3 and y = 3 differ: with 3 present, the three are one class.
    expect(Equivalence.equivalent("x=3", "y=3")).toBe(false)
    expect(Answer.partition(["x=3", "y=3"], grader).classes).toEqual([[0], [1]])
    expect(Answer.partition(["x=3", "y=3", "3"], grader).classes).toEqual([[0, 1, 2]])
    expect(Equivalence.equivalent("2x+3", "2x - y + 3 = 0")).toBe(false)
    // The two relations share a key, whose representative (the smaller string) is not the assignment: no chain.
    expect(Answer.partition(["2x+3", "2x - y + 3 = 0", "y = 2x + 3"], grader).classes).toEqual([[0], [1, 2]])
  })

  const sample = fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { maxLength: 40 })
  test.prop([sample], { numRuns: 100 })("is a partition whose classes are pairwise equivalent, apart from each other", (indices) => {
    const answers = indices.map((index) => pool[index]!)
    const { classes } = Answer.partition(answers, grader)
    expect(classes.flat().sort((a, b) => a - b)).toEqual(answers.map((_, index) => index))
    for (const members of classes)
      for (const member of members) expect(related[indices[member]!]![indices[members[0]!]!] || related[indices[members[0]!]!]![indices[member]!]).toBe(true)
    for (let first = 0; first < classes.length; first++)
      for (let second = first + 1; second < classes.length; second++) {
        const a = indices[classes[first]![0]!]!
        const b = indices[classes[second]![0]!]!
        expect(related[a]![b]).toBe(false)
      }
  })

  test.prop([sample, fc.integer()], { numRuns: 100 })("does not depend on the order of the answers", (indices, seed) => {
    const answers = indices.map((index) => pool[index]!)
    const shuffled = fc.sample(fc.shuffledSubarray(answers, { minLength: answers.length, maxLength: answers.length }), { seed, numRuns: 1 })[0]!
    const asSets = (list: ReadonlyArray<string>) =>
      Answer.partition(list, grader).classes.map((members) => members.map((index) => list[index]).sort().join("|")).sort()
    expect(asSets(shuffled)).toEqual(asSets(answers))
  })

  it("groups 1,000 answers with few comparisons (keys first)", () => {
    const answers = Array.from({ length: 1_000 }, (_, index) => pool[(index * 7) % pool.length]!)
    const result = Answer.partition(answers, grader)
    // Comparisons are counted, never timed: they stay bounded by the distinct keys, whatever the answer count.
    expect(result.comparisons).toBeLessThan(120)
    expect(result.capped).toBe(false)
    const classOf = (answer: string) => result.classes.findIndex((members) => members.some((index) => answers[index] === answer))
    expect(classOf("\\frac12")).toBe(classOf("0.5"))
    expect(classOf("x=3")).toBe(classOf("3"))
    expect(classOf("y = 2x + 3")).toBe(classOf("2x - y + 3 = 0"))
    expect(classOf("(1,2)")).not.toBe(classOf("(2,1)"))
  })
})

describe("Canonical on adversarial input", { timeout: Adversarial.timeoutMillis() }, () => {
  const pieces = ["(", ")", "[", "]", ",", "\\{", "\\}", "\\cup", "=", "\\geq", "<", "\\pm", "x", "y", "1", "0.5", "\\frac{1}{2}", "\\text{", " and "]
  test.prop([Adversarial.text(pieces)], { numRuns: Adversarial.runs() })("never throws: a key is a string, its buckets strings (symbolic check off)", (answer) => {
    const key = Canonical.key(answer, { symbolic: false })
    expect(typeof key).toBe("string")
    for (const bucket of Canonical.buckets(key)) expect(typeof bucket).toBe("string")
  })

  it("keys nested and over-long answers exactly, without reading their structure", () => {
    expect(Canonical.key("(1,".repeat(3_333) + "2" + ")".repeat(3_333))).toMatch(/^raw:/)
    expect(Canonical.key("(1,".repeat(100) + "2" + ")".repeat(100))).toMatch(/^raw:/)
    expect(Canonical.buckets(Canonical.key("(1,".repeat(100) + "2" + ")".repeat(100)))).toEqual([])
  })
})
