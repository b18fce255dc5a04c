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
    let clock = 0
    const progress = Progress.make({ total: 200, skipped: 100, mode: "auto", output, now: () => clock })
    // 50 problems of one cell, all right, then 50 of another, a quarter right; each takes 100 ms.
    for (let index = 0; index < 100; index++) {
      clock += 100
      progress.done(record({ problemId: `p${index}`, budget: index < 50 ? "small" : "large", correct: index < 50 || index % 4 === 0 }))
    }
    progress.stop()
    expect(written[0]).toBe("resuming: 100/200 problems already done\n")
    expect(written).toHaveLength(1 + 25)
    // At 148: 48 done in 4.8 s (10/s), 52 left (5.2 s), the first cell's accuracy alone.
    expect(written[12]).toBe("[148/200] 5s elapsed, 10.0/s, 5s left | set best-of-n @ small: accuracy 1.000 (48)\n")
    // At the end the current cell's accuracy is its own (0.240 over 50), not pooled with the first cell's.
    expect(written.at(-1)).toBe("[200/200] 10s elapsed, 10.0/s, 0s left | set best-of-n @ large: accuracy 0.240 (50)\n")
  })

  it("draws a bar on a terminal", () => {
    const { written, output } = sink(true)
    const progress = Progress.make({ total: 3, skipped: 0, mode: "auto", output })
    for (let index = 0; index < 3; index++) progress.done(record({ problemId: `p${index}`, correct: true }))
    progress.stop()
    const text = written.join("")
    expect(text).toContain("3/3 problems")
    expect(text).toContain("accuracy 1.000 (3)")
    expect(text).toMatch(/elapsed, [\d.]+\/s, \S+ left/)
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
