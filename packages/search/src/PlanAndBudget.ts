import { Effect } from "effect"
import { z } from "zod"
import { Accountant } from "@stepwise/accountant"
import type { Problem } from "@stepwise/core"
import { Answer, Message, SearchEvent, Step } from "@stepwise/core"
import * as BudgetSchedule from "./BudgetSchedule.js"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** The first sentence of the planning prompt. */
export const planOpening = "Decompose the problem below into sub-questions."

/** The last line of a sub-question prompt. */
export const subQuestionClosing = "Answer the last sub-question."

/**
 * The planning prompt (one user message): asks for a numbered list of sub-questions, the last giving the final
 * answer, unanswered.
 */
export const planPrompt = (question: string): string =>
  `${planOpening} Answer with a numbered list, one sub-question per line ("1. ..."), in the order they must be answered, ` +
  `the last one giving the final answer; do not answer them.\n\nProblem: ${question}`

/** A sub-question answered before, given as context to the next one. */
export interface Answered {
  readonly subQuestion: string
  readonly answer: string
}

/** The prompt asking one sub-question (one user message), with the problem and the sub-questions answered so far. */
export const subQuestionPrompt = (question: string, answered: ReadonlyArray<Answered>, next: string): string =>
  `Problem: ${question}\n\n` +
  answered.map((entry, index) => `Sub-question ${index + 1}: ${entry.subQuestion}\nAnswer: ${entry.answer}\n\n`).join("") +
  `Sub-question ${answered.length + 1}: ${next}\n${subQuestionClosing}`

/** The numbered sub-questions of a plan (lines `1. …` or `1) …`), in order. */
export const parsePlan = (text: string): ReadonlyArray<string> =>
  text
    .split("\n")
    .map((line) => /^\s*\d+[.)]\s+(.+?)\s*$/.exec(line)?.[1])
    .filter((line): line is string => line !== undefined)

/**
 * The estimated complexity of a sub-question: its number of words. The planner of the simulator (and most plans a
 * model writes) gives no scores, so the length of what a sub-question asks stands in for how much it asks.
 */
export const complexityOf = (subQuestion: string): number => subQuestion.split(/\s+/).filter((word) => word !== "").length

/** What a sub-answer passes on to the next sub-question: its `\boxed{}` answer, else its last non-empty line. */
export const answerOf = (text: string): string =>
  Answer.extractBoxed(text) ??
  text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .at(-1) ??
  ""

/** The options of Plan-and-Budget (strict). */
export const options = z
  .object({
    tokenBudget: z
      .number()
      .int()
      .min(1)
      .default(1024)
      .describe("B: the output tokens the sub-answers share, split across sub-questions by the schedule (the size knob)."),
    schedule: z
      .enum(BudgetSchedule.schedules)
      .default("weighted")
      .describe("How B is split: uniform, weighted by estimated complexity, or a decay over the order (linear, polynomial, exponential, cosine)."),
    planTokens: z.number().int().min(1).default(512).describe("Output-token limit of the planning call."),
    maxSubQuestions: z.number().int().min(1).default(16).describe("Sub-questions of a plan beyond this many are dropped."),
    temperature: SearchOptions.sampling.temperature,
    seed: SearchOptions.running.seed
  })
  .strict()

/** Options of Plan-and-Budget as a user writes them. */
export type Options = z.input<typeof options>

/** Emitted after planning: the sub-questions, their estimated complexities, and each one's token allocation. */
export const budgetAllocated = SearchEvent.define<{
  readonly schedule: BudgetSchedule.Schedule
  readonly subQuestions: ReadonlyArray<string>
  readonly complexities: ReadonlyArray<number>
  readonly allocations: ReadonlyArray<number>
}>()("budget-allocate")

