import { Effect } from "effect"
import { z } from "zod"
import type { BudgetExhausted, Problem } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Trajectory, Usage, VerifierError } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ModelFailure from "./internal/ModelFailure.js"
import * as ModelVerifier from "./internal/ModelVerifier.js"
import * as Verifier from "./Verifier.js"

/**
 * A token-logit PRM read through any `LanguageModel` (logprobs of the next token): step k's score is
 * P("+") / (P("+") + P("-")) at the position the reference reads, each side's spellings matched by `matching`.
 *
 * Styles (as search-and-learn's `reward_models.py` serves them):
 * - `rlhflow` (default; RLHFlow's `Llama3.1-8B-PRM-*`): the conversation alternates user turns and assistant "+"
 *   turns — the question, a space and step 1 in the first user turn, then one user turn per step — and the score of
 *   step k is read at the first token of the assistant turn after the user turn holding step k (the reference
 *   renders the conversation through the chat template with a "+" there and reads the logits at position −3, the
 *   ones that predict that "+"). The request ends with the user turn of step k, so the backend's chat template
 *   opens the assistant turn and the next token is that position.
 * - `math-shepherd` (`peiyi9979/math-shepherd-mistral-7b-prm`): raw text, no chat template. The reference input is
 *   the header, a space, and the steps, each followed by " ки" (the step tag) and joined by the delimiter (`\n\n`,
 *   as search-and-learn replaces `\n\n` by ` ки\n\n`); the score of step k is P(" +") over {" +", " -"} (Mistral
 *   token ids 648, 387) in the logits at the k-th tag token, the prediction of the token after the tag. The request
 *   for step k is that text cut right after the k-th tag: the header as the one user message, and " " + the tagged
 *   steps 1..k as the assistant prefix, so the next token is the one the tag's logits predict (the model is causal,
 *   so nothing after the tag changes them). The header is the question (`header: "question"`, the model card's
 *   `f"{question} {output}"`, default) or search-and-learn's `system prompt + "\n" + question + "\n"`
 *   (`"system-and-question"`, the problem's system message). To send no chat template, serve the PRM through
 *   `/v1/completions` with the pass-through template `passThroughTemplate` (backend options
 *   `continuation: "completions"`, `chatTemplate`: a `.jinja` file holding it): the server then receives exactly
 *   the reference's text (and adds the BOS token itself, as the reference's tokenizer does).
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
    header: z
      .enum(["question", "system-and-question"])
      .default("question")
      .describe('math-shepherd: the text before the steps — the question (the model card), or search-and-learn\'s system prompt, "\\n", question, "\\n".'),
    sides: z
      .object({ positive: z.array(z.string()).min(1), negative: z.array(z.string()).min(1) })
      .strict()
      .default({ positive: [...BinaryChoice.plusMinus.positive], negative: [...BinaryChoice.plusMinus.negative] })
      .describe('Positive and negative spellings (default "+" against "-").'),
    matching: z
      .enum(["variants", "exact"])
      .default("variants")
      .describe('variants: spellings with their case and space variants summed (" +" counts as "+"); exact: only the spellings given.'),
    stepTag: z.string().min(1).default("ки").describe("The step tag of math-shepherd (written after a space, after each step)."),
    delimiter: z.string().default("\n\n").describe("What separates a tagged step from the next in math-shepherd."),
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
  readonly header?: "question" | "system-and-question" | undefined
  readonly stepTag?: string | undefined
  readonly delimiter?: string | undefined
  readonly topLogprobs?: number | undefined
}

/**
 * A chat template that renders the messages' contents as they are, one after the other, and nothing else: serve a
 * Math-Shepherd PRM through `/v1/completions` with it, so the server receives the reference's raw text.
 */
export const passThroughTemplate = "{% for message in messages %}{{ message.content }}{% endfor %}"

/** The text before the steps of a math-shepherd request. */
export const headerOf = (problem: Problem.Problem, header: Layout["header"] = "question"): string => {
  if (header === "question") return problem.question
  const system = problem.messages.find((message) => message.role === "system")?.content ?? ""
  return `${system}\n${problem.question}\n`
}

/** The request that reads step `step`'s score (1-based), for a style. */
export const request = (
  problem: Problem.Problem,
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
      messages.push(Message.user(index === 0 ? `${problem.question} ${text}` : text))
    })
    return { messages, ...shared }
  }
  const tag = options.stepTag ?? "ки"
  const tagged = steps.map((text) => `${text} ${tag}`).join(options.delimiter ?? "\n\n")
  return { messages: [Message.user(headerOf(problem, options.header))], prefix: ` ${tagged}`, ...shared }
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
      Effect.flatMap(model.generate(request(problem, stepTexts, step, settings)), (completions) => {
        const usage = Usage.sum(completions.map((completion) => completion.usage))
        const position = completions[0]?.logprobs?.[0]
        const probability = position === undefined ? undefined : BinaryChoice.probability(position, sides, 1, settings.matching)
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
