import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Data, Effect, Result } from "effect"
import type { Scope } from "effect"
import { InvalidOptions } from "@stepwise/core"
import type { LanguageModel, Message } from "@stepwise/core"
import * as Deadline from "./Deadline.js"
import * as RewardModel from "./RewardModel.js"
import * as PrefixCache from "./PrefixCache.js"
import * as Recognition from "./Recognition.js"
import * as Sampling from "./Sampling.js"
import * as Seeded from "./Seeded.js"
import * as Tokens from "./Tokens.js"
import type { World } from "./World.js"
import * as World_ from "./World.js"

/**
 * A loopback OpenAI-compatible server over a simulated world, shaped like vLLM's: `POST /v1/chat/completions`
 * (with `continue_final_message`, streaming and a final usage chunk), `POST /v1/completions`, `POST /pooling`
 * (a Qwen2.5-Math-PRM-style reward model over the world's PRM), `GET /v1/models` and `GET /health`. It binds
 * 127.0.0.1 only. Invalid requests get a 400 whose JSON body names the field; faults can be injected for
 * reliability tests.
 */

/**
 * Fault injection: each share is the probability that a request (to a POST endpoint) gets that fault; the shares
 * are tried in the listed order on one seeded draw per request, so they should sum to at most 1.
 */
export interface Faults {
  /** 500 Internal Server Error. */
  readonly serverError?: number
  /** 503 Service Unavailable. */
  readonly unavailable?: number
  /** 429 Too Many Requests, with a Retry-After header. */
  readonly rateLimited?: number
  /** Seconds sent in Retry-After (default 1). */
  readonly retryAfterSeconds?: number
  /** The response is delayed by `slowMillis`, then served normally. */
  readonly slow?: number
  /** Delay of a slow response (default 2000 ms). */
  readonly slowMillis?: number
  /** The connection is dropped without a response. */
  readonly dropped?: number
  /** A 200 whose JSON body is cut in the middle (the connection then closes). */
  readonly truncated?: number
  /** A 200 whose body is not JSON. */
  readonly malformed?: number
  /** Seed of the fault draws (default 0); the n-th request's fault is a function of it and n. */
  readonly seed?: number
}

/** Options of `serve` and `listen`. */
export interface Options {
  /** Port to bind on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number
  readonly faults?: Faults
  /** Largest accepted request body in bytes (default 8 MiB); larger ones get a 413. */
  readonly maxBodyBytes?: number
  /**
   * A prefix cache for this server (vLLM's automatic prefix caching, see `PrefixCache`): when given, chat and
   * completions responses report `usage.prompt_tokens_details.cached_tokens` for the order requests arrive in, as
   * vLLM does with `--enable-prompt-tokens-details`. Default: off (`prompt_tokens_details: null`).
   */
  readonly prefixCache?: PrefixCache.Options
  /**
   * A model server's per-call latency in milliseconds: each answer of a POST endpoint (chat, completions, pooling)
   * is sent this long after its request arrived, or when its work is done if that takes longer (the server's own
   * work counts within the latency, as a real server's does; a streamed answer comes at once). Requests in flight
   * wait at once, so concurrent calls overlap as on a real server. Injected faults are not delayed. Use to measure a
   * client's wall time against its critical path over HTTP. Default 0 (no delay).
   */
  readonly latencyMillis?: number
}

/** Where a running server listens. */
export interface Address {
  /** `http://127.0.0.1:PORT` (append `/v1` for OpenAI clients that want the API root). */
  readonly url: string
  readonly port: number
}

/** A running server started with `listen`. */
export interface Handle extends Address {
  /** Stops the server and drops open connections. */
  readonly close: () => Promise<void>
}

/** The server could not start (for example, the port is taken). */
export class ListenError extends Data.TaggedError("ListenError")<{ readonly port: number; readonly detail: string }> {
  override get message(): string {
    return `simulator server: cannot listen on 127.0.0.1:${this.port} (${this.detail})`
  }
}

