import { Effect } from "effect"
import { z } from "zod"
import type { BudgetExhausted, Problem } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Trajectory, Usage, VerifierError } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ModelFailure from "./internal/ModelFailure.js"
import * as ModelVerifier from "./internal/ModelVerifier.js"
import * as Verifier from "./Verifier.js"

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
export const options = z
  .object({
    style: z.enum(["rlhflow", "math-shepherd"]).default("rlhflow").describe("How the steps are laid out (see the module doc)."),
    sides: z
      .object({ positive: z.array(z.string()).min(1), negative: z.array(z.string()).min(1) })
      .strict()
      .default({ positive: [...BinaryChoice.plusMinus.positive], negative: [...BinaryChoice.plusMinus.negative] })
      .describe('Positive and negative spellings (default "+" against "-" and "−").'),
    stepTag: z.string().min(1).default("ки").describe("The step tag of math-shepherd."),
    delimiter: z.string().default("\n\n").describe("What separates a tagged step from the next in math-shepherd."),
    tagLead: z.string().default(" ").describe("What follows the step being scored in math-shepherd, before the tag's position."),
    topLogprobs: z.number().int().min(2).default(20).describe("Top alternatives asked."),
    whenMissing: z
      .union([z.number().min(0).max(1), z.literal("fail")])
      .default("fail")
      .describe('Score when neither side is among the alternatives, or "fail".'),
    concurrency: z.number().int().min(1).default(8).describe("Step requests in flight at once."),
    name: z.string().min(1).optional().describe("Name reported to traces and the accountant (default token-logit-prm(style))."),
    backend: Verifier.backendOption
  })
  .strict()

/** Options as a user writes them (every field optional), for code: plus the model to read with. */
export type Options = Omit<z.input<typeof options>, "backend"> & { readonly languageModel: LanguageModel.Service }

/** The layout settings of `request` (defaults as in `options`). */
export interface Layout {
  readonly style?: "rlhflow" | "math-shepherd" | undefined
  readonly stepTag?: string | undefined
  readonly delimiter?: string | undefined
  readonly tagLead?: string | undefined
  readonly topLogprobs?: number | undefined
}

/** The request that reads step `step`'s score (1-based), for a style. */
export const request = (
  problemQuestion: string,
  stepTexts: ReadonlyArray<string>,
  step: number,
  options: Layout = {}
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

/** The token-logit PRM's entry of the verifier registry, built through `ProcessRewardModel.make`. */
export const entry = Verifier.generative({
  kind: "token-logit-prm",
  description: 'A token-logit PRM read through chat logprobs: P("+") / (P("+") + P("-")) after each step (RLHFlow or Math-Shepherd layout).',
  options,
  // Every request needs logprobs; math-shepherd's requests continue an assistant prefix.
  needsLogprobs: (settings) => (settings.style === "math-shepherd" ? "continuing" : "plain"),
  build: (settings, model) => {
    const sides: BinaryChoice.Sides = settings.sides
    const name = settings.name ?? `token-logit-prm(${settings.style})`
    const scoreStep = (problem: Problem.Problem, stepTexts: ReadonlyArray<string>, step: number) =>
      Effect.flatMap(model.generate(request(problem.question, stepTexts, step, settings)), (completions) => {
        const usage = Usage.sum(completions.map((completion) => completion.usage))
        const position = completions[0]?.logprobs?.[0]
        const probability = position === undefined ? undefined : BinaryChoice.probability(position, sides)
        if (probability !== undefined) return Effect.succeed({ score: probability, usage })
        if (typeof settings.whenMissing === "number") return Effect.succeed({ score: settings.whenMissing, usage })
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
          concurrency: settings.concurrency
        })
        return { stepScores: results.map((result) => result.score), usage: Usage.sum(results.map((result) => result.usage)) }
      }).pipe(ModelFailure.asVerifierError(name))
    return ProcessRewardModel.make({ info: { name }, score, tokensMeteredInside: true })
  }
})

/**
 * Makes the PRM over a model (options validated; defaults filled in).
 *
 * @example
 * const prm = yield* TokenLogitPrm.make({ languageModel, style: "math-shepherd" })
 */
export const make = Verifier.generativeMaker(entry)

/** A layer serving the PRM as the `ProcessRewardModel`, over the `LanguageModel` in context. */
export const layer = ModelVerifier.layer(make)
