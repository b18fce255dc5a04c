import { Effect } from "effect"
import { z } from "zod"
import type { BudgetExhausted, Problem } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Step, Trajectory, Usage, VerifierError } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ChainParser from "./ChainParser.js"
import * as ModelFailure from "./internal/ModelFailure.js"
import * as ModelVerifier from "./internal/ModelVerifier.js"
import * as Verifier from "./Verifier.js"

/** The phrases that open further rounds (sequential scaling), in the reference's order. */
export const referenceTriggers: ReadonlyArray<string> = ["Let me double check", "Let's verify again", "Did I miss something?"]

/**
 * A ThinkPRM-style generative verifier (Khalifa et al. 2025, arXiv 2504.16828) over any `LanguageModel`, following
 * the reference code (`prm/thinkprm_api.py`, `utils/helper.py`).
 *
 * For a trajectory of n steps it asks the model, with the prompt below, for `chains` verification chains that
 * critique each step and box `correct` or `incorrect`. A chain stops at "Is the solution correct?", at `</think>`,
 * or at "Step {n+1}:" (so a chain never judges a step the prefix does not have yet), and by its `maxTokens` (8,172 by
 * default: the reference's verification length of 8,192 tokens less the 20 it keeps for the decision, what it asks
 * of each chain; the accountant lowers it to what the budget has left). Each further round
 * (`rounds`) appends the next of the reference's triggers ("Let me double check", "Let's verify again", "Did I miss
 * something?", cycling) right after the chain and continues it. Then it asks, after "\nIs the solution correct? ",
 * for one token with its top logprobs and reads the decision d = P(yes) / (P(yes) + P(no)) (case and leading-space
 * variants summed, sharpened by `decisionTemperature`).
 *
 * Steps (`steps`): `search` (default) writes each of the trajectory's steps as one "Step i:", so the verifier judges
 * the steps the search scores; `labels` splits the trajectory's whole text at the policy's own "Step N:" labels, as
 * the reference's `score` does ("## Step" read as "Step", pieces trimmed, empty ones dropped), so a labelled step
 * written over several blank-line steps is one step of the prompt; each trajectory step then takes the score of the
 * labelled step it ends in.
 *
 * Step scores (one per step, in [0, 1]), averaged over the chains:
 * - `scoring: "prefix"` (default, the paper's): every step scores d, the one P(yes) for the whole prefix, so
 *   `last`, `min`, `mean` and `geometricMean` all read d.
 * - `scoring: "per-step"`: the last step scores d; an earlier step i scores 1 if the chain boxed it `correct`, 0 if
 *   `incorrect` (the last judgement wins), and d where the chain did not judge it.
 * Fallbacks, when the decision token's logprobs hold neither yes nor no: the decision completion's text
 * ("yes" → 1, "no" → 0), else a yes/no the chain wrote after the question, else the chain's judgements (0 if
 * any step is judged incorrect, 1 if every step is judged correct), else `fallbackScore` (default 0.5). An
 * unparsable chain therefore still scores, by its decision; every chain's outcome is reported by `verify`.
 *
 * The chain opens as the reference's does after the chat template: "\nLet's verify step by step:". A model whose
 * template's generation prompt opens a think block (`<think>\n`, ThinkPRM's R1-distilled checkpoints) gets it from
 * the template when the backend renders the generation prompt (`thinkBlock: "from-template"`: completions
 * continuation, llama.cpp in-process); a backend that continues a final assistant message instead (vLLM's
 * `continue_final_message`, a prefill) renders no generation prompt, so there `thinkBlock: "in-prefix"` writes
 * `<think>\n` at the head of the prefix, giving the same text; `"auto"` picks by the backend's `info.continuesWith`
 * (from-template when it does not say). The default stays `"from-template"`: a model that is no R1 distillate, used
 * as the verifier behind vLLM, would get a think block its template never opens.
 *
 * Spend: built through `ProcessRewardModel.make` with `tokensMeteredInside: true`, so one `score` is one
 * verifier call, and its language-model tokens are metered once, as verifier tokens.
 *
 * @example
 * const thinkPrm = yield* ThinkPrm.make({ languageModel, chains: 4, temperature: 0.4 })
 */
