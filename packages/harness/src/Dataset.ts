import { readFile } from "node:fs/promises"
import { Data, Effect } from "effect"
import { InvalidOptions, Problem } from "@stepwise/core"
import { Presets, World } from "@stepwise/simulator"
import { z } from "zod"
import * as Game24 from "./Game24.js"

/**
 * A benchmark data set: a name, its problems, and optionally its own grader (Game of 24 checks the expression,
 * a simulator set asks its world). Problems carry `reference` and `metadata.difficulty` when known.
 */
export interface Dataset {
  readonly name: string
  readonly problems: ReadonlyArray<Problem.Problem>
  /** Decides whether an extracted answer is correct; unset means the standard grader against `reference`. */
  readonly isCorrect?: (problem: Problem.Problem, answer: string) => boolean
}

/**
 * Loading a data set failed: names the file, the 1-based line (0 when the whole file is at fault) and the field, and
 * says what was expected — never what the bytes were, so a wrong path to a secret file does not print the secret.
 * A repeated problem id also names the id and the line where it first appeared (`firstLine`).
 */
export class DatasetError extends Data.TaggedError("DatasetError")<{
  readonly file: string
  readonly line: number
  readonly field: string
  readonly detail: string
  /** The repeated problem id, when the failure is a duplicate. */
  readonly id?: string
  /** The line (or position) where the repeated id first appeared. */
  readonly firstLine?: number
}> {
  override get message(): string {
    return `${this.file}:${this.line}: field "${this.field}" ${this.detail}`
  }
}

/**
 * The default system prompt: step-by-step solutions, steps separated by blank lines, ending in `\boxed{}`
 * (the step protocol of the strategies).
 */
export const systemPrompt =
  "Solve the following math problem efficiently and clearly. Think step by step. Write each step as " +
  '"## Step k: <one short step>" and separate the steps with a blank line. End with ' +
  '"Therefore, the final answer is: $\\boxed{answer}$." where answer is the final number or expression.'

/** Options shared by the file loaders. */
export interface LoadOptions {
  /** Keep only the first `limit` problems. */
  readonly limit?: number
  /** The system prompt (default `systemPrompt`). */
  readonly system?: string
}

const readText = (file: string): Effect.Effect<string, DatasetError> =>
  Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (cause) => new DatasetError({ file, line: 0, field: "(file)", detail: `cannot be read: ${String(cause)}` })
  })

/**
 * The failure of a row that did not match its schema. The schemas' own messages say what was expected; zod's
 * defaults name types and bounds, never the value — except for unknown keys, which are named from the schema side.
 */
const issueOf = (file: string, line: number, error: z.ZodError): DatasetError => {
  const issue = error.issues[0]
  const field = issue === undefined || issue.path.length === 0 ? "(line)" : issue.path.map(String).join(".")
  const detail = issue === undefined ? "is invalid" : issue.code === "unrecognized_keys" ? "has keys the format does not define" : issue.message
  return new DatasetError({ file, line, field, detail })
}

/** How a user's id is shown in a failure: quoted, control characters escaped, long ids cut. */
const shownId = (id: string): string => JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id)

/**
 * Fails on the first problem that repeats an earlier one (a result is keyed by its problem id, so a repeat would be
 * run and counted twice), naming the file, both lines and the id; otherwise the problems as they are. By default a
 * repeat is a repeated id; `by: "question"` is for formats without ids, whose ids come from line numbers.
 */
export const requireUnique = (
  file: string,
  field: string,
  rows: ReadonlyArray<{ readonly line: number; readonly problem: Problem.Problem }>,
  by: "id" | "question" = "id"
): Effect.Effect<ReadonlyArray<Problem.Problem>, DatasetError> => {
  const firstLines = new Map<string, { readonly line: number; readonly id: string }>()
  for (const { line, problem } of rows) {
    const key = by === "id" ? problem.id : problem.question
    const first = firstLines.get(key)
    if (first !== undefined)
      return Effect.fail(
        new DatasetError({
          file,
          line,
          field,
          detail:
            by === "id"
              ? `repeats the problem id ${shownId(problem.id)} of line ${first.line}: every problem needs its own id`
              : `repeats the question of line ${first.line} (problem ${shownId(first.id)}): every problem must appear once`,
          id: first.id,
          firstLine: first.line
        })
      )
    firstLines.set(key, { line, id: problem.id })
  }
  return Effect.succeed(rows.map(({ problem }) => problem))
}

/** Parses JSON Lines with a zod schema, line by line; blank lines are skipped. */
const jsonLines = <T>(
  file: string,
  schema: z.ZodType<T>,
  limit: number | undefined
): Effect.Effect<ReadonlyArray<{ readonly line: number; readonly row: T }>, DatasetError> =>
  Effect.gen(function* () {
    const text = yield* readText(file)
    const rows: Array<{ line: number; row: T }> = []
    const lines = text.split(/\r?\n/)
    for (let index = 0; index < lines.length; index++) {
      if (limit !== undefined && rows.length >= limit) break
      const content = lines[index]?.trim() ?? ""
      if (content === "") continue
      const line = index + 1
      const value = yield* Effect.try({
        try: (): unknown => JSON.parse(content),
        // The parser's message quotes the line; say what was expected instead.
        catch: () => new DatasetError({ file, line, field: "(line)", detail: "is not JSON: each line must be one JSON object" })
      })
      const parsed = schema.safeParse(value)
      if (!parsed.success) return yield* Effect.fail(issueOf(file, line, parsed.error))
      rows.push({ line, row: parsed.data })
    }
    return rows
  })

