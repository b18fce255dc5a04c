import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs"
import { hostname } from "node:os"
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
  /** True when the last line is a whole record without its newline (`open` adds it before appending). */
  readonly missingNewline?: boolean
}

// Every record is written as JSON.stringify of an object whose first field is `key`, so a torn write of one is a
// prefix of this followed by more.
const recordStart = '{"key":"'

/** True when a last line without its newline can be the start of a record cut short. */
const isTorn = (text: string): boolean =>
  text.length >= recordStart.length ? text.startsWith(recordStart) : recordStart.startsWith(text)

/**
 * Reads a results file (JSON Lines of `ResultRecord`). A missing file is empty. A last line without its newline is
 * kept when it is a whole record; when it is the start of one cut short (a killed run's torn write; lines are
 * appended whole, newline included) it is left out, and `tornTail` says so. Any other line that is not a record,
 * the last one included, is an error naming it, so a file that holds something else is never taken for results.
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
        if (checked === undefined || !checked.success) {
          // Only a last line without its newline that starts as a record does is a torn write; any other line
          // that is no record is an error wherever it is.
          // A write cut short is never whole JSON: a last line that parses but is no record is an error too.
          if (last && parsed._tag === "Failure" && isTorn(text)) return { records, completeBytes: start, tornTail: true }
          const detail = checked === undefined ? "is not JSON" : `is not a result record (${checked.error?.issues[0]?.path.join(".")}: ${checked.error?.issues[0]?.message})`
          return yield* Effect.fail(new ResultsFileError({ file, line, detail }))
        }
        records.push(checked.data)
        if (last) return { records, completeBytes: buffer.length, tornTail: false, missingNewline: true }
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
 * run (or ending a whole last record's line). Closed when the scope closes. Each `append` is one synchronous write of one line, never interrupted halfway.
 */
export const open = (file: string, contents: Contents): Effect.Effect<Writer, ResultsFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const descriptor = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          mkdirSync(dirname(file), { recursive: true })
          const handle = openSync(file, "a")
          if (contents.tornTail) ftruncateSync(handle, contents.completeBytes)
          if (contents.missingNewline === true) writeSync(handle, "\n")
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

// True while a process of this id runs on this machine (signalling 0 checks without sending anything).
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (cause) {
    return (cause as { code?: string }).code === "EPERM"
  }
}

// The lock files this process holds now: a lock naming this process's id that is not among them was left by an
// earlier process that had the same id (a restarted container's process 1).
const held = new Set<string>()

/**
 * Takes a results file for one run (`<file>.lock`, holding the process id and host), given back when the scope
 * closes: a second run on the same file at once is an error naming the first's process, where both did all the work
 * and appended it twice. A lock left by a process that no longer runs on this host (a killed run) is taken over, by
 * renaming it aside first so that two runs taking over the same stale lock cannot both win; one from another host is
 * an error that names the lock file to delete once that run is known to be gone.
 */
export const lock = (file: string): Effect.Effect<void, ResultsFileError, Scope.Scope> => {
  const lockFile = `${file}.lock`
  const owner = `${process.pid} ${hostname()}\n`
  const take = (): boolean => {
    try {
      const handle = openSync(lockFile, "wx")
      writeSync(handle, owner)
      closeSync(handle)
      held.add(lockFile)
      return true
    } catch (cause) {
      if ((cause as { code?: string }).code !== "EEXIST") throw cause
      return false
    }
  }
  const acquire = () => {
    mkdirSync(dirname(file), { recursive: true })
    for (let attempt = 0; attempt < 3; attempt++) {
      if (take()) return
      let text: string
      try {
        text = readFileSync(lockFile, "utf8")
      } catch {
        continue
      }
      const [pid, host] = text.trim().split(" ")
      const id = Number(pid)
      const gone = host === hostname() && Number.isInteger(id) && (id === process.pid ? !held.has(lockFile) : !isRunning(id))
      if (!gone)
        throw new ResultsFileError({
          file,
          line: 0,
          detail:
            host === hostname()
              ? `is in use by another run (process ${pid ?? "?"}, per ${lockFile}): wait for it to end, or give this run another results file`
              : `is in use by a run on ${host ?? "another host"} (process ${pid ?? "?"}, per ${lockFile}): wait for it to end; if that run is gone, delete ${lockFile}`
        })
      // Stale: move it aside under a name of this process's own; only the run whose rename succeeded removes it.
      const aside = `${lockFile}.${process.pid}.stale`
      try {
        renameSync(lockFile, aside)
        if (readFileSync(aside, "utf8") !== text) renameSync(aside, lockFile)
        else rmSync(aside, { force: true })
      } catch {
        // Another run moved it first: try again.
      }
    }
    throw new ResultsFileError({ file, line: 0, detail: `could not be taken (${lockFile} keeps changing hands)` })
  }
  const release = () => {
    held.delete(lockFile)
    try {
      if (readFileSync(lockFile, "utf8") === owner) rmSync(lockFile, { force: true })
    } catch {
      // Gone already.
    }
  }
  return Effect.acquireRelease(
    Effect.try({
      try: acquire,
      catch: (cause) =>
        cause instanceof ResultsFileError ? cause : new ResultsFileError({ file, line: 0, detail: `cannot be locked: ${String(cause)}` })
    }),
    () => Effect.sync(release)
  ).pipe(Effect.asVoid)
}