/**
 * Renders chat messages (and an assistant prefix to continue) with the ChatML template that `/v1/completions`
 * and `/pooling` understand. Use to build a raw prompt for the world.
 *
 * @example
 * Server.chatTemplate(problem.messages, "## Step 1: ...\n\n")
 */
export const chatTemplate = (messages: ReadonlyArray<Message.Message>, prefix?: string): string =>
  messages.map((message) => `<|im_start|>${message.role}\n${message.content}<|im_end|>\n`).join("") +
  `<|im_start|>assistant\n${prefix ?? ""}`

// ---------------------------------------------------------------------------------------------------------------
// Request validation: a 400 names the field, like vLLM and OpenAI do.

class HttpProblem {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly param: string | undefined,
    readonly type: string
  ) {}
}

const badRequest = (param: string, message: string): HttpProblem => new HttpProblem(400, message, param, "BadRequestError")

type Body = Readonly<Record<string, unknown>>

const optionalInteger = (body: Body, field: string, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number | undefined => {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "number" || !Number.isInteger(value) || value < minimum || value > maximum)
    throw badRequest(field, `${field} must be an integer in [${minimum}, ${maximum}], got ${JSON.stringify(value)}.`)
  return value
}

const optionalNumber = (body: Body, field: string, valid: (value: number) => boolean, range: string): number | undefined => {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "number" || !Number.isFinite(value) || !valid(value))
    throw badRequest(field, `${field} must be ${range}, got ${JSON.stringify(value)}.`)
  return value
}

const optionalBoolean = (body: Body, field: string): boolean | undefined => {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "boolean") throw badRequest(field, `${field} must be a boolean, got ${JSON.stringify(value)}.`)
  return value
}

const stopOf = (body: Body): ReadonlyArray<string> | undefined => {
  const value = body["stop"]
  if (value === undefined || value === null) return undefined
  if (typeof value === "string") return [value]
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as ReadonlyArray<string>
  throw badRequest("stop", `stop must be a string or a list of strings, got ${JSON.stringify(value)}.`)
}

const checkModel = (body: Body): void => {
  const model = body["model"]
  if (model === undefined || model === null) return
  if (typeof model !== "string") throw badRequest("model", `model must be a string, got ${JSON.stringify(model)}.`)
  if (model !== World_.modelName) throw new HttpProblem(404, `The model \`${model}\` does not exist.`, "model", "NotFoundError")
}

const roles = new Set(["system", "user", "assistant", "developer", "tool"])

const messagesOf = (value: unknown, field: string): Array<Message.Message> => {
  if (!Array.isArray(value) || value.length === 0) throw badRequest(field, `${field} must be a non-empty list of messages.`)
  return value.map((item: unknown, index) => {
    if (typeof item !== "object" || item === null) throw badRequest(`${field}[${index}]`, `${field}[${index}] must be an object.`)
    const record = item as Record<string, unknown>
    const role = record["role"]
    if (typeof role !== "string" || !roles.has(role))
      throw badRequest(`${field}[${index}].role`, `${field}[${index}].role must be one of system, user, assistant, developer, tool; got ${JSON.stringify(role)}.`)
    const content = record["content"]
    let text: string
    if (typeof content === "string") text = content
    else if (Array.isArray(content)) {
      text = content
        .map((part: unknown, partIndex) => {
          const piece = part as Record<string, unknown> | null
          if (piece === null || typeof piece !== "object" || piece["type"] !== "text" || typeof piece["text"] !== "string")
            throw badRequest(`${field}[${index}].content[${partIndex}]`, `only text content parts are supported.`)
          return piece["text"] as string
        })
        .join("")
    } else throw badRequest(`${field}[${index}].content`, `${field}[${index}].content must be a string or a list of text parts.`)
    const mapped: Message.Message["role"] = role === "developer" ? "system" : role === "tool" ? "user" : (role as Message.Message["role"])
    return { role: mapped, content: text }
  })
}

