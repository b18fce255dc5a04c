import type { LanguageModel, Message } from "@stepwise/core"
import { Usage } from "@stepwise/core"
import type { Environment } from "./Environment.js"
import * as Recognition from "./Recognition.js"
import * as RewardModel from "./RewardModel.js"
import * as Sampling from "./Sampling.js"
import * as Seeded from "./Seeded.js"
import * as Tokens from "./Tokens.js"
import type { WordProblem } from "./WordProblem.js"

/**
 * Token-logit PRM requests (the verifiers package's `TokenLogitPrm`, as search-and-learn serves Math-Shepherd and
 * RLHFlow PRMs): the next token after step k is `+` or `-`, with P(+) equal to the world's discriminative PRM score of
 * step k given steps 1..k (`RewardModel.scores`, so the same AUROC and biases). Recognised formats, each with
 * `maxTokens` ≤ 4:
 * - `rlhflow`: user turns alternating with assistant `+`/`-` turns; the first user turn is the question, a space and
 *   step 1; each later user turn is one step; the last message is a user turn.
 * - `math-shepherd`: one user message with the question (alone, or after a system prompt line as search-and-learn
 *   writes it), and an assistant prefix holding the steps, each followed by a space and the step tag `ки`, ending
 *   with the tag of the step to score (the reference reads the logits at the tag).
 */

/** The step tag of Math-Shepherd-style prompts. */
export const stepTag = "ки"

/** A token-verdict request read back: the problem and the steps up to the one to score. */
export interface Reading {
  readonly problem: WordProblem
  readonly steps: ReadonlyArray<string>
}

const splitQuestion = (text: string): Reading | undefined => {
  for (let at = text.indexOf("? "); at >= 0; at = text.indexOf("? ", at + 1)) {
    const problem = Recognition.recognize(text.slice(0, at + 1))
    const step = text.slice(at + 2).trim()
    if (problem !== undefined && step.length > 0) return { problem, steps: [step] }
  }
  return undefined
}

const rlhflow = (messages: ReadonlyArray<Message.Message>): Reading | undefined => {
  if (messages.length % 2 === 0) return undefined
  for (const [index, message] of messages.entries()) {
    if (message.role !== (index % 2 === 0 ? "user" : "assistant")) return undefined
    if (message.role === "assistant" && !["+", "-"].includes(message.content.trim())) return undefined
  }
  const first = splitQuestion(messages[0]?.content ?? "")
  if (first === undefined) return undefined
  return { problem: first.problem, steps: [...first.steps, ...messages.slice(2).filter((_, index) => index % 2 === 0).map((message) => message.content.trim())] }
}

/** The problem of a Math-Shepherd header: its last non-empty line (the question after a system prompt), else the whole text. */
const headerProblem = (header: string): WordProblem | undefined => {
  const lines = header.split("\n").filter((line) => line.trim().length > 0)
  const last = lines.length > 1 ? Recognition.recognize((lines[lines.length - 1] ?? "").trim()) : undefined
  return last ?? Recognition.recognize(header.trim())
}

const mathShepherd = (request: LanguageModel.GenerateRequest): Reading | undefined => {
  const prefix = request.prefix
  if (request.messages.length !== 1 || request.messages[0]?.role !== "user" || prefix === undefined || !prefix.endsWith(` ${stepTag}`)) return undefined
  if (request.topLogprobs === undefined && request.logprobs !== true) return undefined
  const problem = headerProblem(request.messages[0].content)
  if (problem === undefined) return undefined
  const steps = prefix
    .split(stepTag)
    .map((step) => step.trim())
    .filter((step) => step.length > 0)
  return steps.length === 0 ? undefined : { problem, steps }
}

/** Reads a request as a token-verdict request, or `undefined` when it is not one. */
export const read = (request: LanguageModel.GenerateRequest): Reading | undefined => {
  if (request.maxTokens > 4) return undefined
  return request.prefix === undefined ? rlhflow(request.messages) : mathShepherd(request)
}

/** Answers a token-verdict request: `+` or `-` per sample, with top logprobs holding both. */
export const complete = (environment: Environment, request: LanguageModel.GenerateRequest, reading: Reading): ReadonlyArray<LanguageModel.Completion> => {
  const scores = RewardModel.scores(environment, reading.problem, reading.steps)
  const positive = Math.min(1 - 1e-9, Math.max(1e-9, scores[scores.length - 1] ?? 0.5))
  const top = [
    { token: "+", logprob: Math.log(positive * 0.97) },
    { token: "-", logprob: Math.log((1 - positive) * 0.97) },
    { token: stepTag, logprob: Math.log(0.015) },
    { token: "\n", logprob: Math.log(0.01) },
    { token: " ", logprob: Math.log(0.005) }
  ].sort((a, b) => b.logprob - a.logprob)
  const promptTokens = Tokens.prompt(request.messages, request.prefix)
  const base = Seeded.hashText(request.prefix ?? "", Sampling.promptHash(environment.seed, request.messages))
  const temperature = Sampling.temperatureOf(request)
  const wanted = Math.max(2, request.topLogprobs ?? 0)
  return Array.from({ length: request.n }, (_, index) => {
    const draw = Seeded.uniform(Seeded.combine(base, Sampling.sampleKey(request, index)))
    const token = (temperature === 0 ? positive >= 0.5 : draw < positive) ? "+" : "-"
    const result = Sampling.cut(Sampling.single(token), request)
    return {
      index,
      text: result.text,
      finishReason: result.finishReason,
      usage: Usage.make({ inputTokens: index === 0 ? promptTokens : 0, outputTokens: result.outputTokens, cachedInputTokens: 0 }),
      ...(request.logprobs === true || request.topLogprobs !== undefined
        ? { logprobs: [{ token, logprob: top.find((entry) => entry.token === token)?.logprob ?? 0, top: top.slice(0, wanted) }] }
        : {})
    }
  })
}
