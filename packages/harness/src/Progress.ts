import { SingleBar } from "cli-progress"
import type { ResultRecord } from "./ResultRecord.js"

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

/**
 * Makes a progress display for `total` problems of which `skipped` were already done (a resumed run).
 * `auto` picks the bar when the output is a terminal and plain lines otherwise; lines are printed about every 2%.
 */
export const make = (options: {
  readonly total: number
  readonly skipped: number
  readonly mode: Mode
  readonly output: Output
}): Progress => {
  const mode = options.mode === "auto" ? (options.output.isTTY === true ? "bar" : "lines") : options.mode
  let completed = options.skipped
  let correct = 0
  let finished = 0
  if (mode === "none") return { done: () => undefined, stop: () => undefined }
  if (mode === "bar") {
    const bar = new SingleBar({
      format: "{bar} {value}/{total} problems | {percentage}% | accuracy {accuracy} | {cell}",
      stream: options.output as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50
    })
    bar.start(options.total, completed, { accuracy: "-", cell: "" })
    return {
      done: (record) => {
        completed++
        finished++
        if (record.correct) correct++
        bar.update(completed, { accuracy: (correct / finished).toFixed(3), cell: `${record.strategy} @ ${record.budget}` })
      },
      stop: () => bar.stop()
    }
  }
  const step = Math.max(1, Math.floor(options.total / 50))
  if (options.skipped > 0) options.output.write(`resuming: ${options.skipped}/${options.total} problems already done\n`)
  return {
    done: (record) => {
      completed++
      finished++
      if (record.correct) correct++
      if (completed % step === 0 || completed === options.total)
        options.output.write(
          `[${completed}/${options.total}] ${record.dataset} ${record.strategy} @ ${record.budget} seed ${record.seed}: ` +
            `accuracy so far ${(correct / finished).toFixed(3)}\n`
        )
    },
    stop: () => undefined
  }
}
