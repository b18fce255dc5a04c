import { Effect } from "effect"
import type { BudgetExhausted, InvalidOptions, Problem, VerifierError } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ModelFailure from "./ModelFailure.js"
import * as ModelVerifier from "./ModelVerifier.js"
import * as OptionCheck from "./OptionCheck.js"
import * as VerdictParser from "./VerdictParser.js"

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
export interface Options {
  readonly languageModel: LanguageModel.Service
  /** `yes-no` (default) or `scale` (0–10). */
  readonly mode?: VerdictParser.Mode
  /** `step` (default) or `solution`. */
  readonly granularity?: "step" | "solution"
  /** Output-token limit of each answer (default 16). */
  readonly maxTokens?: number
  /** Sampling temperature (default 0). */
  readonly temperature?: number
  /** Top alternatives asked for the first token in `yes-no` mode (default 5; 0 turns logprobs off). */
  readonly topLogprobs?: number
  /** Score of an unparsable answer (default 0.5). */
  readonly fallbackScore?: number
  /** Step requests in flight at once (default 8). */
  readonly concurrency?: number
  readonly name?: string
}

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

/** Makes the judge (validated options), built through `ProcessRewardModel.make`. */
export const make = (options: Options): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    const subject = "Judge"
    yield* OptionCheck.require(subject, "languageModel", typeof options.languageModel?.generate === "function", "must be a LanguageModel.Service")
    yield* OptionCheck.require(subject, "mode", options.mode === undefined || options.mode === "yes-no" || options.mode === "scale", `must be "yes-no" or "scale"`)
    yield* OptionCheck.require(subject, "granularity", options.granularity === undefined || options.granularity === "step" || options.granularity === "solution", `must be "step" or "solution"`)
    yield* OptionCheck.integerAtLeast(subject, "maxTokens", options.maxTokens, 1)
    yield* OptionCheck.within(subject, "temperature", options.temperature, 0, 10)
    yield* OptionCheck.integerAtLeast(subject, "topLogprobs", options.topLogprobs, 0)
    yield* OptionCheck.within(subject, "fallbackScore", options.fallbackScore, 0, 1)
    yield* OptionCheck.integerAtLeast(subject, "concurrency", options.concurrency, 1)
    const model = options.languageModel
    const mode = options.mode ?? "yes-no"
    const granularity = options.granularity ?? "step"
    const topLogprobs = options.topLogprobs ?? 5
    const fallbackScore = options.fallbackScore ?? 0.5
    const name = options.name ?? `judge(${mode}, ${granularity})`
    const ask = (message: Message.Message) =>
      Effect.map(
        model.generate({
          messages: [message],
          n: 1,
          maxTokens: options.maxTokens ?? 16,
          temperature: options.temperature ?? 0,
          ...(mode === "yes-no" && topLogprobs > 0 ? { topLogprobs } : {})
        }),
        (completions) => ({ score: scoreCompletion(completions[0], mode, fallbackScore), usage: Usage.sum(completions.map((completion) => completion.usage)) })
      )
    const score = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<ProcessRewardModel.Scoring, VerifierError | BudgetExhausted> =>
      Effect.gen(function* () {
        const stepTexts = Trajectory.stepTexts(trajectory)
        if (stepTexts.length === 0) return { stepScores: [], usage: Usage.zero }
        if (granularity === "solution") {
          const verdict = yield* ask(prompt(problem.question, stepTexts, mode))
          return { stepScores: stepTexts.map(() => verdict.score), usage: verdict.usage }
        }
        const verdicts = yield* Effect.forEach(stepTexts, (_, index) => ask(prompt(problem.question, stepTexts, mode, index + 1)), {
          concurrency: options.concurrency ?? 8
        })
        return { stepScores: verdicts.map((verdict) => verdict.score), usage: Usage.sum(verdicts.map((verdict) => verdict.usage)) }
      }).pipe(ModelFailure.asVerifierError(name))
    return ProcessRewardModel.make({ info: { name }, score, tokensMeteredInside: true })
  })

/** A layer serving the judge as the `ProcessRewardModel`, over the `LanguageModel` in context. */
export const layer = ModelVerifier.layer(make)
