import { SingleBar } from "cli-progress"
import * as ResultRecords from "./ResultRecord.js"

type ResultRecord = ResultRecords.ResultRecord
const ResultRecord = ResultRecords

/** How progress is shown: a bar on a terminal, plain lines elsewhere (logs, CI), or nothing. */
export type Mode = "auto" | "bar" | "lines" | "none"

/** A progress display over a known number of problems. */
export interface Progress {
  /** One problem finished. */
  readonly done: (record: ResultRecord) => void
  /** The run ended (finished or stopped). */
  readonly stop: () => void
}

/** The stream progress is written to (stderr by default). */
export interface Output {
  readonly write: (text: string) => unknown
  readonly isTTY?: boolean
}

/** What a progress line says about the current cell: its name and its accuracy so far (not pooled over cells). */
interface CellState {
  readonly name: string
  correct: number
  done: number
}

const cellNameOf = (record: ResultRecord): string =>
  `${record.dataset} ${ResultRecord.variantOf(record)} @ ${record.budget}`

const seconds = (millis: number): string => {
  const total = Math.round(millis / 1000)
  const minutes = Math.floor(total / 60)
  return minutes > 0 ? `${minutes}m${String(total % 60).padStart(2, "0")}s` : `${total}s`
}

/**
 * Makes a progress display for `total` problems of which `skipped` were already done (a resumed run): done and
 * total, elapsed time, the rate of this run, the time left at that rate, and the current cell's accuracy so far.
 * `auto` picks the bar when the output is a terminal and plain lines otherwise; lines are printed about every 2%.
 * `now` gives the time in milliseconds (default `Date.now`).
 */
export const make = (options: {
  readonly total: number
  readonly skipped: number
  readonly mode: Mode
  readonly output: Output
  readonly now?: () => number
}): Progress => {
  const mode = options.mode === "auto" ? (options.output.isTTY === true ? "bar" : "lines") : options.mode
  const now = options.now ?? Date.now
  const started = now()
  let completed = options.skipped
  let finished = 0
  const cells = new Map<string, CellState>()
  if (mode === "none") return { done: () => undefined, stop: () => undefined }
  // Counts one record; returns its cell and the timing figures.
  const account = (record: ResultRecord) => {
    completed++
    finished++
    const name = cellNameOf(record)
    const cell = cells.get(name) ?? { name, correct: 0, done: 0 }
    cell.done++
    if (record.correct) cell.correct++
    cells.set(name, cell)
    const elapsed = now() - started
    const rate = elapsed > 0 ? (finished * 1000) / elapsed : 0
    const left = rate > 0 ? ((options.total - completed) / rate) * 1000 : Number.NaN
    return {
      cell: `${cell.name}: accuracy ${(cell.correct / cell.done).toFixed(3)} (${cell.done})`,
      elapsed: seconds(elapsed),
      rate: rate.toFixed(1),
      left: Number.isFinite(left) ? seconds(left) : "—"
    }
  }
  if (mode === "bar") {
    const bar = new SingleBar({
      format: "{bar} {value}/{total} problems | {elapsed} elapsed, {rate}/s, {left} left | {cell}",
      stream: options.output as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50
    })
    bar.start(options.total, completed, { elapsed: "0s", rate: "—", left: "—", cell: "" })
    return {
      done: (record) => {
        const figures = account(record)
        bar.update(completed, figures)
      },
      stop: () => bar.stop()
    }
  }
  const step = Math.max(1, Math.floor(options.total / 50))
  if (options.skipped > 0) options.output.write(`resuming: ${options.skipped}/${options.total} problems already done\n`)
  return {
    done: (record) => {
      const figures = account(record)
      if (completed % step === 0 || completed === options.total)
        options.output.write(`[${completed}/${options.total}] ${figures.elapsed} elapsed, ${figures.rate}/s, ${figures.left} left | ${figures.cell}\n`)
    },
    stop: () => undefined
  }
}
