import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { LanguageModel, Usage } from "@stepwise/core"
import { Backend, TestCase, Vitest } from "../src/index.js"

/** A well-behaved backend: its answer is six pieces, one token each, and it honours maxTokens and stop strings. */
const words = ["Step one.", " More.", "\n\n", "Done.", " Really.", " End."]

const backend = (faults: { readonly ignoreGrant?: boolean; readonly keepStop?: boolean; readonly dropOne?: boolean; readonly alwaysEos?: boolean } = {}) =>
  LanguageModel.make({
    info: { name: "words" },
    countInputTokens: () => 5,
    generate: (request) =>
      Effect.sync(() => {
        const count = faults.dropOne === true && request.n > 1 ? request.n - 1 : request.n
        return Array.from({ length: count }, (_, index) => {
          let text = ""
          let tokens = 0
          let finishReason: LanguageModel.Completion["finishReason"] = "eos"
          for (const word of words) {
            if (tokens >= request.maxTokens && faults.ignoreGrant !== true) {
              finishReason = "length"
              break
            }
            if (faults.keepStop !== true && (request.stop ?? []).includes(word)) {
              finishReason = "stop"
              break
            }
            text += word
            tokens++
          }
          return {
            index,
            text,
            finishReason: faults.alwaysEos === true ? ("eos" as const) : finishReason,
            usage: Usage.make({ inputTokens: index === 0 ? 5 : 0, outputTokens: tokens, cachedInputTokens: 0 })
          }
        })
      })
  })

const outcomes = async (subject: Backend.Subject) => {
  const results = new Map<string, boolean>()
  for (const testCase of Backend.cases(subject)) results.set(testCase.name, await testCase.run().then(() => true, () => false))
  return results
}

const failedOf = async (subject: Backend.Subject) => [...(await outcomes(subject)).entries()].filter(([, passed]) => !passed).map(([name]) => name)

describe("the backend conformance suite", () => {
  it("passes a backend that keeps the contract", async () => {
    expect(await failedOf({ name: "words", make: Effect.succeed(backend()), endsWithin: 8, seeded: true })).toEqual([])
  })

  it("catches a backend that ignores the granted limit", async () => {
    expect(await failedOf({ name: "greedy", make: Effect.succeed(backend({ ignoreGrant: true })) })).toEqual(
      expect.arrayContaining(["honours the granted token limit: never more output tokens than the meter allowed", 'stops at the token limit with finish reason "length"'])
    )
  })

  it("catches one that returns the stop string, one that drops a sample, one that never says length", async () => {
    expect(await failedOf({ name: "stops", make: Effect.succeed(backend({ keepStop: true })) })).toEqual(['never returns a stop string, and ends there with finish reason "stop"'])
    expect(await failedOf({ name: "drops", make: Effect.succeed(backend({ dropOne: true })) })).toContain("returns n completions indexed 0..n-1, each with text and a finish reason")
    expect(await failedOf({ name: "eos", make: Effect.succeed(backend({ alwaysEos: true })) })).toContain('stops at the token limit with finish reason "length"')
  })

  it("catches a hand-built service, with a ConformanceFailure that says why", async () => {
    const made = backend()
    const handBuilt = { ...made, generate: (request: LanguageModel.GenerateRequest) => made.generate(request) }
    const [metered] = Backend.cases({ name: "hand-built", make: Effect.succeed(handBuilt) })
    await expect(metered?.run()).rejects.toBeInstanceOf(TestCase.ConformanceFailure)
    await expect(metered?.run()).rejects.toThrow(/LanguageModel.make/)
  })
})

// The one-call adapter, as a third party would use it.
Vitest.register({ describe, it }, "a well-behaved backend, registered with Vitest.register", Backend.cases({ name: "words", make: Effect.succeed(backend()) }))