/** Splits a ChatML-rendered prompt back into messages and the assistant text to continue. */
const parseRendered = (prompt: string): { readonly messages: Array<Message.Message>; readonly prefix: string | undefined } => {
  if (prompt.includes("<|im_start|>")) {
    const messages: Array<Message.Message> = []
    let prefix: string | undefined
    const parts = prompt.split("<|im_start|>").slice(1)
    parts.forEach((part, index) => {
      const newline = part.indexOf("\n")
      const role = newline < 0 ? part : part.slice(0, newline)
      const rest = newline < 0 ? "" : part.slice(newline + 1)
      const end = rest.indexOf("<|im_end|>")
      const content = end < 0 ? rest : rest.slice(0, end)
      if (index === parts.length - 1 && role === "assistant" && end < 0) prefix = content.length > 0 ? content : undefined
      else if (role === "system" || role === "user" || role === "assistant") messages.push({ role, content })
    })
    if (messages.length > 0) return { messages, prefix }
  }
  // A plain prompt: the paragraph that is a question of the world, and what follows it as the solution so far.
  const paragraphs = prompt.split("\n\n")
  const at = paragraphs.findIndex((paragraph) => Recognition.recognize(paragraph.trim()) !== undefined)
  if (at < 0) return { messages: [{ role: "user", content: prompt }], prefix: undefined }
  const rest = paragraphs.slice(at + 1).join("\n\n")
  return { messages: [{ role: "user", content: (paragraphs[at] ?? "").trim() }], prefix: rest.length > 0 ? rest : undefined }
}

// ---------------------------------------------------------------------------------------------------------------
// Responses shaped like vLLM's.

let sequence = 0
const nextId = (kind: string): string => `${kind}-${(Seeded.key(Date.now(), ++sequence) >>> 0).toString(16).padStart(8, "0")}${sequence.toString(16)}`

const utf8 = new TextEncoder()
const bytesOf = (token: string): Array<number> => Array.from(utf8.encode(token))

const chatLogprobs = (completion: LanguageModel.Completion, topLogprobs: number) =>
  completion.logprobs === undefined
    ? null
    : {
        content: completion.logprobs.map((position) => ({
          token: position.token,
          logprob: position.logprob,
          bytes: bytesOf(position.token),
          top_logprobs: position.top.slice(0, topLogprobs).map((alternative) => ({
            token: alternative.token,
            logprob: alternative.logprob,
            bytes: bytesOf(alternative.token)
          }))
        }))
      }

const finishOf = (completion: LanguageModel.Completion) => ({
  finish_reason: completion.finishReason === "length" ? "length" : "stop",
  stop_reason: completion.finishReason === "stop" ? (Sampling.stopSequenceOf(completion) ?? null) : null
})

const usageOf = (completions: ReadonlyArray<LanguageModel.Completion>, promptTokens?: number, cachedTokens?: number) => {
  let prompt = 0
  let output = 0
  for (const completion of completions) {
    prompt += completion.usage.inputTokens ?? 0
    output += completion.usage.outputTokens ?? 0
  }
  const input = promptTokens ?? prompt
  return {
    prompt_tokens: input,
    total_tokens: input + output,
    completion_tokens: output,
    prompt_tokens_details: cachedTokens === undefined ? null : { cached_tokens: cachedTokens }
  }
}

/** A server's own prefix cache serves one request: its prompt's token ids and what each sample generated. */
const cachedTokensOf = (
  cache: PrefixCache.PrefixCache | undefined,
  promptIds: ReadonlyArray<number>,
  completions: ReadonlyArray<LanguageModel.Completion>
): number | undefined => (cache === undefined ? undefined : PrefixCache.request(cache, promptIds, completions.map(Sampling.generatedIds)))

const sendJson = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers })
  response.end(text)
}

const sendProblem = (response: ServerResponse, problem: HttpProblem, headers: Record<string, string> = {}): void =>
  sendJson(
    response,
    problem.status,
    {
      // vLLM's ErrorResponse: top-level fields (the Hugging Face client surfaces `message`).
      object: "error",
      message: problem.message,
      type: problem.type,
      param: problem.param ?? null,
      code: problem.status
    },
    headers
  )

