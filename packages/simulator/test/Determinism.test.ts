import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { fc, test } from "@fast-check/vitest"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Presets, World } from "../src/index.js"
import { digest } from "./fixtures/digest.js"

const world = World.make(Presets.calibrated, { seed: 3 })
const problems = World.problems(world, { count: 30, seed: 2 })
const runs = process.env["CI"] ? 200 : 60

const texts = (request: Parameters<typeof world.languageModel.generate>[0]) =>
  Effect.runSync(world.languageModel.generate(request)).map((completion) => `${completion.finishReason}:${completion.text}`)

describe("determinism", () => {
  it("gives the same outputs in a fresh process", () => {
    const script = fileURLToPath(new URL("./fixtures/digest.ts", import.meta.url))
    const root = fileURLToPath(new URL("../../..", import.meta.url))
    const child = execFileSync(process.execPath, ["--import", "tsx", script], { cwd: root, encoding: "utf8" }).trim()
    expect(child).toBe(digest())
  })

  test.prop([fc.integer({ min: 0, max: 29 }), fc.integer(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.double({ min: 0.05, max: 1.5, noNaN: true })], { numRuns: runs })(
    "sample k is unchanged when more samples are asked, and repeated requests agree (common random numbers)",
    (problemIndex, seed, n, more, temperature) => {
      const problem = problems[problemIndex]!
      const base = { messages: problem.messages, maxTokens: 4096, temperature, seed }
      const few = texts({ ...base, n })
      const many = texts({ ...base, n: n + more })
      expect(many.slice(0, n)).toEqual(few)
      expect(texts({ ...base, n })).toEqual(few)
    }
  )

  test.prop([fc.integer({ min: 0, max: 29 }), fc.integer(), fc.integer()], { numRuns: runs })(
    "greedy decoding (temperature 0) gives one answer whatever the seed and index",
    (problemIndex, seed, otherSeed) => {
      const problem = problems[problemIndex]!
      const first = texts({ messages: problem.messages, maxTokens: 4096, temperature: 0, seed, n: 3 })
      const second = texts({ messages: problem.messages, maxTokens: 4096, temperature: 0, seed: otherSeed, n: 1 })
      expect(new Set([...first, ...second]).size).toBe(1)
    }
  )

  it("different world seeds are different models over the same problems", () => {
    const other = World.make(Presets.calibrated, { seed: 4 })
    const request = { messages: problems[0]!.messages, maxTokens: 4096, temperature: 1, seed: 1, n: 16 }
    expect(texts(request)).not.toEqual(Effect.runSync(other.languageModel.generate(request)).map((completion) => `${completion.finishReason}:${completion.text}`))
  })
})
