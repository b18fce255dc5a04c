import { Effect, Fiber } from "effect"
import type { Scope } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { LanguageModelError } from "@stepwise/core"
import { LanguageModel, Message, Usage } from "@stepwise/core"
import * as TestCase from "./TestCase.js"

/**
 * The backend conformance suite: what every `LanguageModel` backend must do, as named test cases — request →
 * completions (count, indices, finish reasons), `n`, stop strings, the token limit (`length`) and ending on its own
 * (`eos`/`stop`), usage that is made of counts and honours the granted limit, logprobs when it says it has them,
 * typed errors, interruption that releases the reservation, and reproducible seeded requests where claimed.
 *
 * @example
 * Vitest.register({ describe, it }, "my backend", Backend.cases({ name: "mine", make: Mine.make(options) }))
 */
export interface Subject {
  readonly name: string
  /** Makes a fresh backend for each case (scoped: released when the case ends). */
  readonly make: Effect.Effect<LanguageModel.Service, unknown, Scope.Scope>
  /** A prompt the backend answers with more than one token and, for the stop case, with a `stop` in it. */
  readonly messages?: ReadonlyArray<Message.Message>
  /** A string the answer to `messages` contains, to see stopping (default `"\n\n"`); `false` when none is known. */
  readonly stop?: string | false
  /** When set, the answer to `messages` ends on its own (eos or stop) within this many tokens. */
  readonly endsWithin?: number
  /** True when asking for logprobs returns them (default false: asking must then still not fail). */
  readonly logprobs?: boolean
  /** True when a seeded request gives the same texts every time (default false). */
  readonly seeded?: boolean
  /** Backends of the same kind that fail, and the typed error each must fail with (never a defect). */
  readonly failing?: ReadonlyArray<{ readonly label: string; readonly make: Effect.Effect<LanguageModel.Service, unknown, Scope.Scope>; readonly error: LanguageModelError["_tag"] }>
}

const defaultMessages: ReadonlyArray<Message.Message> = [
  Message.system("Solve the problem step by step. Separate steps with a blank line and end with \\boxed{answer}."),
  Message.user("What is 2 + 3?")
]

const finishReasons: ReadonlySet<string> = new Set(["stop", "length", "eos"])

