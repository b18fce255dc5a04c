import { Effect } from "effect"
import type { Problem } from "@stepwise/core"
import { Answer, LanguageModel, Step, Trajectory } from "@stepwise/core"

/** A sampled full solution as a finished trajectory, with its final answer. */
export interface Sample {
  readonly problem: Problem.Problem
  readonly trajectory: Trajectory.Trajectory
  readonly answer: string | undefined
}

/**
 * Samples `n` full solutions per problem from a policy (generate to the end, split into steps on "\n\n"),
 * as the step protocol describes.
 */
export const solutions = (
  languageModel: LanguageModel.Service,
  problems: ReadonlyArray<Problem.Problem>,
  n: number,
  seed = 1
): Effect.Effect<ReadonlyArray<Sample>, unknown> =>
  Effect.map(
    Effect.forEach(problems, (problem) =>
      Effect.map(languageModel.generate({ messages: problem.messages, n, maxTokens: 2048, temperature: 0.8, seed }), (completions) =>
        completions.map((completion) => {
          const texts = completion.text.split("\n\n").filter((text) => text.length > 0)
          const steps = texts.map((text, index) => Step.make({ text, finishReason: index === texts.length - 1 ? completion.finishReason : "stop" }))
          return { problem, trajectory: Trajectory.fromSteps(steps, { finished: true }), answer: Answer.extractBoxed(completion.text) }
        })
      )
    ),
    (groups) => groups.flat()
  )

/** Area under the ROC curve of scores for positives against negatives (ties count half). */
export const auroc = (positives: ReadonlyArray<number>, negatives: ReadonlyArray<number>): number => {
  let wins = 0
  for (const positive of positives) for (const negative of negatives) wins += positive > negative ? 1 : positive === negative ? 0.5 : 0
  return wins / (positives.length * negatives.length)
}