const invalidRequestField: Record<string, string> = {
  n: "n",
  maxTokens: "max_tokens",
  minTokens: "min_tokens",
  temperature: "temperature",
  topP: "top_p",
  messages: "messages"
}

const generate = (world: World, request: LanguageModel.GenerateRequest): Promise<ReadonlyArray<LanguageModel.Completion>> =>
  Effect.runPromise(
    world.languageModel.generate(request).pipe(
      Effect.catch((error) =>
        Effect.fail(
          error._tag === "InvalidRequest"
            ? badRequest(invalidRequestField[error.field ?? ""] ?? error.field ?? "body", error.detail)
            : new HttpProblem(500, error.message, undefined, "InternalServerError")
        )
      )
    )
  )

const samplingOf = (body: Body, defaultMaxTokens: number) => {
  const n = optionalInteger(body, "n", 1, 1024) ?? 1
  const maxCompletion = optionalInteger(body, "max_completion_tokens", 1)
  const maxTokens = maxCompletion ?? optionalInteger(body, "max_tokens", 1) ?? defaultMaxTokens
  const temperature = optionalNumber(body, "temperature", (value) => value >= 0, "a number ≥ 0")
  const topP = optionalNumber(body, "top_p", (value) => value > 0 && value <= 1, "a number in (0, 1]")
  const seed = optionalInteger(body, "seed", Number.MIN_SAFE_INTEGER)
  const stop = stopOf(body)
  return {
    n,
    maxTokens,
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(seed === undefined ? {} : { seed }),
    ...(stop === undefined ? {} : { stop })
  }
}

const withStopString = (completion: LanguageModel.Completion, include: boolean): string =>
  include && completion.finishReason === "stop" ? completion.text + (Sampling.stopSequenceOf(completion) ?? "") : completion.text

