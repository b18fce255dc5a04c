import { Effect } from "effect"
import { z } from "zod"
import type { BudgetExhausted, Problem, VerifierError } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ModelFailure from "./internal/ModelFailure.js"
import * as ModelVerifier from "./internal/ModelVerifier.js"
import * as VerdictParser from "./VerdictParser.js"
import * as Verifier from "./Verifier.js"

/**
 * A pointwise LLM judge over any `LanguageModel`: asks whether a step (or the whole solution) is correct,
 * answering yes/no, or grades it 0–10.
 *
 * - `granularity: "step"` (default): one request per step, judging step k given steps 1..k−1; step k's score is
 *   its verdict. Causal, so it suits `PrefixCache` with prefixes.
 * - `granularity: "solution"`: one request judging the whole trajectory; every step gets that score. Not
 *   causal: cache it with `prefixes: false`.
 * Reading a verdict: in `yes-no` mode, P(yes) / (P(yes) + P(no)) from the first token's top logprobs when the
 * model returns them (case and space variants summed), else the parsed text (yes 1, no 0); in `scale` mode, the
 * parsed grade / 10. An unparsable answer scores `fallbackScore` (default 0.5).
 *
 * Spend: built through `ProcessRewardModel.make` with `tokensMeteredInside: true`: one verifier call per score,
 * its model tokens metered once, as verifier tokens.
 *
 * @example
 * const judge = yield* Judge.make({ languageModel, mode: "scale", granularity: "solution" })
 */
export const options = z
  .object({
    mode: z.enum(["yes-no", "scale"]).default("yes-no").describe("yes-no: P(yes) or the parsed answer; scale: a 0–10 grade / 10."),
    granularity: z.enum(["step", "solution"]).default("step").describe("Judge each step given the ones before it, or the whole solution once."),
    maxTokens: z.number().int().min(1).default(16).describe("Output-token limit of each answer."),
    temperature: z.number().min(0).max(10).default(0).describe("Sampling temperature."),
    topLogprobs: z.number().int().min(0).default(5).describe("Top alternatives asked for the first token in yes-no mode (0 turns logprobs off)."),
    fallbackScore: z.number().min(0).max(1).default(0.5).describe("Score of an unparsable answer."),
    concurrency: z.number().int().min(1).default(8).describe("Step requests in flight at once."),
    name: z.string().min(1).optional().describe("Name reported to traces and the accountant (default judge(mode, granularity))."),
    backend: Verifier.backendOption
  })
  .strict()

/** Options as a user writes them (every field optional), for code: plus the model to read with. */
export type Options = Omit<z.input<typeof options>, "backend"> & { readonly languageModel: LanguageModel.Service }

const solutionText = (stepTexts: ReadonlyArray<string>): string =>
  stepTexts.map((text, index) => `Step ${index + 1}: ${text.replace(/\r?\n/g, " ")}`).join("\n")

const question = (mode: VerdictParser.Mode, subject: string): string =>
  mode === "yes-no"
    ? `Is ${subject} correct? Answer with yes or no.`
    : `Rate the correctness of ${subject} from 0 (completely wrong) to 10 (completely correct). Answer with a single integer.`

/**
 * The judge's prompt: one user message with the problem, the solution (steps numbered "Step i:") and the question.
 * `step` is 1-based; without it the whole solution is judged.
 */
export const prompt = (problemQuestion: string, stepTexts: ReadonlyArray<string>, mode: VerdictParser.Mode, step?: number): Message.Message =>
  Message.user(
    "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\n" +
      problemQuestion +
      "\n\n[Solution]\n\n" +
      solutionText(step === undefined ? stepTexts : stepTexts.slice(0, step)) +
      "\n\n" +
      question(mode, step === undefined ? "the solution" : `Step ${step}, given the steps before it`)
  )

/** The score of one judge completion, by the documented rules. */
export const scoreCompletion = (
  completion: LanguageModel.Completion | undefined,
  mode: VerdictParser.Mode,
  fallbackScore: number
): number => {
  const position = completion?.logprobs?.[0]
  if (mode === "yes-no" && position !== undefined) {
    const probability = BinaryChoice.probability(position, BinaryChoice.yesNo)
    if (probability !== undefined) return probability
  }
  return VerdictParser.scoreOf(VerdictParser.parse(completion?.text ?? "", mode)) ?? fallbackScore
}

/** The judge's entry of the verifier registry, built through `ProcessRewardModel.make`. */
export const entry = Verifier.generative({
  kind: "judge",
  description: "A pointwise LLM judge: yes/no (P(yes) from logprobs) or a 0–10 grade, per step or per solution.",
  options,
  build: (settings, model) => {
    const mode = settings.mode
    const name = settings.name ?? `judge(${mode}, ${settings.granularity})`
    const ask = (message: Message.Message) =>
      Effect.map(
        model.generate({
          messages: [message],
          n: 1,
          maxTokens: settings.maxTokens,
          temperature: settings.temperature,
          ...(mode === "yes-no" && settings.topLogprobs > 0 ? { topLogprobs: settings.topLogprobs } : {})
        }),
        (completions) => ({
          score: scoreCompletion(completions[0], mode, settings.fallbackScore),
          usage: Usage.sum(completions.map((completion) => completion.usage))
        })
      )
    const score = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<ProcessRewardModel.Scoring, VerifierError | BudgetExhausted> =>
      Effect.gen(function* () {
        const stepTexts = Trajectory.stepTexts(trajectory)
        if (stepTexts.length === 0) return { stepScores: [], usage: Usage.zero }
        if (settings.granularity === "solution") {
          const verdict = yield* ask(prompt(problem.question, stepTexts, mode))
          return { stepScores: stepTexts.map(() => verdict.score), usage: verdict.usage }
        }
        const verdicts = yield* Effect.forEach(stepTexts, (_, index) => ask(prompt(problem.question, stepTexts, mode, index + 1)), {
          concurrency: settings.concurrency
        })
        return { stepScores: verdicts.map((verdict) => verdict.score), usage: Usage.sum(verdicts.map((verdict) => verdict.usage)) }
      }).pipe(ModelFailure.asVerifierError(name))
    return ProcessRewardModel.make({ info: { name }, score, tokensMeteredInside: true })
  }
})

/**
 * Makes the judge over a model (options validated; defaults filled in).
 *
 * @example
 * const judge = yield* Judge.make({ languageModel, mode: "scale" })
 */
export const make = Verifier.generativeMaker(entry)

/** A layer serving the judge as the `ProcessRewardModel`, over the `LanguageModel` in context. */
export const layer = ModelVerifier.layer(make)