/**
 * Plan-and-Budget (Lin et al. 2025, "Plan and Budget: Effective and Efficient Test-Time Scaling on Large Language
 * Model Reasoning", arXiv 2505.16122). A planning call decomposes the question into numbered sub-questions
 * (`planPrompt`; a plan with none is the question itself); each gets an estimated complexity (`complexityOf`); the
 * output-token budget B (`tokenBudget`) is split across them by the schedule (`BudgetSchedule`); each sub-question
 * is then asked in order with the answers so far (`subQuestionPrompt`), under a child budget of its allocation
 * (`Accountant.withChild`, the request's token limit the same), and the last sub-question's `\boxed{}` answer is
 * the final answer (the plan is asked for the last sub-question to give it). A sub-question allocated no token is
 * not asked (its answer stays empty; when those are the last ones, the last sub-question asked gives the answer). One sample per call, no verifier. The benchmark reports its E³ =
 * accuracy² / mean tokens, the paper's metric.
 */
export const entry = Strategy.define({
  kind: "plan-and-budget",
  description: "Plan sub-questions, split a token budget across them by a schedule, answer each under its child budget (arXiv 2505.16122).",
  options,
  size: {
    option: "tokenBudget",
    // A third of the budget for the sub-answers' output; the rest pays for the planning call and the prompts.
    fromBudget: (budget) => Math.max(1, Math.floor(budget.tokens / 3))
  },
  build: (settings) => {
    const name = `plan-and-budget-${settings.schedule}-${settings.tokenBudget}`
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.gen(function* () {
              yield* TreeRecorder.expand(recorder, 0, 1)
              const planned = yield* Expansion.generate({
                messages: [Message.user(planPrompt(problem.question))],
                n: 1,
                maxTokens: settings.planTokens,
                minTokens: settings.planTokens,
                temperature: settings.temperature,
                seed: Seed.derive(settings.seed, "plan")
              })
              const plan = planned.completions[0]
              if (plan === undefined) {
                if (planned.exhausted !== undefined) yield* TreeRecorder.markExhausted(recorder, planned.exhausted)
                return
              }
              let parent = yield* TreeRecorder.add(recorder, 0, Step.make({ text: plan.text, usage: plan.usage, finishReason: plan.finishReason }), {
                finished: false,
                usage: plan.usage
              })
              const listed = parsePlan(plan.text).slice(0, settings.maxSubQuestions)
              const subQuestions = listed.length === 0 ? [problem.question] : listed
              const complexities = subQuestions.map(complexityOf)
              const allocations = BudgetSchedule.split(settings.schedule, settings.tokenBudget, complexities)
              yield* budgetAllocated.emit({ schedule: settings.schedule, subQuestions, complexities, allocations })
              const answered: Array<Answered> = []
              // The last sub-question asked gives the answer (trailing ones allocated nothing are not asked).
              const lastAsked = allocations.reduce((last, allocation, index) => (allocation >= 1 ? index : last), -1)
              for (let index = 0; index < subQuestions.length; index++) {
                const subQuestion = subQuestions[index] ?? ""
                const allocation = allocations[index] ?? 0
                if (allocation < 1) {
                  answered.push({ subQuestion, answer: "" })
                  continue
                }
                yield* TreeRecorder.expand(recorder, parent, 1)
                const generated = yield* Accountant.withChild({ outputTokens: allocation }, `${name} sub-question ${index + 1}`)(
                  Expansion.generate({
                    messages: [Message.user(subQuestionPrompt(problem.question, answered, subQuestion))],
                    n: 1,
                    maxTokens: allocation,
                    minTokens: 1,
                    temperature: settings.temperature,
                    seed: Seed.derive(settings.seed, "sub-question", index)
                  })
                )
                const reply = generated.completions[0]
                if (reply === undefined) {
                  if (generated.exhausted !== undefined) yield* TreeRecorder.markExhausted(recorder, generated.exhausted)
                  return
                }
                const usage = reply.usage
                parent = yield* TreeRecorder.add(recorder, parent, Step.make({ text: reply.text, usage, finishReason: reply.finishReason }), {
                  finished: index === lastAsked,
                  usage
                })
                answered.push({ subQuestion, answer: answerOf(reply.text) })
              }
            }),
          select: ({ candidates }) => Selection.select(candidates, "best")
        })
    }
  }
})

/**
 * Makes Plan-and-Budget from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* PlanAndBudget.make({ tokenBudget: 512, schedule: "polynomial" })
 */
export const make = Strategy.maker(entry)