const chatCompletions = async (world: World, body: Body, response: ServerResponse, cache: PrefixCache.PrefixCache | undefined): Promise<void> => {
  checkModel(body)
  const all = messagesOf(body["messages"], "messages")
  const continueFinal = optionalBoolean(body, "continue_final_message") ?? false
  const addGenerationPrompt = optionalBoolean(body, "add_generation_prompt") ?? true
  if (continueFinal && addGenerationPrompt)
    throw badRequest("continue_final_message", "Cannot set both `continue_final_message` and `add_generation_prompt` to True.")
  const last = all[all.length - 1]
  if (continueFinal && last?.role !== "assistant")
    throw badRequest("messages", "continue_final_message is set but the final message is not an assistant message.")
  const logprobs = optionalBoolean(body, "logprobs") ?? false
  const topLogprobs = optionalInteger(body, "top_logprobs", 0, 20)
  if (topLogprobs !== undefined && topLogprobs > 0 && !logprobs)
    throw badRequest("top_logprobs", "when using `top_logprobs`, `logprobs` must be set to true.")
  const stream = optionalBoolean(body, "stream") ?? false
  const streamOptions = body["stream_options"]
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!stream) throw badRequest("stream_options", "Stream options can only be defined when `stream=True`.")
    if (typeof streamOptions !== "object") throw badRequest("stream_options", "stream_options must be an object.")
  }
  const includeUsage = stream && (streamOptions as Record<string, unknown> | null | undefined)?.["include_usage"] === true
  const includeStop = optionalBoolean(body, "include_stop_str_in_output") ?? false
  const messages = continueFinal ? all.slice(0, -1) : all
  if (messages.length === 0) throw badRequest("messages", "messages must hold at least one message before the one to continue.")
  const request: LanguageModel.GenerateRequest = {
    messages,
    ...(continueFinal ? { prefix: last?.content ?? "" } : {}),
    ...samplingOf(body, 4096),
    ...(logprobs ? { logprobs: true } : {}),
    ...(logprobs && topLogprobs !== undefined ? { topLogprobs: Math.max(1, topLogprobs) } : {})
  }
  const completions = await generate(world, request)
  const cachedTokens = cachedTokensOf(cache, Tokens.promptIds(request.messages, request.prefix), completions)
  const id = nextId("chatcmpl")
  const created = Math.floor(Date.now() / 1000)
  const wantedTop = topLogprobs ?? 0
  if (!stream) {
    sendJson(response, 200, {
      id,
      object: "chat.completion",
      created,
      model: World_.modelName,
      choices: completions.map((completion) => ({
        index: completion.index,
        message: { role: "assistant", content: withStopString(completion, includeStop), reasoning_content: null, tool_calls: [] },
        logprobs: logprobs ? chatLogprobs(completion, wantedTop) : null,
        ...finishOf(completion)
      })),
      usage: usageOf(completions, undefined, cachedTokens),
      prompt_logprobs: null
    })
    return
  }
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
  const write = (chunk: unknown) => response.write(`data: ${JSON.stringify(chunk)}\n\n`)
  const frame = (choices: ReadonlyArray<unknown>) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model: World_.modelName,
    choices,
    ...(includeUsage ? { usage: null } : {})
  })
  for (const completion of completions) {
    write(frame([{ index: completion.index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]))
    const text = withStopString(completion, includeStop)
    const pieces = completion.logprobs !== undefined ? completion.logprobs.map((position) => position.token) : Tokens.pieces(text)
    pieces.forEach((piece, position) => {
      const entry = completion.logprobs?.[position]
      write(
        frame([
          {
            index: completion.index,
            delta: { content: piece },
            logprobs:
              logprobs && entry !== undefined
                ? {
                    content: [
                      {
                        token: entry.token,
                        logprob: entry.logprob,
                        bytes: bytesOf(entry.token),
                        top_logprobs: entry.top.slice(0, wantedTop).map((alternative) => ({ ...alternative, bytes: bytesOf(alternative.token) }))
                      }
                    ]
                  }
                : null,
            finish_reason: null
          }
        ])
      )
    })
    write(frame([{ index: completion.index, delta: { content: "" }, logprobs: null, ...finishOf(completion) }]))
  }
  if (includeUsage) write({ id, object: "chat.completion.chunk", created, model: World_.modelName, choices: [], usage: usageOf(completions, undefined, cachedTokens) })
  response.end("data: [DONE]\n\n")
}

const completionsEndpoint = async (world: World, body: Body, response: ServerResponse, cache: PrefixCache.PrefixCache | undefined): Promise<void> => {
  checkModel(body)
  const raw = body["prompt"]
  const prompts: ReadonlyArray<string> =
    typeof raw === "string"
      ? [raw]
      : Array.isArray(raw) && raw.length > 0 && raw.every((item) => typeof item === "string")
        ? (raw as ReadonlyArray<string>)
        : []
  if (prompts.length === 0) throw badRequest("prompt", "prompt must be a string or a non-empty list of strings.")
  const logprobs = optionalInteger(body, "logprobs", 0, 20)
  const echo = optionalBoolean(body, "echo") ?? false
  if (optionalBoolean(body, "stream") === true) throw badRequest("stream", "streaming is only supported on /v1/chat/completions by this server.")
  const includeStop = optionalBoolean(body, "include_stop_str_in_output") ?? false
  const sampling = samplingOf(body, 16)
  const choices: Array<unknown> = []
  const all: Array<LanguageModel.Completion> = []
  let promptTokens = 0
  let cachedTokens: number | undefined
  for (const [promptIndex, prompt] of prompts.entries()) {
    const { messages, prefix } = parseRendered(prompt)
    const completions = await generate(world, {
      messages,
      ...(prefix === undefined ? {} : { prefix }),
      ...sampling,
      ...(logprobs === undefined ? {} : { topLogprobs: Math.max(1, logprobs) })
    })
    promptTokens += Tokens.count(prompt)
    const cached = cachedTokensOf(cache, Tokens.ids(prompt), completions)
    if (cached !== undefined) cachedTokens = (cachedTokens ?? 0) + cached
    all.push(...completions)
    for (const completion of completions) {
      let offset = echo ? prompt.length : 0
      choices.push({
        index: promptIndex * sampling.n + completion.index,
        text: (echo ? prompt : "") + withStopString(completion, includeStop),
        logprobs:
          completion.logprobs === undefined || logprobs === undefined
            ? null
            : {
                text_offset: completion.logprobs.map((position) => {
                  const at = offset
                  offset += position.token.length
                  return at
                }),
                token_logprobs: completion.logprobs.map((position) => position.logprob),
                tokens: completion.logprobs.map((position) => position.token),
                top_logprobs: completion.logprobs.map((position) =>
                  Object.fromEntries(position.top.slice(0, Math.max(1, logprobs)).map((alternative) => [alternative.token, alternative.logprob]))
                )
              },
        ...finishOf(completion),
        prompt_logprobs: null
      })
    }
  }
  sendJson(response, 200, {
    id: nextId("cmpl"),
    object: "text_completion",
    created: Math.floor(Date.now() / 1000),
    model: World_.modelName,
    choices,
    usage: usageOf(all, promptTokens, cachedTokens)
  })
}

