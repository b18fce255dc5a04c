import { Effect } from "effect"
import type { BudgetExhausted, InvalidOptions, Problem } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Trajectory, Usage, VerifierError } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ModelFailure from "./ModelFailure.js"
import * as ModelVerifier from "./ModelVerifier.js"
import * as OptionCheck from "./OptionCheck.js"

/**
 * A token-logit PRM read through any `LanguageModel` (chat completions with logprobs): step k's score is
 * P("+") / (P("+") + P("-")) of the next token after steps 1..k, summing case and space variants.
 *
 * Styles (as search-and-learn serves them):
 * - `rlhflow` (default): the conversation alternates user turns and assistant "+" turns — the question and
 *   step 1 in the first user turn, then one user turn per step — and the score of step k is read as the next
 *   assistant token after the user turn holding step k.
 * - `math-shepherd`: one user message with the question, and an assistant prefix holding steps 1..k, each
 *   earlier step followed by the step tag and the delimiter (` ки` and `\n\n` by default), step k followed by
 *   `tagLead` (default " "); the score is read as the next token, where the tag would stand.
 *
 * One request per step (maxTokens 1, temperature 0, `topLogprobs`), `concurrency` at once. When neither
 * side appears among the top alternatives, the step scores `whenMissing` (default: fail with `VerifierError`).
 * Causal: step k's score depends on steps 1..k only, so `PrefixCache` may reuse prefixes.
 *
 * Spend: built through `ProcessRewardModel.make` with `tokensMeteredInside: true`.
 *
 * @example
 * const prm = yield* TokenLogitPrm.make({ languageModel, style: "math-shepherd" })
 */
export interface Options {
  readonly languageModel: LanguageModel.Service
  readonly style?: "rlhflow" | "math-shepherd"
  /** Positive and negative spellings (default "+" against "-" and "−"). */
  readonly sides?: BinaryChoice.Sides
  /** The step tag of `math-shepherd` (default "ки"). */
  readonly stepTag?: string
  /** What separates a tagged step from the next in `math-shepherd` (default "\n\n"). */
  readonly delimiter?: string
  /** What follows the step being scored in `math-shepherd`, before the tag's position (default " "). */
  readonly tagLead?: string
  /** Top alternatives asked (default 20). */
  readonly topLogprobs?: number
  /** Score when neither side is among the alternatives, or "fail" (default). */
  readonly whenMissing?: number | "fail"
  /** Step requests in flight at once (default 8). */
  readonly concurrency?: number
  readonly name?: string
}

/** The request that reads step `step`'s score (1-based), for a style. */
export const request = (
  problemQuestion: string,
  stepTexts: ReadonlyArray<string>,
  step: number,
  options: Pick<Options, "style" | "stepTag" | "delimiter" | "tagLead" | "topLogprobs"> = {}
): LanguageModel.GenerateRequest => {
  const shared = { n: 1, maxTokens: 1, temperature: 0, topLogprobs: options.topLogprobs ?? 20 }
  const steps = stepTexts.slice(0, step)
  if ((options.style ?? "rlhflow") === "rlhflow") {
    const messages: Array<Message.Message> = []
    steps.forEach((text, index) => {
      if (index > 0) messages.push(Message.assistant("+"))
      messages.push(Message.user(index === 0 ? `${problemQuestion} ${text}` : text))
    })
    return { messages, ...shared }
  }
  const tag = options.stepTag ?? "ки"
  const delimiter = options.delimiter ?? "\n\n"
  const earlier = steps.slice(0, -1).map((text) => `${text} ${tag}${delimiter}`).join("")
  return { messages: [Message.user(problemQuestion)], prefix: earlier + (steps[steps.length - 1] ?? "") + (options.tagLead ?? " "), ...shared }
}

/** Makes the PRM (validated options), built through `ProcessRewardModel.make`. */
export const make = (options: Options): Effect.Effect<ProcessRewardModel.Service, InvalidOptions> =>
  Effect.gen(function* () {
    const subject = "TokenLogitPrm"
    yield* OptionCheck.require(subject, "languageModel", typeof options.languageModel?.generate === "function", "must be a LanguageModel.Service")
    yield* OptionCheck.require(subject, "style", options.style === undefined || options.style === "rlhflow" || options.style === "math-shepherd", `must be "rlhflow" or "math-shepherd"`)
    yield* OptionCheck.integerAtLeast(subject, "topLogprobs", options.topLogprobs, 2)
    yield* OptionCheck.integerAtLeast(subject, "concurrency", options.concurrency, 1)
    yield* OptionCheck.require(
      subject,
      "whenMissing",
      options.whenMissing === undefined || options.whenMissing === "fail" || (typeof options.whenMissing === "number" && options.whenMissing >= 0 && options.whenMissing <= 1),
      `must be "fail" or a number in [0, 1]`
    )
    yield* OptionCheck.require(
      subject,
      "sides",
      options.sides === undefined || (options.sides.positive.length > 0 && options.sides.negative.length > 0),
      "must name at least one positive and one negative spelling"
    )
    const model = options.languageModel
    const sides = options.sides ?? BinaryChoice.plusMinus
    const name = options.name ?? `token-logit-prm(${options.style ?? "rlhflow"})`
    const scoreStep = (problem: Problem.Problem, stepTexts: ReadonlyArray<string>, step: number) =>
      Effect.flatMap(model.generate(request(problem.question, stepTexts, step, options)), (completions) => {
        const usage = Usage.sum(completions.map((completion) => completion.usage))
        const position = completions[0]?.logprobs?.[0]
        const probability = position === undefined ? undefined : BinaryChoice.probability(position, sides)
        if (probability !== undefined) return Effect.succeed({ score: probability, usage })
        if (typeof options.whenMissing === "number") return Effect.succeed({ score: options.whenMissing, usage })
        return Effect.fail(
          new VerifierError({
            verifier: name,
            detail: `step ${step}: no ${sides.positive.join("/")} or ${sides.negative.join("/")} among the top logprobs`
          })
        )
      })
    const score = (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<ProcessRewardModel.Scoring, VerifierError | BudgetExhausted> =>
      Effect.gen(function* () {
        const stepTexts = Trajectory.stepTexts(trajectory)
        const results = yield* Effect.forEach(stepTexts, (_, index) => scoreStep(problem, stepTexts, index + 1), {
          concurrency: options.concurrency ?? 8
        })
        return { stepScores: results.map((result) => result.score), usage: Usage.sum(results.map((result) => result.usage)) }
      }).pipe(ModelFailure.asVerifierError(name))
    return ProcessRewardModel.make({ info: { name }, score, tokensMeteredInside: true })
  })

/** A layer serving the PRM as the `ProcessRewardModel`, over the `LanguageModel` in context. */
export const layer = ModelVerifier.layer(make)
