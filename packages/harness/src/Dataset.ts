import { readFile } from "node:fs/promises"
import { Data, Effect } from "effect"
import { Problem } from "@stepwise/core"
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

/** Loading a data set failed: names the file, the 1-based line (0 when the whole file is at fault) and the field. */
export class DatasetError extends Data.TaggedError("DatasetError")<{
  readonly file: string
  readonly line: number
  readonly field: string
  readonly detail: string
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

const issueOf = (file: string, line: number, error: z.ZodError): DatasetError => {
  const issue = error.issues[0]
  const field = issue === undefined || issue.path.length === 0 ? "(line)" : issue.path.map(String).join(".")
  return new DatasetError({ file, line, field, detail: issue?.message ?? "is invalid" })
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
        catch: (cause) => new DatasetError({ file, line, field: "(line)", detail: `is not JSON: ${String(cause)}` })
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

/**
 * Loads MATH-500 JSON Lines (`problem, solution, answer, subject, level, unique_id`); difficulty = level.
 *
 * @example
 * const dataset = yield* Dataset.math500("data/math500.jsonl", { limit: 100 })
 */
export const math500 = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  Effect.map(jsonLines(file, Math500Row, options.limit), (rows) => ({
    name: "math500",
    problems: rows.map(({ row }) =>
      make(options, {
        id: row.unique_id,
        question: row.problem,
        reference: row.answer,
        metadata: { difficulty: row.level, subject: row.subject, source: "math500" }
      })
    )
  }))

/** The final answer of a GSM8K solution: the text after the last `####`, without thousands separators. */
export const gsm8kAnswer = (solution: string): string =>
  (solution.split("####").at(-1) ?? "").trim().replace(/(\d),(?=\d{3}\b)/g, "$1")

/** Loads GSM8K JSON Lines (`question, answer`, the final answer after `####`); ids are `gsm8k-<line>`. */
export const gsm8k = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  Effect.map(jsonLines(file, Gsm8kRow, options.limit), (rows) => ({
    name: "gsm8k",
    problems: rows.map(({ line, row }) =>
      make(options, { id: `gsm8k-${line}`, question: row.question, reference: gsm8kAnswer(row.answer), metadata: { source: "gsm8k" } })
    )
  }))

/** Loads AIME JSON Lines (`problem, answer`, optional `id`); ids are `aime-<id>` or `aime-<line>`. */
export const aime = (file: string, options: LoadOptions = {}): Effect.Effect<Dataset, DatasetError> =>
  Effect.map(jsonLines(file, AimeRow, options.limit), (rows) => ({
    name: "aime",
    problems: rows.map(({ line, row }) =>
      make(options, {
        id: `aime-${row.id ?? line}`,
        question: row.problem,
        reference: row.answer,
        metadata: { source: "aime" }
      })
    )
  }))

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
    const problems: Array<Problem.Problem> = []
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
      problems.push(
        make(options, {
          id: `game24-${parsed.data.Rank ?? index + 1}`,
          question: game24Question(numbers),
          reference: "24",
          metadata: { numbers, source: "game24" }
        })
      )
    }
    return Effect.succeed({
      name: "game24",
      problems,
      isCorrect: (problem, answer) => {
        const numbers = problem.metadata?.["numbers"]
        return Array.isArray(numbers) && isGame24Solution(numbers as ReadonlyArray<number>, answer)
      }
    })
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
  return Effect.map(
    Effect.mapError(World.makeEffect(preset), (error) => new DatasetError({ file: "(simulator)", line: 0, field: error.field, detail: error.detail })),
    (world) => ({
      name: options.name ?? "simulator",
      problems: World.problems(world, {
        count: options.count,
        seed: options.seed ?? 1,
        ...(options.difficulty === undefined ? {} : { difficulty: options.difficulty })
      }),
      isCorrect: (problem, answer) => World.isCorrect(world, problem, answer)
    })
  )
}
