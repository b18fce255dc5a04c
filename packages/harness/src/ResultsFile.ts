import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import { Data, Effect, Scope } from "effect"
import * as ResultRecord from "./ResultRecord.js"

/** The results file could not be read or written, or holds a bad line (named by number). */
export class ResultsFileError extends Data.TaggedError("ResultsFileError")<{
  readonly file: string
  readonly line: number
  readonly detail: string
}> {
  override get message(): string {
    return `${this.file}${this.line > 0 ? `:${this.line}` : ""}: ${this.detail}`
  }
}

/** What a results file holds: its complete records, and the byte length of its complete lines. */
export interface Contents {
  readonly records: ReadonlyArray<ResultRecord.ResultRecord>
  /** Bytes of complete, valid lines; anything after it is a torn last line from a killed run. */
  readonly completeBytes: number
  /** True when a torn last line was found (and will be dropped by `open`). */
  readonly tornTail: boolean
}

/**
 * Reads a results file (JSON Lines of `ResultRecord`). A missing file is empty. A last line without its newline is a
 * torn write of a killed run and is left out (lines are appended whole, newline included); any other line that is
 * not a record, the last one included, is an error naming it.
 */
export const read = (file: string): Effect.Effect<Contents, ResultsFileError> =>
  Effect.gen(function* () {
    if (!existsSync(file)) return { records: [], completeBytes: 0, tornTail: false }
    const buffer = yield* Effect.try({
      try: () => readFileSync(file),
      catch: (cause) => new ResultsFileError({ file, line: 0, detail: `cannot be read: ${String(cause)}` })
    })
    const records: Array<ResultRecord.ResultRecord> = []
    let start = 0
    let line = 0
    while (start < buffer.length) {
      line++
      const end = buffer.indexOf(0x0a, start)
      const last = end < 0
      const text = buffer.subarray(start, last ? buffer.length : end).toString("utf8")
      const next = last ? buffer.length : end + 1
      if (text.trim() !== "") {
        const parsed = yield* Effect.result(
          Effect.try({ try: (): unknown => JSON.parse(text), catch: (cause) => String(cause) })
        )
        const checked = parsed._tag === "Success" ? ResultRecord.ResultRecord.safeParse(parsed.success) : undefined
        if (last || checked === undefined || !checked.success) {
          // Only a last line without its newline is a torn write (lines are appended whole, newline included);
          // a complete line that is no record is an error wherever it is.
          if (last) return { records, completeBytes: start, tornTail: true }
          const detail = checked === undefined ? "is not JSON" : `is not a result record (${checked.error?.issues[0]?.path.join(".")}: ${checked.error?.issues[0]?.message})`
          return yield* Effect.fail(new ResultsFileError({ file, line, detail }))
        }
        records.push(checked.data)
      }
      start = next
    }
    return { records, completeBytes: buffer.length, tornTail: false }
  })

/** An open results file: appends one record as one line, whole or not at all. */
export interface Writer {
  readonly append: (record: ResultRecord.ResultRecord) => Effect.Effect<void, ResultsFileError>
}

/**
 * Opens a results file for appending (creating its folder), first cutting a torn last line left by a killed
 * run. Closed when the scope closes. Each `append` is one synchronous write of one line, never interrupted halfway.
 */
export const open = (file: string, contents: Contents): Effect.Effect<Writer, ResultsFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const descriptor = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          mkdirSync(dirname(file), { recursive: true })
          const handle = openSync(file, "a")
          if (contents.tornTail) ftruncateSync(handle, contents.completeBytes)
          return handle
        },
        catch: (cause) => new ResultsFileError({ file, line: 0, detail: `cannot be opened for writing: ${String(cause)}` })
      }),
      (handle) => Effect.sync(() => closeSync(handle))
    )
    return {
      append: (record) =>
        Effect.try({
          try: () => {
            writeSync(descriptor, `${JSON.stringify(record)}\n`)
          },
          catch: (cause) => new ResultsFileError({ file, line: 0, detail: `cannot be written: ${String(cause)}` })
        }).pipe(Effect.uninterruptible)
    }
  })
