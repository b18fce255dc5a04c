import { Effect } from "effect"
import { z } from "zod"
import type { BudgetExhausted, Problem } from "@stepwise/core"
import { LanguageModel, Message, ProcessRewardModel, Trajectory, Usage, VerifierError } from "@stepwise/core"
import * as BinaryChoice from "./BinaryChoice.js"
import * as ChainParser from "./ChainParser.js"
import * as ModelFailure from "./internal/ModelFailure.js"
import * as ModelVerifier from "./internal/ModelVerifier.js"
import * as Verifier from "./Verifier.js"

/**
 * A ThinkPRM-style generative verifier (Khalifa et al. 2025, arXiv 2504.16828) over any `LanguageModel`.
 *
 * For a trajectory of n steps it asks the model, with the prompt below, for `chains` verification chains that
 * critique each step and box `correct` or `incorrect`; optionally extends each chain by `rounds − 1` "Let me
 * double check" rounds; then asks, after "Is the solution correct? ", for one token with its top logprobs and
 * reads the decision d = P(yes) / (P(yes) + P(no)) (case and leading-space variants summed, sharpened by
 * `decisionTemperature`).
 *
 * Step scores (one per step, in [0, 1]), averaged over the chains:
 * - the last step scores the chain's decision d (the paper's score of the whole prefix);
 * - an earlier step i scores 1 if the chain boxed it `correct`, 0 if `incorrect` (the last judgement wins),
 *   and the chain's decision d where the chain did not judge it.
 * Fallbacks, when the decision token's logprobs hold neither yes nor no: the decision completion's text
 * ("yes" → 1, "no" → 0), else a yes/no the chain wrote after the question, else the chain's judgements (0 if
 * any step is judged incorrect, 1 if every step is judged correct), else `fallbackScore` (default 0.5). An
 * unparsable chain therefore still scores, by its decision; every chain's outcome is reported by `verify`.
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
    rounds: z.number().int().min(1).default(1).describe('Sequential rounds per chain; each round after the first continues with "Let me double check".'),
    maxTokens: z.number().int().min(1).default(1024).describe("Output-token limit of each chain request."),
    temperature: z.number().min(0).max(10).default(0.4).describe("Sampling temperature of the chains."),
    decisionTemperature: z.number().positive().default(1).describe("Temperature of the yes/no softmax (1: the model's own odds)."),
    topLogprobs: z.number().int().min(2).default(5).describe("Top alternatives asked for the decision token."),
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

/** The assistant prefix every chain starts with. */
export const chainStart = "Let's verify step by step:"

/** What a further round appends to a chain before asking the model to go on. */
export const doubleCheck = "\nLet me double check"

/** The verification prompt: one user message, exactly as the step protocol specifies. */
export const prompt = (question: string, stepTexts: ReadonlyArray<string>): Message.Message =>
  Message.user(
    "You are given a math problem and a proposed step-by-step solution:\n\n[Math Problem]\n\n" +
      question +
      "\n\n[Solution]\n\n" +
      stepTexts.map((text, index) => `Step ${index + 1}: ${text.replace(/\r?\n/g, " ")}`).join("\n") +
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

/** One chain's step scores: judgements for earlier steps (the decision where unjudged), the decision for the last. */
export const chainStepScores = (parse: ChainParser.Result, decision: number, steps: number): ReadonlyArray<number> =>
  Array.from({ length: steps }, (_, index) => {
    if (index === steps - 1) return decision
    const judgement = parse._tag === "Parsed" ? parse.judgements[index] : undefined
    return judgement === undefined ? decision : judgement === "correct" ? 1 : 0
  })

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
      const messages = [prompt(problem.question, stepTexts)]
      const chainRequest = (prefix: string, n: number): LanguageModel.GenerateRequest => ({
        messages,
        prefix,
        stop: [ChainParser.decisionQuestion],
        n,
        maxTokens: settings.maxTokens,
        temperature: settings.temperature,
        ...(settings.seed === undefined ? {} : { seed: settings.seed })
      })
      const first = yield* model.generate(chainRequest(chainStart, settings.chains))
      const usages: Array<Usage.Usage> = first.map((completion) => completion.usage)
      const chains = yield* Effect.forEach(
        first,
        (completion) =>
          Effect.gen(function* () {
            let text = completion.text
            let finishReason = completion.finishReason
            for (let round = 2; round <= settings.rounds; round++) {
              const [more] = yield* model.generate(chainRequest(chainStart + text + doubleCheck, 1))
              if (more === undefined) break
              usages.push(more.usage)
              text = text + doubleCheck + more.text
              finishReason = more.finishReason
            }
            const [decisionCompletion] = yield* model.generate({
              messages,
              prefix: chainStart + text + "\n" + ChainParser.decisionQuestion + " ",
              n: 1,
              maxTokens: 1,
              topLogprobs: settings.topLogprobs,
              temperature: 0
            })
            if (decisionCompletion !== undefined) usages.push(decisionCompletion.usage)
            const parse = ChainParser.parse(text, steps)
            const { decision, source } = decide(parse, decisionCompletion, settings.decisionTemperature, settings.fallbackScore)
            const report: ChainReport = {
              text,
              finishReason,
              parse,
              decision,
              decisionSource: source,
              stepScores: chainStepScores(parse, decision, steps)
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
