import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Dataset } from "../src/index.js"

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
const load = <A>(effect: Effect.Effect<A, Dataset.DatasetError>) => Effect.runPromise(effect)
const failure = (effect: Effect.Effect<unknown, Dataset.DatasetError>) => Effect.runPromise(Effect.flip(effect))

describe("Dataset", () => {
  it("loads MATH-500 with difficulty, subject and the step-by-step system prompt", async () => {
    const dataset = await load(Dataset.math500(fixture("math500.jsonl")))
    expect(dataset.problems.map((problem) => problem.id)).toEqual(["test/prealgebra/1.json", "test/algebra/2.json"])
    const second = dataset.problems[1]!
    expect(second.reference).toBe("\\frac{2}{3}")
    expect(second.metadata).toMatchObject({ difficulty: 3, subject: "Algebra" })
    expect(second.messages[0]).toMatchObject({ role: "system" })
    expect(second.messages[0]?.content).toContain("\\boxed")
    expect(second.messages[1]).toMatchObject({ role: "user", content: "Simplify $\\frac{4}{6}$." })
  })

  it("honours limit and a custom system prompt", async () => {
    const dataset = await load(Dataset.math500(fixture("math500.jsonl"), { limit: 1, system: "Be brief." }))
    expect(dataset.problems).toHaveLength(1)
    expect(dataset.problems[0]?.messages[0]?.content).toBe("Be brief.")
  })

  it("names file, line and field of a bad MATH-500 line", async () => {
    const error = await failure(Dataset.math500(fixture("math500-bad-level.jsonl")))
    expect(error).toMatchObject({ _tag: "DatasetError", line: 2, field: "level" })
    expect(error.file).toContain("math500-bad-level.jsonl")
    expect(error.message).toContain("math500-bad-level.jsonl:2")
    const missing = await failure(Dataset.math500(fixture("math500-missing-answer.jsonl")))
    expect(missing).toMatchObject({ line: 1, field: "answer" })
    const broken = await failure(Dataset.math500(fixture("math500-not-json.jsonl")))
    expect(broken).toMatchObject({ line: 2, field: "(line)" })
    expect(broken.detail).toContain("not JSON")
  })

  it("fails on a missing file with line 0", async () => {
    const error = await failure(Dataset.aime(fixture("nowhere.jsonl")))
    expect(error).toMatchObject({ line: 0, field: "(file)" })
  })

  it("loads GSM8K, taking the answer after #### without thousands separators", async () => {
    const dataset = await load(Dataset.gsm8k(fixture("gsm8k.jsonl")))
    expect(dataset.problems.map((problem) => problem.reference)).toEqual(["7", "1500"])
    expect(dataset.problems.map((problem) => problem.id)).toEqual(["gsm8k-1", "gsm8k-2"])
    const error = await failure(Dataset.gsm8k(fixture("gsm8k-no-marker.jsonl")))
    expect(error).toMatchObject({ line: 2, field: "answer" })
    expect(Dataset.gsm8kAnswer("so 12 * 3 = 36\n#### 36 ")).toBe("36")
  })

  it("loads AIME with numeric or string answers and ids", async () => {
    const dataset = await load(Dataset.aime(fixture("aime.jsonl")))
    expect(dataset.problems.map((problem) => [problem.id, problem.reference])).toEqual([
      ["aime-60", "204"],
      ["aime-2", "33"]
    ])
    const error = await failure(Dataset.aime(fixture("aime-empty-problem.jsonl")))
    expect(error).toMatchObject({ line: 1, field: "problem" })
  })

  it("loads Game of 24 puzzles (quoted cells too) and grades expressions", async () => {
    const dataset = await load(Dataset.game24(fixture("game24.csv")))
    expect(dataset.problems.map((problem) => problem.metadata?.["numbers"])).toEqual([
      [1, 1, 4, 6],
      [1, 1, 11, 11]
    ])
    const first = dataset.problems[0]!
    expect(dataset.isCorrect?.(first, "(1 + 1 + 4) \\times 4")).toBe(false) // uses 4 twice, not 6
    expect(dataset.isCorrect?.(first, "6 \\times 4 \\times 1 \\times 1")).toBe(true)
    expect(dataset.isCorrect?.(first, "6*4/1/1 = 24")).toBe(true)
    expect(dataset.isCorrect?.(first, "(6-1)*4+1")).toBe(false) // 21
    expect(Dataset.isGame24Solution([1, 1, 11, 11], "(11*11-1)/(1+4)")).toBe(false)
    expect(Dataset.isGame24Solution([4, 7, 8, 8], "(7-8/8)*4")).toBe(true)
    expect(Dataset.isGame24Solution([4, 7, 8, 8], "\\frac{8}{8}")).toBe(false)
    expect(Dataset.isGame24Solution([4, 7, 8, 8], "(7-8/8)*4)")).toBe(false)
  })

  it("names the line and field of a bad Game of 24 row, and a missing column", async () => {
    const error = await failure(Dataset.game24(fixture("game24-bad.csv")))
    expect(error).toMatchObject({ line: 3, field: "Puzzles" })
    const missing = await failure(Dataset.game24(fixture("game24-no-column.csv")))
    expect(missing).toMatchObject({ line: 1, field: "Puzzles" })
  })
})