export const options = z
  .object({
    chains: z.number().int().min(1).default(1).describe("Parallel verification chains, averaged."),
    rounds: z.number().int().min(1).default(1).describe("Sequential rounds per chain; each round after the first starts with the next trigger."),
    scoring: z
      .enum(["prefix", "per-step"])
      .default("prefix")
      .describe("prefix: every step scores the decision P(yes) for the whole prefix (the paper); per-step: earlier steps score the chain's boxed judgements."),
    maxTokens: z
      .number()
      .int()
      .min(1)
      .default(8172)
      .describe("Output-token limit of each chain request (the reference's 8,192 less 20 for the decision; the budget may lower it)."),
    steps: z
      .enum(["search", "labels"])
      .default("search")
      .describe('search: each trajectory step is one "Step i:"; labels: the text is split at the policy\'s own "Step N:" labels (the reference).'),
    temperature: z.number().min(0).max(10).default(0.4).describe("Sampling temperature of the chains."),
    decisionTemperature: z.number().positive().default(1).describe("Temperature of the yes/no softmax (1: the model's own odds)."),
    topLogprobs: z.number().int().min(2).default(5).describe("Top alternatives asked for the decision token."),
    triggers: z
      .array(z.string().min(1))
      .min(1)
      .default([...referenceTriggers])
      .describe("What opens round 2, 3, … (cycling), appended right after the chain."),
    thinkBlock: z
      .enum(["from-template", "in-prefix", "auto"])
      .default("from-template")
      .describe(
        "from-template: the chat template's generation prompt opens any think block; in-prefix: the chain prefix opens one (<think>) itself; auto: in-prefix where the backend continues a final message (vLLM's continue_final_message, a prefill: no generation prompt), else from-template. For an R1-distilled ThinkPRM checkpoint behind vLLM or SGLang, take auto or in-prefix."
      ),
    fallbackScore: z.number().min(0).max(1).default(0.5).describe("Score when nothing can be read."),
    seed: z.number().int().min(0).optional().describe("Seed of the chain requests (default none)."),
    name: z.string().min(1).default("think-prm").describe("Name reported to traces and the accountant."),
    backend: Verifier.backendOption
  })
  .strict()

/** Options as a user writes them (every field optional), for code: plus the model to read with. */
export type Options = Omit<z.input<typeof options>, "backend"> & {
  /** The model that writes the chains and the decision. */
  readonly languageModel: LanguageModel.Service
}

/** What the reference appends after the chat template (generation prompt included) to open a chain. */
export const chainStart = "\nLet's verify step by step:"

/** What opens a think block (the generation prompt of templates that open one). */
export const thinkOpening = "<think>\n"

/** The assistant prefix every chain starts with. */
export const chainPrefix = (thinkBlock: "from-template" | "in-prefix" = "from-template"): string =>
  (thinkBlock === "in-prefix" ? thinkOpening : "") + chainStart

/** What a chain stops at, for a prefix of `steps` steps: the decision question, the end of a think block, the next step. */
export const stopsFor = (steps: number): ReadonlyArray<string> => [ChainParser.decisionQuestion, "</think>", `Step ${steps + 1}:`]

/** The trigger that opens round `round` (2, 3, …): the triggers in order, cycling. */
export const triggerFor = (triggers: ReadonlyArray<string>, round: number): string => triggers[(round - 2) % triggers.length] ?? ""

/**
 * A step as the prompt writes it: its own leading "Step N:" label (after any markdown "#" marks, as
 * "## Step 2: …" that search-and-learn's policy prompt asks for) dropped, surrounding whitespace trimmed, newlines
 * inside kept.
 */