/** The step separator of Qwen2.5-Math-PRM inputs. */
export const stepTag = "<extra_0>"

const pooling = (world: World, body: Body, response: ServerResponse): void => {
  checkModel(body)
  let conversations: Array<{ readonly messages: ReadonlyArray<Message.Message>; readonly assistant: string }>
  if (body["messages"] !== undefined) {
    const messages = messagesOf(body["messages"], "messages")
    const last = messages[messages.length - 1]
    conversations = [{ messages: last?.role === "assistant" ? messages.slice(0, -1) : messages, assistant: last?.role === "assistant" ? last.content : "" }]
  } else {
    const raw = body["input"]
    const inputs: ReadonlyArray<string> =
      typeof raw === "string" ? [raw] : Array.isArray(raw) && raw.length > 0 && raw.every((item) => typeof item === "string") ? (raw as ReadonlyArray<string>) : []
    if (inputs.length === 0) throw badRequest("input", "input must be a string or a non-empty list of strings (or give messages).")
    conversations = inputs.map((input) => {
      const { messages, prefix } = parseRendered(input.replace(/<\|im_end\|>\s*(<\|endoftext\|>)?\s*$/, ""))
      return { messages, assistant: prefix ?? "" }
    })
  }
  let promptTokens = 0
  const data = conversations.map(({ messages, assistant }, index) => {
    const question = Sampling.lastUserText(messages)
    const understood = Recognition.understand(question)
    if (Result.isFailure(understood))
      throw badRequest(body["messages"] !== undefined ? "messages" : "input", `input ${index} holds no problem of this world: ${understood.failure.reason}.`)
    const problem = understood.success
    const steps = assistant.split(stepTag).map((step) => step.trim()).filter((step) => step.length > 0)
    if (!assistant.includes(stepTag)) throw badRequest(body["messages"] !== undefined ? "messages" : "input", `input ${index} has no ${stepTag} step tags.`)
    promptTokens += RewardModel.tokensOf(question, steps) + steps.length
    const scores = RewardModel.scores(world.environment, problem, steps)
    return { index, object: "pooling", data: scores.map((score) => [1 - score, score]) }
  })
  sendJson(response, 200, {
    id: nextId("pool"),
    object: "list",
    created: Math.floor(Date.now() / 1000),
    model: World_.modelName,
    data,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, completion_tokens: 0, prompt_tokens_details: null }
  })
}

const models = (response: ServerResponse): void =>
  sendJson(response, 200, {
    object: "list",
    data: [
      {
        id: World_.modelName,
        object: "model",
        created: Math.floor(Date.now() / 1000),
        owned_by: "vllm",
        root: World_.modelName,
        parent: null,
        max_model_len: 32768,
        permission: []
      }
    ]
  })

