import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Problem } from "@stepwise/core"
import { Dataset } from "../src/index.js"

const folder = mkdtempSync(join(tmpdir(), "stepwise-dataset-"))
let files = 0
/** Writes a file in a fresh temporary folder and returns its path. */
const written = (name: string, text: string): string => {
  const file = join(folder, `${files++}-${name}`)
  writeFileSync(file, text)
  return file
}
const failure = (effect: Effect.Effect<unknown, Dataset.DatasetError>) => Effect.runPromise(Effect.flip(effect))
const outcome = (effect: Effect.Effect<Dataset.Dataset, Dataset.DatasetError>) => Effect.runPromise(Effect.result(effect))

const math500Row = (id: string, index: number) =>
  JSON.stringify({ problem: `What is ${index}+1?`, solution: "", answer: `${index + 1}`, subject: "Prealgebra", level: 1, unique_id: id })

describe("duplicate problems", () => {
  it("MATH-500: a repeated unique_id fails naming the file, both lines and the id", async () => {
    const file = written("math500.jsonl", [math500Row("a", 0), "", math500Row("b", 1), math500Row("a", 2)].join("\n"))
    const error = await failure(Dataset.math500(file))
    expect(error).toMatchObject({ _tag: "DatasetError", file, line: 4, firstLine: 1, field: "unique_id", id: "a" })
    expect(error.message).toBe(`${file}:4: field "unique_id" repeats the problem id "a" of line 1: every problem needs its own id`)
  })

  it("AIME: the same id twice, or an id equal to an id-less row's line number, fails", async () => {
    const row = (id: number | undefined, index: number) => JSON.stringify({ ...(id === undefined ? {} : { id }), problem: `p${index}`, answer: index })
    const twice = await failure(Dataset.aime(written("aime.jsonl", [row(7, 0), row(7, 1)].join("\n"))))
    expect(twice).toMatchObject({ line: 2, firstLine: 1, field: "id", id: "aime-7" })
    const clash = await failure(Dataset.aime(written("aime.jsonl", [row(3, 0), row(undefined, 1), row(undefined, 2)].join("\n"))))
    expect(clash).toMatchObject({ line: 3, firstLine: 1, id: "aime-3" })
  })

  it("GSM8K (ids from line numbers): the same question twice fails naming both lines", async () => {
    const row = (question: string) => JSON.stringify({ question, answer: "so #### 4" })
    const error = await failure(Dataset.gsm8k(written("gsm8k.jsonl", [row("What is 2+2?"), row("What is 3+1?"), row("What is 2+2?")].join("\n"))))
    expect(error).toMatchObject({ line: 3, firstLine: 1, field: "question", id: "gsm8k-1" })
    expect(error.message).toContain("repeats the question of line 1")
  })

  it("Game of 24: a repeated Rank fails naming both lines", async () => {
    const file = written("game24.csv", "Rank,Puzzles\n1,1 1 4 6\n2,1 1 11 11\n1,2 2 3 4\n")
    const error = await failure(Dataset.game24(file))
    expect(error).toMatchObject({ line: 4, firstLine: 2, field: "Rank", id: "game24-1" })
  })

  it("a limit only checks the rows it keeps", async () => {
    const file = written("math500.jsonl", [math500Row("a", 0), math500Row("b", 1), math500Row("a", 2)].join("\n"))
    const dataset = await Effect.runPromise(Dataset.math500(file, { limit: 2 }))
    expect(dataset.problems.map((problem) => problem.id)).toEqual(["a", "b"])
  })

  property.prop([fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f"), { minLength: 1, maxLength: 10 })])(
    "MATH-500: loads exactly when the ids are distinct, else names the first repeat and its first line",
    async (ids) => {
      const result = await outcome(Dataset.math500(written("math500.jsonl", ids.map(math500Row).join("\n"))))
      const repeat = ids.findIndex((id, index) => ids.indexOf(id) !== index)
      if (repeat === -1) {
        expect(result._tag).toBe("Success")
        if (result._tag === "Success") expect(result.success.problems.map((problem) => problem.id)).toEqual(ids)
      } else {
        expect(result._tag).toBe("Failure")
        if (result._tag === "Failure")
          expect(result.failure).toMatchObject({ line: repeat + 1, firstLine: ids.indexOf(ids[repeat]!) + 1, id: ids[repeat] })
      }
    }
  )

  property.prop([fc.integer({ min: 1, max: 300 }), fc.nat({ max: 1000 })], { numRuns: 30 })(
    "simulator sets of ordinary sizes load with distinct ids",
    async (count, seed) => {
      const dataset = await Effect.runPromise(Dataset.simulator({ count, seed }))
      expect(new Set(dataset.problems.map((problem) => problem.id)).size).toBe(dataset.problems.length)
    }
  )

  it("requireUnique names a repeated id of a generated set by its positions", async () => {
    const problem = (id: string) => Problem.make({ id, question: `question ${id}` })
    const error = await failure(
      Dataset.requireUnique("(simulator)", "id", ["x", "y", "x"].map((id, index) => ({ line: index + 1, problem: problem(id) })))
    )
    expect(error).toMatchObject({ file: "(simulator)", line: 3, firstLine: 1, id: "x" })
  })
})

/** A secret that must never be printed, whatever file it sits in. */
const secret = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), minLength: 16, maxLength: 40 })

/** Files that are not a valid data set and contain the secret somewhere: a key file, broken JSON, wrong fields, a bad CSV. */
const brokenFiles = (value: string): ReadonlyArray<readonly [string, string]> => [
  ["key file", `hf_${value}\n`],
  ["env file", `HF_TOKEN=${value}\nOPENAI_API_KEY=sk-${value}\n`],
  ["JSON string", `"${value}"\n`],
  ["truncated JSON", `{"problem": "${value}`],
  ["JSON with a bad value", `{"token": "${value}"}\n`],
  ["wrong types", JSON.stringify({ problem: value, solution: value, answer: { value }, subject: [value], level: value, unique_id: 5, question: 7, id: { value } })],
  ["unknown keys", JSON.stringify({ [value]: 1, problem: "", answer: "" })],
  ["CSV header", `${value},${value}\n1,2\n`],
  ["CSV cells", `Rank,Puzzles\n1,${value}\n`],
  ["CSV cell count", `Rank,Puzzles\n1,1 2 3 4,${value}\n`],
  ["CSV rank", `Rank,Puzzles\n${value},1 2 3 4\n`],
  ["binary", `\u0000\u0001${value}\u00ff\n`]
]

const loaders = {
  math500: Dataset.math500,
  gsm8k: Dataset.gsm8k,
  aime: Dataset.aime,
  game24: Dataset.game24
} as const

describe("data set failures", () => {
  property.prop([secret, fc.constantFrom(...(Object.keys(loaders) as ReadonlyArray<keyof typeof loaders>))], { numRuns: 40 })(
    "never quote the file's contents, whatever the file and the loader",
    async (value, loader) => {
      for (const [label, text] of brokenFiles(value)) {
        const result = await outcome(loaders[loader](written(`${label}.txt`, text)))
        expect(result._tag, `${loader} on a ${label}`).toBe("Failure")
        if (result._tag === "Failure") {
          expect(result.failure.message, `${loader} on a ${label}`).not.toContain(value)
          expect(result.failure.message).toMatch(/:\d+: field "[^"]+" /)
        }
      }
    }
  )

  it("says what a line should have been", async () => {
    const file = written("secret.env", "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz\n")
    const error = await failure(Dataset.math500(file))
    expect(error.message).toBe(`${file}:1: field "(line)" is not JSON: each line must be one JSON object`)
  })
})