export const solutionStep = (text: string): string => text.replace(/^\s*(?:#+\s*)?Step \d+:/, "").trim()

/**
 * The reference's steps of a solution text (`APIThinkPRMVerifier.score`): "## Step" read as "Step", the text cut at
 * every "Step N:", the pieces trimmed and the empty ones dropped; a text with no piece left is one empty step.
 */
export const labelledSteps = (text: string): ReadonlyArray<string> => {
  const pieces = text
    .replaceAll("## Step", "Step")
    .split(/Step \d+:/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.length > 0)
  return pieces.length === 0 ? [""] : pieces
}

/**
 * For each of a trajectory's steps, the index of the labelled step (`labelledSteps` of the steps joined by
 * `delimiter`) it ends in: the last labelled step begun by the end of its text (0 before any).
 */
export const labelledStepOf = (stepTexts: ReadonlyArray<string>, delimiter: string): ReadonlyArray<number> => {
  const written = stepTexts.map((text) => text.replaceAll("## Step", "Step"))
  const whole = written.join(delimiter)
  // Where each non-empty piece between labels begins (its first non-space character).
  const starts: Array<number> = []
  let from = 0
  const pieceAt = (start: number, end: number) => {
    const lead = whole.slice(start, end).search(/\S/)
    if (lead >= 0) starts.push(start + lead)
  }
  for (const match of whole.matchAll(/Step \d+:/g)) {
    pieceAt(from, match.index)
    from = match.index + match[0].length
  }
  pieceAt(from, whole.length)
  let end = 0
  return written.map((text, index) => {
    end += (index === 0 ? 0 : delimiter.length) + text.length
    let begun = 0
    while (begun < starts.length && (starts[begun] ?? Infinity) < end) begun++
    return Math.max(0, begun - 1)
  })
}

/**
 * The verification prompt: one user message, the reference's template (`format_verification_cot_for_thinkprm`):
 * the steps numbered "Step i: ", joined by a newline.
 */
export const prompt = (question: string, stepTexts: ReadonlyArray<string>): Message.Message =>
  Message.user(
    "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\n" +
      question +
      "\n\n[Solution]\n\n" +
      stepTexts.map((text, index) => `Step ${index + 1}: ${solutionStep(text)}`).join("\n") +
      "\n\nReview and critique each step in the proposed solution to determine whether each step is correct. " +
      "If the solution is incomplete, only verify the provided steps."
  )

/** Where a chain's decision came from. */
export type DecisionSource = "logprobs" | "decision-text" | "chain-text" | "judgements" | "fallback"

/** What one chain said: its text, how it parsed, its decision and where the decision came from. */
export interface ChainReport {
  readonly text: string
  readonly finishReason: LanguageModel.Completion["finishReason"]
  readonly parse: ChainParser.Result
  readonly decision: number
  readonly decisionSource: DecisionSource
  /** This chain's score per step (before averaging over chains). */
  readonly stepScores: ReadonlyArray<number>
}

/** A verification in full: the step scores, the usage, and each chain's report. */
export interface Verification extends ProcessRewardModel.Scoring {
  readonly chains: ReadonlyArray<ChainReport>
}

/** Validated options, with their defaults filled in, and the model to read with. */
export type Settings = Omit<z.output<typeof options>, "backend"> & { readonly languageModel: LanguageModel.Service }

/** The decision of one chain, from its decision completion, by the documented order of fallbacks. */
export const decide = (
  parse: ChainParser.Result,
  completion: LanguageModel.Completion | undefined,
  decisionTemperature: number,
  fallbackScore: number
): { readonly decision: number; readonly source: DecisionSource } => {
  const position = completion?.logprobs?.[0]
  const fromLogprobs = position === undefined ? undefined : BinaryChoice.probability(position, BinaryChoice.yesNo, decisionTemperature)
  if (fromLogprobs !== undefined) return { decision: fromLogprobs, source: "logprobs" }
  const word = completion?.text.trim().toLowerCase().match(/^[a-z]+/)?.[0]
  if (word === "yes" || word === "no") return { decision: word === "yes" ? 1 : 0, source: "decision-text" }
  if (parse.decision !== undefined) return { decision: parse.decision === "yes" ? 1 : 0, source: "chain-text" }
  if (parse._tag === "Parsed") {
    if (parse.judgements.includes("incorrect")) return { decision: 0, source: "judgements" }
    if (parse.missing.length === 0) return { decision: 1, source: "judgements" }
  }
  return { decision: fallbackScore, source: "fallback" }
}

/**
 * One chain's step scores. `prefix`: the decision for every step. `per-step`: judgements for earlier steps (the
 * decision where unjudged), the decision for the last. `judgedStepOf` maps a step to the step of the prompt judged
 * for it (`labels` steps), the identity by default.
 */
export const chainStepScores = (
  parse: ChainParser.Result,
  decision: number,
  steps: number,
  scoring: "prefix" | "per-step" = "prefix",
  judgedStepOf: (step: number) => number = (step) => step
): ReadonlyArray<number> => {
  const judged = Array.from({ length: steps }, (_, step) => judgedStepOf(step))
  const lastJudged = judged[steps - 1]
  return judged.map((index) => {
    if (scoring === "prefix" || index === lastJudged) return decision
    const judgement = parse._tag === "Parsed" ? parse.judgements[index] : undefined
    return judgement === undefined ? decision : judgement === "correct" ? 1 : 0
  })
}

/**
 * Runs a full verification and reports every chain. Not metered as a verifier call by itself (its model calls
 * are metered by the model under the current role); use the service from `make` in searches.
 */
export const verify =
  (settings: Settings) =>
  (problem: Problem.Problem, trajectory: Trajectory.Trajectory): Effect.Effect<Verification, VerifierError | BudgetExhausted> =>
    Effect.gen(function* () {
      const stepTexts = Trajectory.stepTexts(trajectory)
      const steps = stepTexts.length
      if (steps === 0) return { stepScores: [], usage: Usage.zero, chains: [] }
      const model = settings.languageModel
      const judgedTexts = settings.steps === "labels" ? labelledSteps(Trajectory.text(trajectory)) : stepTexts
      const judgedOf = settings.steps === "labels" ? labelledStepOf(stepTexts, Step.delimiter) : undefined
      const messages = [prompt(problem.question, judgedTexts)]
      const opening = chainPrefix(
        settings.thinkBlock === "auto" ? (model.info.continuesWith === "final-message" ? "in-prefix" : "from-template") : settings.thinkBlock
      )
      const stop = stopsFor(judgedTexts.length)
      const chainRequest = (prefix: string, n: number): LanguageModel.GenerateRequest => ({
        messages,
        prefix,
        stop,
        n,
        maxTokens: settings.maxTokens,
        temperature: settings.temperature,
        ...(settings.seed === undefined ? {} : { seed: settings.seed })
      })
      const first = yield* model.generate(chainRequest(opening, settings.chains))
      const usages: Array<Usage.Usage> = first.map((completion) => completion.usage)
      const chains = yield* Effect.forEach(
        first,
        (completion) =>
          Effect.gen(function* () {
            let text = completion.text
            let finishReason = completion.finishReason
            for (let round = 2; round <= settings.rounds; round++) {
              const trigger = triggerFor(settings.triggers, round)
              const [more] = yield* model.generate(chainRequest(opening + text + trigger, 1))
              if (more === undefined) break
              usages.push(more.usage)
              text = text + trigger + more.text
              finishReason = more.finishReason
            }
            const [decisionCompletion] = yield* model.generate({
              messages,
              prefix: opening + text + "\n" + ChainParser.decisionQuestion + " ",
              n: 1,
              maxTokens: 1,
              topLogprobs: settings.topLogprobs,
              temperature: 0
            })
            if (decisionCompletion !== undefined) usages.push(decisionCompletion.usage)
            const parse = ChainParser.parse(text, judgedTexts.length)
            const { decision, source } = decide(parse, decisionCompletion, settings.decisionTemperature, settings.fallbackScore)
            const report: ChainReport = {
              text,
              finishReason,
              parse,
              decision,
              decisionSource: source,
              stepScores: chainStepScores(parse, decision, steps, settings.scoring, judgedOf === undefined ? undefined : (step) => judgedOf[step] ?? 0)
            }
            return report
          }),
        { concurrency: "unbounded" }
      )
      if (chains.length === 0)
        return yield* Effect.fail(new VerifierError({ verifier: settings.name, detail: "the language model returned no chain" }))
      const stepScores = Array.from(
        { length: steps },
        (_, index) => chains.reduce((total, chain) => total + (chain.stepScores[index] ?? 0), 0) / chains.length
      )
      return { stepScores, usage: Usage.sum(usages), chains }
    }).pipe(ModelFailure.asVerifierError(settings.name))

/** A ThinkPRM verifier: the metered service, and `verify`, the same metered call returning each chain's report. */
export interface ThinkPrm extends ProcessRewardModel.Service {
  readonly verify: (problem: Problem.Problem, trajectory: Trajectory.Trajectory) => Effect.Effect<Verification, VerifierError | BudgetExhausted>
}

/**
 * The ThinkPRM entry of the verifier registry: one service through `ProcessRewardModel.make` with
 * `tokensMeteredInside: true` (one verifier call per score; its model tokens count once, as verifier tokens).
 */
export const entry = Verifier.generative({
  kind: "think-prm",
  description: "ThinkPRM-style generative verifier: verification chains over a language model, P(yes) of its decision.",
  options,
  build: (settings, languageModel): ThinkPrm => {
    const service = ProcessRewardModel.make<Verification>({ info: { name: settings.name }, score: verify({ ...settings, languageModel }), tokensMeteredInside: true })
    return { ...service, verify: service.score }
  }
})

/**
 * Makes the verifier over a model (options validated; defaults filled in).
 *
 * @example
 * const thinkPrm = yield* ThinkPrm.make({ languageModel, chains: 4 })
 */
export const make = Verifier.generativeMaker(entry)

/** A layer serving ThinkPRM as the `ProcessRewardModel`, over the `LanguageModel` in context. */
export const layer = ModelVerifier.layer(make)
