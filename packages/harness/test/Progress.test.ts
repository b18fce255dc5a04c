import { describe, expect, it } from "vitest"
import { Progress } from "../src/index.js"
import { record } from "./fixtures/records.js"

const sink = (isTTY: boolean) => {
  const written: Array<string> = []
  return {
    written,
    output: {
      isTTY,
      columns: 120,
      write: (text: string) => {
        written.push(text)
        return true
      },
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => undefined,
      removeListener: () => undefined
    }
  }
}

describe("Progress", () => {
  it("prints plain lines about every 2% when the output is not a terminal, with a resume notice", () => {
    const { written, output } = sink(false)
    const progress = Progress.make({ total: 200, skipped: 100, mode: "auto", output })
    for (let index = 0; index < 100; index++) progress.done(record({ problemId: `p${index}`, correct: index % 4 === 0 }))
    progress.stop()
    expect(written[0]).toBe("resuming: 100/200 problems already done\n")
    expect(written).toHaveLength(1 + 25)
    expect(written.at(-1)).toBe("[200/200] set best-of-n @ small seed 1: accuracy so far 0.250\n")
  })

  it("draws a bar on a terminal", () => {
    const { written, output } = sink(true)
    const progress = Progress.make({ total: 3, skipped: 0, mode: "auto", output })
    for (let index = 0; index < 3; index++) progress.done(record({ problemId: `p${index}`, correct: true }))
    progress.stop()
    const text = written.join("")
    expect(text).toContain("3/3 problems")
    expect(text).toContain("accuracy 1.000")
    expect(text).not.toContain("[3/3]")
  })

  it("shows nothing in mode none", () => {
    const { written, output } = sink(true)
    const progress = Progress.make({ total: 3, skipped: 0, mode: "none", output })
    progress.done(record({ problemId: "p" }))
    progress.stop()
    expect(written).toEqual([])
  })
})
