import { Effect } from "effect"
import type { LanguageModelError, Problem, Trajectory } from "@stepwise/core"
import { LanguageModel, ProcessRewardModel, Trajectory as Trajectories, Usage } from "@stepwise/core"

/**
 * A language model that answers from a function of the request and sample index, built through the real
 * `LanguageModel.make` so metering, validation and retries apply. Counts one token per character.
 */
export const languageModel = (
  respond: (request: LanguageModel.GenerateRequest, index: number) => string | LanguageModelError,
  options: LanguageModel.MakeOptions & {
    readonly name?: string
    /** Waits this long (on the Clock) inside every call. */
    readonly delayMillis?: number
    /** Told when a call enters (true) and leaves (false), to watch concurrency. */
    readonly onCall?: (entering: boolean) => void
  } = {}
): LanguageModel.Service & { readonly calls: () => number } => {
  let calls = 0
  const watched = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> => {
    const delayed = options.delayMillis === undefined || options.delayMillis === 0 ? effect : Effect.andThen(Effect.sleep(options.delayMillis), effect)
    const onCall = options.onCall
    return onCall === undefined
      ? delayed
      : Effect.acquireUseRelease(
          Effect.sync(() => onCall(true)),
          () => delayed,
          () => Effect.sync(() => onCall(false))
        )
  }
  const inputTokensOf = (request: LanguageModel.GenerateRequest) =>
    request.messages.reduce((total, message) => total + message.content.length, 0) + (request.prefix?.length ?? 0)
  const service = LanguageModel.make(
    {
      info: { name: options.name ?? "scripted" },
      countInputTokens: inputTokensOf,
      generate: (request) =>
        watched(Effect.suspend(() => {
          calls++
          const completions: Array<LanguageModel.Completion> = []
          for (let index = 0; index < request.n; index++) {
            const answer = respond(request, index)
            if (typeof answer !== "string") return Effect.fail(answer)
            const truncated = answer.length > request.maxTokens
            const text = truncated ? answer.slice(0, request.maxTokens) : answer
            completions.push({
              index,
              text,
              finishReason: truncated ? "length" : "stop",
              usage: Usage.make({
                inputTokens: index === 0 ? inputTokensOf(request) : 0,
                outputTokens: text.length,
                cachedInputTokens: 0
              })
            })
          }
          return Effect.succeed(completions)
        }))
    },
    options
  )
  return { ...service, calls: () => calls }
}

/** A verifier that scores each step with a function of the problem and the step texts, built through the real `make`. */
export const verifier = (
  scoreStep: (problem: Problem.Problem, stepTexts: ReadonlyArray<string>, index: number) => number,
  options: { readonly name?: string; readonly tokensPerCall?: number } = {}
): ProcessRewardModel.Service =>
  ProcessRewardModel.make({
    info: { name: options.name ?? "scripted-verifier" },
    maxTokens: () => options.tokensPerCall ?? 0,
    score: (problem: Problem.Problem, trajectory: Trajectory.Trajectory) =>
      Effect.sync(() => {
        const texts = Trajectories.stepTexts(trajectory)
        return {
          stepScores: texts.map((_, index) => scoreStep(problem, texts, index)),
          usage: Usage.make({ inputTokens: options.tokensPerCall ?? 0, outputTokens: 0 })
        }
      })
  })