const readBody = (request: IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new HttpProblem(413, `request body is larger than ${limit} bytes`, "body", "RequestEntityTooLarge"))
        request.resume()
        return
      }
      chunks.push(chunk)
    })
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    request.on("error", reject)
  })

type Fault = "serverError" | "unavailable" | "rateLimited" | "slow" | "dropped" | "truncated" | "malformed"
const faultOrder: ReadonlyArray<Fault> = ["serverError", "unavailable", "rateLimited", "slow", "dropped", "truncated", "malformed"]

const drawFault = (faults: Faults | undefined, requestNumber: number): Fault | undefined => {
  if (faults === undefined) return undefined
  const u = Seeded.uniform(Seeded.key(faults.seed ?? 0, requestNumber, "fault"))
  let cumulative = 0
  for (const fault of faultOrder) {
    cumulative += faults[fault] ?? 0
    if (u < cumulative) return fault
  }
  return undefined
}

const validateOptions = (options: Options): InvalidOptions | undefined => {
  const bad = (field: string, detail: string) => new InvalidOptions({ subject: "simulator server", field, detail })
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535))
    return bad("port", `must be an integer in [0, 65535], got ${options.port}`)
  if (options.maxBodyBytes !== undefined && !(Number.isInteger(options.maxBodyBytes) && options.maxBodyBytes > 0))
    return bad("maxBodyBytes", `must be a positive integer, got ${options.maxBodyBytes}`)
  if (options.latencyMillis !== undefined && !(Number.isFinite(options.latencyMillis) && options.latencyMillis >= 0))
    return bad("latencyMillis", `must be a finite number ≥ 0, got ${options.latencyMillis}`)
  if (options.prefixCache !== undefined) {
    const problem = PrefixCache.validate(options.prefixCache)
    if (problem !== undefined) return bad(`prefixCache.${problem.field}`, problem.detail)
  }
  const faults = options.faults
  if (faults !== undefined) {
    let total = 0
    for (const fault of faultOrder) {
      const share = faults[fault]
      if (share === undefined) continue
      if (!(share >= 0 && share <= 1)) return bad(`faults.${fault}`, `must be in [0, 1], got ${share}`)
      total += share
    }
    if (total > 1 + 1e-9) return bad("faults", `shares sum to ${total}, more than 1`)
    if (faults.retryAfterSeconds !== undefined && !(faults.retryAfterSeconds >= 0))
      return bad("faults.retryAfterSeconds", `must be ≥ 0, got ${faults.retryAfterSeconds}`)
    if (faults.slowMillis !== undefined && !(faults.slowMillis >= 0)) return bad("faults.slowMillis", `must be ≥ 0, got ${faults.slowMillis}`)
  }
  return undefined
}

const delay = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