const nonEmpty = z.string().trim().min(1, "must be a non-empty string")
const answerText = z.union([nonEmpty, z.number().transform(String)])

/** One MATH-500 row. */
export const Math500Row = z.object({
  problem: nonEmpty,
  solution: z.string(),
  answer: nonEmpty,
  subject: nonEmpty,
  level: z.coerce.number().int().min(1).max(5),
  unique_id: nonEmpty
})

/** One GSM8K row: the answer is the text after `####` in `answer`. */
export const Gsm8kRow = z.object({
  question: nonEmpty,
  answer: z.string().regex(/####\s*\S/, "must contain the final answer after ####")
})

/** One AIME row (`id`, `solution` optional). */
export const AimeRow = z.object({
  id: z.union([z.string(), z.number()]).optional(),
  problem: nonEmpty,
  answer: answerText,
  solution: z.string().optional()
})

const make = (options: LoadOptions, fields: Parameters<typeof Problem.make>[0]): Problem.Problem =>
  Problem.make({ ...fields, system: options.system ?? systemPrompt })

/** A JSON Lines data set: each valid row made into a problem, then checked for repeats by `by` (named as `field`). */
const jsonLinesDataset = <T>(
  file: string,
  schema: z.ZodType<T>,
  options: LoadOptions,
  spec: {
    readonly name: string
    readonly field: string
    readonly by?: "id" | "question"
    readonly problemOf: (row: T, line: number) => Parameters<typeof Problem.make>[0]
  }
): Effect.Effect<Dataset, DatasetError> =>
  jsonLines(file, schema, options.limit).pipe(
    Effect.flatMap((rows) =>
      requireUnique(file, spec.field, rows.map(({ line, row }) => ({ line, problem: make(options, spec.problemOf(row, line)) })), spec.by)
    ),
    Effect.map((problems) => ({ name: spec.name, problems }))
  )

/**
 * Loads MATH-500 JSON Lines (`problem, solution, answer, subject, level, unique_id`); difficulty = level.
 *
 * @example
 * const dataset = yield* Dataset.math500("data/math500.jsonl", { limit: 100 })
 */
export const math500 = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  jsonLinesDataset(file, Math500Row, options, {
    name: "math500",
    field: "unique_id",
    problemOf: (row) => ({
      id: row.unique_id,
      question: row.problem,
      reference: row.answer,
      metadata: { difficulty: row.level, subject: row.subject, source: "math500" }
    })
  })

/** The final answer of a GSM8K solution: the text after the last `####`, without thousands separators. */
export const gsm8kAnswer = (solution: string): string =>
  (solution.split("####").at(-1) ?? "").trim().replace(/(\d),(?=\d{3}\b)/g, "$1")

/**
 * Loads GSM8K JSON Lines (`question, answer`, the final answer after `####`); ids are `gsm8k-<line>`, so a repeated
 * question (the same row twice) fails naming both lines.
 */
export const gsm8k = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  jsonLinesDataset(file, Gsm8kRow, options, {
    name: "gsm8k",
    field: "question",
    by: "question",
    problemOf: (row, line) => ({ id: `gsm8k-${line}`, question: row.question, reference: gsm8kAnswer(row.answer), metadata: { source: "gsm8k" } })
  })

/**
 * Loads AIME JSON Lines (`problem, answer`, optional `id`); ids are `aime-<id>` or `aime-<line>`. Two rows whose ids
 * come out the same (`"id": 7` twice, or `"id": 3` and an id-less row on line 3) fail naming both lines.
 */
export const aime = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  jsonLinesDataset(file, AimeRow, options, {
    name: "aime",
    field: "id",
    problemOf: (row, line) => ({ id: `aime-${row.id ?? line}`, question: row.problem, reference: row.answer, metadata: { source: "aime" } })
  })

/** One Game of 24 row: four integers from 1 to 13, space separated, in column `Puzzles`. */
export const Game24Row = z.object({
  Puzzles: z
    .string()
    .trim()
    .regex(/^\d+(\s+\d+){3}$/, "must be four integers separated by spaces")
    .transform((text) => text.split(/\s+/).map(Number))
    .pipe(z.array(z.number().int().min(1).max(13, "numbers must be between 1 and 13")).length(4)),
  Rank: z.coerce.number().int().optional()
})

const splitCsvLine = (line: string): Array<string> => {
  const cells: Array<string> = []
  let cell = ""
  let quoted = false
  for (let index = 0; index < line.length; index++) {
    const character = line[index]
    if (quoted) {
      if (character === '"' && line[index + 1] === '"') {
        cell += '"'
        index++
      } else if (character === '"') quoted = false
      else cell += character
    } else if (character === '"') quoted = true
    else if (character === ",") {
      cells.push(cell)
      cell = ""
    } else cell += character
  }
  cells.push(cell)
  return cells
}

/** The question of a Game of 24 puzzle. */
export const game24Question = (numbers: ReadonlyArray<number>): string =>
  `Use the numbers ${numbers.join(", ")} exactly once each, with +, -, * and / and parentheses, to make 24. ` +
  "Give the expression as the final answer."

/**
 * Checks a Game of 24 answer: an arithmetic expression over exactly the puzzle's numbers that equals 24
 * (`=24` at the end is allowed; `\times`, `\cdot` and `\div` are read as operators). See `Game24.check`.
 */
export const isGame24Solution = (numbers: ReadonlyArray<number>, answer: string): boolean => Game24.isSolution(numbers, answer)

/** Loads the Game of 24 CSV (header with a `Puzzles` column, e.g. "1 1 4 6"); ids are `game24-<rank or line>`. */
export const game24 = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  Effect.flatMap(readText(file), (text) => {
    const lines = text.split(/\r?\n/)
    const header = splitCsvLine(lines[0] ?? "").map((cell) => cell.trim())
    if (!header.includes("Puzzles"))
      return Effect.fail(new DatasetError({ file, line: 1, field: "Puzzles", detail: "is missing from the CSV header" }))
    const problems: Array<{ readonly line: number; readonly problem: Problem.Problem }> = []
    for (let index = 1; index < lines.length; index++) {
      if (options.limit !== undefined && problems.length >= options.limit) break
      const content = lines[index] ?? ""
      if (content.trim() === "") continue
      const cells = splitCsvLine(content)
      if (cells.length !== header.length)
        return Effect.fail(
          new DatasetError({ file, line: index + 1, field: "(line)", detail: `has ${cells.length} cells, the header has ${header.length}` })
        )
      const record = Object.fromEntries(header.map((name, column) => [name, cells[column]]))
      const parsed = Game24Row.safeParse(record)
      if (!parsed.success) return Effect.fail(issueOf(file, index + 1, parsed.error))
      const numbers = parsed.data.Puzzles
      problems.push({
        line: index + 1,
        problem: make(options, {
          id: `game24-${parsed.data.Rank ?? index + 1}`,
          question: game24Question(numbers),
          reference: "24",
          metadata: { numbers, source: "game24" }
        })
      })
    }
    return Effect.map(requireUnique(file, "Rank", problems), (unique) => ({
      name: "game24",
      problems: unique,
      isCorrect: (problem: Problem.Problem, answer: string) => {
        const numbers = problem.metadata?.["numbers"]
        return Array.isArray(numbers) && isGame24Solution(numbers as ReadonlyArray<number>, answer)
      }
    }))
  })

/** Options of `simulator`. */
export interface SimulatorOptions {
  /** Preset whose difficulty mix draws the problems (default `calibrated`). */
  readonly preset?: string
  readonly count: number
  /** Seed of the problem set (default 1). */
  readonly seed?: number
  /** Only this difficulty level (1..5). */
  readonly difficulty?: number
  /** Name in the results (default `simulator`). */
  readonly name?: string
}

/**
 * A generated simulator set: `World.problems` of a world of the preset; graded by the world's ground truth. Any
 * simulator world recognises these problems from their text, so the backend's world may have any seed.
 *
 * @example
 * const dataset = yield* Dataset.simulator({ preset: "calibrated", count: 30, seed: 1 })
 */
export const simulator = (options: SimulatorOptions): Effect.Effect<Dataset, DatasetError> => {
  const presetName = options.preset ?? "calibrated"
  const preset = Presets.all[presetName]
  if (preset === undefined)
    return Effect.fail(
      new DatasetError({ file: "(simulator)", line: 0, field: "preset", detail: `is not a preset (one of ${Object.keys(Presets.all).join(", ")})` })
    )
  const invalid = (error: InvalidOptions) => new DatasetError({ file: "(simulator)", line: 0, field: error.field, detail: error.detail })
  return Effect.gen(function* () {
    const world = yield* Effect.mapError(World.makeEffect(preset), invalid)
    const generated = yield* Effect.try({
      try: () =>
        World.problems(world, {
          count: options.count,
          seed: options.seed ?? 1,
          ...(options.difficulty === undefined ? {} : { difficulty: options.difficulty })
        }),
      catch: (error) =>
        error instanceof InvalidOptions
          ? invalid(error)
          : new DatasetError({ file: "(simulator)", line: 0, field: "(set)", detail: `cannot be generated: ${String(error)}` })
    })
    // A set's "line" is the problem's 1-based position in it.
    const problems = yield* requireUnique("(simulator)", "id", generated.map((problem, index) => ({ line: index + 1, problem })))
    return {
      name: options.name ?? "simulator",
      problems,
      isCorrect: (problem: Problem.Problem, answer: string) => World.isCorrect(world, problem, answer)
    }
  })
}
