import { Result } from "effect"
import { z } from "zod"
import { InvalidOptions, Message, Options, Problem } from "@stepwise/core"
import * as ApiError from "./ApiError.js"
import * as Limits from "./Limits.js"
import * as Unsupported from "./Unsupported.js"

const textPart = z.object({ type: z.literal("text"), text: z.string() }).passthrough()

/** One chat message as OpenAI clients send it: a role and text content (a string, or text parts). */
export const message = z
  .object({
    role: z.enum(["system", "developer", "user", "assistant"]),
    content: z.union([z.string(), z.array(textPart), z.null()]).optional()
  })
  .passthrough()

/**
 * The `stepwise` field of a request body (`extra_body: { stepwise: … }` in OpenAI clients): the strategy, its
 * options and the budget. Strict: a misspelt key is a 400 naming it and the allowed keys.
 */
export const extension = z
  .object({
    strategy: z.string().min(1).optional().describe("A registered strategy kind (see GET /v1/models)."),
    options: z.record(z.string(), z.unknown()).optional().describe("The strategy's options, validated by its schema."),
    budget: Limits.budget.optional().describe("Limits of this request (capped by the server's).")
  })
  .strict()

/** The `stepwise` extension as written. */
export type Extension = z.output<typeof extension>

const positiveOrNull = z.number().int().min(1).nullable().optional()
const penalty = z.number().min(-2).max(2).nullable().optional()
const anObject = z.record(z.string(), z.unknown())
const callChoice = z.union([z.string(), anObject]).nullable().optional()

/**
 * A chat-completions request body. The fields a search uses are checked. OpenAI's sampling and bookkeeping fields
 * (`temperature`, `top_p`, `stop`, `user`, `metadata`, …) are type-checked and ignored, since the strategy's
 * options decide sampling; the fields that ask for what a search cannot give (`tools`, `logprobs`, a JSON
 * `response_format`, …) are type-checked here and refused by `Unsupported` unless null or their default. Any other
 * field passes untouched.
 */
export const body = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().nullable().optional() }).passthrough().nullable().optional(),
    n: z.number().int().min(1).max(1).nullable().optional().describe("Only 1: a search returns one answer."),
    max_tokens: positiveOrNull,
    max_completion_tokens: positiveOrNull,
    seed: z.number().int().min(0).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    frequency_penalty: penalty,
    presence_penalty: penalty,
    stop: z.union([z.string(), z.array(z.string())]).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    user: z.string().nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    store: z.boolean().nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    tools: z.array(z.unknown()).nullable().optional(),
    tool_choice: callChoice,
    functions: z.array(z.unknown()).nullable().optional(),
    function_call: callChoice,
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    response_format: z.object({ type: z.string() }).passthrough().nullable().optional(),
    modalities: z.array(z.string()).nullable().optional(),
    audio: anObject.nullable().optional(),
    stepwise: extension.optional()
  })
  .passthrough()

/** A checked request body. */
export type Body = z.output<typeof body>

/**
 * Checks a parsed JSON body; a failure is a 400 whose `param` is the field's dotted path (`stepwise.budget.cost`,
 * `messages.0.role`) and whose message says what was expected and, for unknown keys, which are allowed; then
 * refuses a field the gateway does not support (`Unsupported.check`).
 */
export const decode = (input: unknown): Result.Result<Body, ApiError.ApiError> =>
  Result.flatMap(
    Result.mapError(Options.decode(body, input, "request"), (error) =>
      // The body takes any other field, so a top-level field's message lists no "allowed" keys.
      ApiError.fromInvalidOptions("", error.field.includes(".") ? error : new InvalidOptions({ subject: error.subject, field: error.field, detail: error.detail }))
    ),
    (decoded) => Result.map(Unsupported.check(decoded), () => decoded)
  )

const textOf = (content: z.output<typeof message>["content"]): string =>
  content === undefined || content === null ? "" : typeof content === "string" ? content : content.map((part) => part.text).join("")

/**
 * The system prompt given to a request with none of its own: the step protocol the strategies read (steps
 * separated by a blank line, a boxed final answer).
 */
export const defaultSystemPrompt =
  "Solve the problem step by step. Separate steps with a blank line, start each with \"## Step k:\", and end with " +
  '"Therefore, the final answer is: $\\boxed{answer}$."'

/**
 * The problem a request asks to solve: its messages (system and developer messages as system, with
 * `systemPrompt` added when there is none), the question being the last message, which must be the user's.
 */
export const problemOf = (request: Body, id: string, systemPrompt: string = defaultSystemPrompt): Result.Result<Problem.Problem, ApiError.ApiError> => {
  const last = request.messages[request.messages.length - 1]
  if (last === undefined || last.role !== "user")
    return Result.fail(ApiError.invalid(`messages.${request.messages.length - 1}.role`, "the last message must be the user's question"))
  const question = textOf(last.content)
  if (question.trim() === "") return Result.fail(ApiError.invalid(`messages.${request.messages.length - 1}.content`, "the question is empty"))
  const messages = request.messages.map((each) =>
    each.role === "user" ? Message.user(textOf(each.content)) : each.role === "assistant" ? Message.assistant(textOf(each.content)) : Message.system(textOf(each.content))
  )
  const hasSystem = messages.some((each) => each.role === "system")
  return Result.succeed(Problem.make({ id, question, messages: hasSystem ? messages : [Message.system(systemPrompt), ...messages] }))
}