const handler = (world: World, options: Options) => {
  let requests = 0
  const cache = options.prefixCache === undefined ? undefined : PrefixCache.make(options.prefixCache)
  const limit = options.maxBodyBytes ?? 8 * 1024 * 1024
  const latency = options.latencyMillis ?? 0
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const arrived = performance.now()
    const path = (request.url ?? "/").split("?")[0] ?? "/"
    try {
      if (request.method === "GET" && path === "/v1/models") return models(response)
      if (request.method === "GET" && path === "/health") {
        response.writeHead(200)
        response.end()
        return
      }
      const routes = ["/v1/chat/completions", "/v1/completions", "/pooling"]
      if (!routes.includes(path)) return sendJson(response, 404, { detail: "Not Found" })
      if (request.method !== "POST") return sendJson(response, 405, { detail: "Method Not Allowed" })
      const text = await readBody(request, limit)
      const fault = drawFault(options.faults, requests++)
      const faults = options.faults ?? {}
      if (fault === "dropped") {
        request.socket.destroy()
        return
      }
      if (fault === "serverError") return sendProblem(response, new HttpProblem(500, "injected fault: internal server error", undefined, "InternalServerError"))
      if (fault === "unavailable") return sendProblem(response, new HttpProblem(503, "injected fault: service unavailable", undefined, "ServiceUnavailableError"))
      if (fault === "rateLimited")
        return sendProblem(response, new HttpProblem(429, "injected fault: too many requests", undefined, "RateLimitError"), {
          "retry-after": String(faults.retryAfterSeconds ?? 1)
        })
      if (fault === "malformed") {
        response.writeHead(200, { "content-type": "application/json" })
        response.end('{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [ {"index": 0, "message": <<not json>>')
        return
      }
      if (fault === "slow") await delay(faults.slowMillis ?? 2000)
      let body: Body
      try {
        const parsed: unknown = JSON.parse(text)
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw badRequest("body", "the request body must be a JSON object.")
        body = parsed as Body
      } catch (error) {
        if (error instanceof HttpProblem) throw error
        throw badRequest("body", `the request body is not valid JSON: ${(error as Error).message}`)
      }
      if (fault === "truncated") {
        const capture = new Capture()
        await route(world, path, body, capture.response, cache)
        const full = capture.body
        response.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(full)) })
        response.write(full.slice(0, Math.floor(full.length / 2)))
        response.socket?.destroy()
        return
      }
      if (latency > 0) {
        const capture = new Capture()
        await route(world, path, body, capture.response, cache)
        await Deadline.waitUntil(arrived + latency)
        capture.replay(response)
        return
      }
      await route(world, path, body, response, cache)
    } catch (error) {
      const problem = error instanceof HttpProblem ? error : new HttpProblem(500, String(error), undefined, "InternalServerError")
      if (response.headersSent) response.end()
      else sendProblem(response, problem)
    }
  }
}

const route = (world: World, path: string, body: Body, response: ServerResponse, cache: PrefixCache.PrefixCache | undefined): Promise<void> | void =>
  path === "/v1/chat/completions"
    ? chatCompletions(world, body, response, cache)
    : path === "/v1/completions"
      ? completionsEndpoint(world, body, response, cache)
      : pooling(world, body, response)

/** Collects what a route writes, to serve it later: cut in half (the truncated fault), or after the latency. */
class Capture {
  status = 200
  headers: Record<string, string> = {}
  body = ""
  readonly response = {
    headersSent: false,
    writeHead: (status: number, headers?: Record<string, string>) => {
      this.status = status
      this.headers = { ...headers }
      return this.response
    },
    write: (chunk: string) => {
      this.body += chunk
      return true
    },
    end: (chunk?: string) => {
      if (chunk !== undefined) this.body += chunk
    }
  } as unknown as ServerResponse

  /** Sends what was collected, whole. */
  replay(response: ServerResponse): void {
    response.writeHead(this.status, this.headers)
    response.end(this.body)
  }
}

/**
 * Starts the server and resolves once it listens. Rejects with `InvalidOptions` or `ListenError`.
 *
 * @example
 * const server = await Server.listen(world, { port: 0 })
 * // ... chatCompletion({ endpointUrl: server.url, model: "stepwise-sim", messages })
 * await server.close()
 */
export const listen = (world: World, options: Options = {}): Promise<Handle> => {
  const problem = validateOptions(options)
  if (problem !== undefined) return Promise.reject(problem)
  const port = options.port ?? 0
  const handle = handler(world, options)
  const server = createServer((request, response) => void handle(request, response))
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new ListenError({ port, detail: error.message })))
    server.listen(port, "127.0.0.1", () => {
      const address = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}

/**
 * Serves the world for the life of the current scope.
 *
 * @example
 * Effect.scoped(Effect.gen(function* () {
 *   const { url } = yield* Server.serve(world, { port: 0 })
 * }))
 */
export const serve = (world: World, options: Options = {}): Effect.Effect<Address, ListenError | InvalidOptions, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => listen(world, options),
      catch: (error) =>
        error instanceof InvalidOptions || error instanceof ListenError
          ? error
          : new ListenError({ port: options.port ?? 0, detail: String(error) })
    }),
    (handle) => Effect.promise(() => handle.close())
  ).pipe(Effect.map((handle): Address => ({ url: handle.url, port: handle.port })))