/** The suite's cases for a backend. */
export const cases = (subject: Subject): ReadonlyArray<TestCase.TestCase> => {
  const suite = `backend ${subject.name}`
  const check = (holds: boolean, detail: string) => TestCase.check(suite, holds, detail)
  const messages = subject.messages ?? defaultMessages
  const request = (extra: Partial<LanguageModel.GenerateRequest> = {}): LanguageModel.GenerateRequest => ({ messages, n: 1, maxTokens: 64, temperature: 0, ...extra })
  const make = (name: string, body: (model: LanguageModel.Service) => Effect.Effect<void, unknown, Scope.Scope>) =>
    TestCase.make(suite, name, () => Effect.flatMap(subject.make, body))
  const counted = (usage: Usage.Usage) => Usage.invalidCount(usage) === undefined

  const all: Array<TestCase.TestCase> = [
    make("is built through LanguageModel.make (its calls are metered)", (model) => check(LanguageModel.isMetered(model), "the service did not come from LanguageModel.make")),

    make("returns n completions indexed 0..n-1, each with text and a finish reason", (model) =>
      Effect.gen(function* () {
        for (const n of [1, 3]) {
          const completions = yield* model.generate(request({ n, temperature: 0.8, seed: 1 }))
          yield* check(completions.length === n, `asked for ${n} completions, got ${completions.length}`)
          yield* check(
            completions.every((completion, index) => completion.index === index),
            `indices ${completions.map((completion) => completion.index).join(", ")}, expected 0..${n - 1}`
          )
          for (const completion of completions) {
            yield* check(typeof completion.text === "string", `completion ${completion.index}: text is ${typeof completion.text}`)
            yield* check(finishReasons.has(completion.finishReason), `completion ${completion.index}: finish reason ${String(completion.finishReason)}`)
          }
        }
      })
    ),

    make("reports usage as counts (finite, ≥ 0, or unknown) and is charged exactly what it reports", (model) =>
      Effect.gen(function* () {
        const accountant = yield* Accountant.make({})
        const completions = yield* Accountant.provide(accountant)(model.generate(request({ n: 2, temperature: 0.8, seed: 3 })))
        for (const completion of completions) yield* check(counted(completion.usage), `completion ${completion.index}: usage ${JSON.stringify(completion.usage)}`)
        const usage = Usage.sum(completions.map((completion) => completion.usage))
        const snapshot = yield* accountant.snapshot
        yield* check(snapshot.reserved.totalTokens === 0, `${snapshot.reserved.totalTokens} tokens still reserved after the call`)
        if (usage.outputTokens !== undefined && (usage.unreported?.outputTokens ?? 0) === 0)
          yield* check(snapshot.spent.outputTokens === usage.outputTokens, `charged ${snapshot.spent.outputTokens} output tokens, reported ${usage.outputTokens}`)
      })
    ),

    make("honours the granted token limit: never more output tokens than the meter allowed", (model) =>
      Effect.gen(function* () {
        const accountant = yield* Accountant.make({ outputTokens: 3 })
        const completions = yield* Accountant.provide(accountant)(model.generate(request({ maxTokens: 64 })))
        for (const completion of completions)
          if (completion.usage.outputTokens !== undefined)
            yield* check(completion.usage.outputTokens <= 3, `granted 3 output tokens, the backend reported ${completion.usage.outputTokens}`)
        const snapshot = yield* accountant.snapshot
        yield* check(snapshot.overrun.outputTokens === 0, `${snapshot.overrun.outputTokens} output tokens above the granted limit`)
      })
    ),

    make('stops at the token limit with finish reason "length"', (model) =>
      Effect.gen(function* () {
        const [completion] = yield* model.generate(request({ maxTokens: 1 }))
        yield* check(completion !== undefined, "no completion")
        yield* check(completion?.finishReason === "length", `maxTokens 1 ended with "${completion?.finishReason}"`)
        const output = completion?.usage.outputTokens
        yield* check(output === undefined || output <= 1, `maxTokens 1, reported ${output} output tokens`)
      })
    ),

    make("never returns a stop string, and ends there with finish reason \"stop\"", (model) =>
      Effect.gen(function* () {
        const stop = subject.stop === false ? "\u0000never\u0000" : (subject.stop ?? "\n\n")
        const completions = yield* model.generate(request({ n: 2, temperature: 0.8, seed: 5, stop: [stop], maxTokens: 256 }))
        for (const completion of completions)
          yield* check(!completion.text.includes(stop), `completion ${completion.index} contains the stop string ${JSON.stringify(stop)}: ${JSON.stringify(completion.text.slice(0, 80))}`)
        if (subject.stop !== false)
          yield* check(
            completions.some((completion) => completion.finishReason === "stop"),
            `no completion ended at the stop string ${JSON.stringify(stop)} (finish reasons ${completions.map((completion) => completion.finishReason).join(", ")})`
          )
      })
    ),

    make("refuses a malformed request with InvalidRequest naming the field", (model) =>
      Effect.gen(function* () {
        for (const [field, bad] of [["n", { n: 0 }], ["maxTokens", { maxTokens: 0 }], ["topP", { topP: 2 }]] as const) {
          const error = yield* Effect.flip(model.generate(request(bad)))
          yield* check(error._tag === "InvalidRequest" && error.field === field, `${JSON.stringify(bad)} failed with ${error._tag} ${error.message}`)
        }
      })
    ),

    make("releases its reservation when interrupted", (model) =>
      Effect.gen(function* () {
        const accountant = yield* Accountant.make({ outputTokens: 10_000 })
        const fiber = yield* Effect.forkChild(Accountant.provide(accountant)(model.generate(request({ n: 2, maxTokens: 128 }))))
        yield* Fiber.interrupt(fiber)
        const snapshot = yield* accountant.snapshot
        yield* check(snapshot.reserved.outputTokens === 0 && snapshot.reserved.inputTokens === 0, `reserved after the interruption: ${JSON.stringify(snapshot.reserved)}`)
      })
    ),

    make(subject.logprobs === true ? "returns token logprobs when asked: finite, ≤ 0, top alternatives sorted" : "accepts a request for logprobs", (model) =>
      Effect.gen(function* () {
        const completions = yield* model.generate(request({ maxTokens: 4, topLogprobs: 3 }))
        if (subject.logprobs !== true) return
        for (const completion of completions) {
          const logprobs = completion.logprobs
          yield* check(logprobs !== undefined && logprobs.length > 0, `completion ${completion.index} has no logprobs`)
          for (const position of logprobs ?? []) {
            yield* check(position.logprob <= 0 && !Number.isNaN(position.logprob), `logprob ${position.logprob} of ${JSON.stringify(position.token)}`)
            yield* check(position.top.length <= 3, `${position.top.length} top alternatives, asked for 3`)
            yield* check(
              position.top.every((alternative, index) => index === 0 || alternative.logprob <= (position.top[index - 1]?.logprob ?? 0)),
              `top alternatives not sorted: ${JSON.stringify(position.top)}`
            )
          }
        }
      })
    )
  ]

  if (subject.endsWithin !== undefined) {
    const within = subject.endsWithin
    all.push(
      make(`ends on its own (finish reason "eos" or "stop") within ${within} tokens`, (model) =>
        Effect.gen(function* () {
          const [completion] = yield* model.generate(request({ maxTokens: within }))
          yield* check(completion?.finishReason === "eos" || completion?.finishReason === "stop", `ended with "${completion?.finishReason}"`)
          const output = completion?.usage.outputTokens
          yield* check(output === undefined || output <= within, `reported ${output} output tokens, limit ${within}`)
        })
      )
    )
  }

  if (subject.seeded === true)
    all.push(
      make("gives the same samples for the same seeded request", (model) =>
        Effect.gen(function* () {
          const asked = request({ n: 2, temperature: 0.8, seed: 11 })
          const first = yield* model.generate(asked)
          const second = yield* model.generate(asked)
          yield* check(
            JSON.stringify(first.map((completion) => completion.text)) === JSON.stringify(second.map((completion) => completion.text)),
            "two runs of one seeded request differ"
          )
        })
      )
    )

  for (const failing of subject.failing ?? [])
    all.push(
      TestCase.make(suite, `fails with ${failing.error} when ${failing.label}`, () =>
        Effect.gen(function* () {
          const model = yield* failing.make
          const error = yield* Effect.flip(model.generate(request()))
          yield* check(error._tag === failing.error, `failed with ${error._tag}: ${error.message}`)
        })
      )
    )
  return all
}
