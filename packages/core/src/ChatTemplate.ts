/**
 * A model's chat template (Jinja, as in `tokenizer_config.json` or a GGUF's `tokenizer.chat_template`), rendered
 * client-side with `@huggingface/jinja`, and the prompt text that continues a partial assistant answer.
 *
 * Use it where a server cannot continue a final assistant message itself: render the conversation with the
 * generation prompt, append the prefix, and send the text to a raw completions endpoint (or tokenize it for an
 * in-process engine).
 *
 * @example
 * const template = yield* ChatTemplate.fromString("{% for m in messages %}{{ m.content }}\n{% endfor %}")
 * const text = yield* ChatTemplate.continuation(template, messages, "## Step 1: ")
 */
import { readFile, stat } from "node:fs/promises"
import { basename, join } from "node:path"
import { Template } from "@huggingface/jinja"
import type * as Message from "./Message.js"
import { InvalidOptions, InvalidRequest } from "./Errors.js"
import { Effect } from "effect"

/** A parsed chat template with the special-token strings it may refer to. */
export interface ChatTemplate {
  readonly source: string
  readonly bosToken: string | undefined
  readonly eosToken: string | undefined
  /** The parsed Jinja template (`@huggingface/jinja`'s `Template`, typed by what is used of it). */
  readonly template: { readonly render: (items: Record<string, unknown>) => string }
}

/** Special tokens a template may print (`{{ bos_token }}`). */
export interface SpecialTokens {
  readonly bosToken?: string | undefined
  readonly eosToken?: string | undefined
}

/** Parses a template from its source; a syntax error fails with `InvalidOptions` on `chatTemplate`. */
export const fromString = (source: string, tokens: SpecialTokens = {}): Effect.Effect<ChatTemplate, InvalidOptions> =>
  Effect.try({
    try: () => ({ source, bosToken: tokens.bosToken, eosToken: tokens.eosToken, template: new Template(source) }),
    catch: (error) =>
      new InvalidOptions({ subject: "ChatTemplate", field: "chatTemplate", detail: `does not parse: ${String(error)}` })
  })

const tokenText = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (typeof value === "object" && value !== null && "content" in value && typeof value.content === "string")
    return value.content
  return undefined
}

/**
 * Reads `chat_template`, `bos_token` and `eos_token` from a `tokenizer_config.json` file. A list of named templates
 * yields the one named "default".
 */
export const fromTokenizerConfig = (path: string, field = "tokenizerConfig"): Effect.Effect<ChatTemplate, InvalidOptions> =>
  Effect.gen(function* () {
    const failure = (detail: string) => new InvalidOptions({ subject: "ChatTemplate", field, detail })
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (error) => failure(`cannot be read (${path}): ${String(error)}`)
    })
    const config = yield* Effect.try({
      try: () => JSON.parse(text) as Record<string, unknown>,
      catch: () => failure(`is not JSON (${path})`)
    })
    const raw = config["chat_template"]
    const source =
      typeof raw === "string"
        ? raw
        : Array.isArray(raw)
          ? (raw as ReadonlyArray<{ name?: unknown; template?: unknown }>).find((entry) => entry.name === "default")
              ?.template
          : undefined
    if (typeof source !== "string") return yield* Effect.fail(failure(`has no chat_template (${path})`))
    return yield* fromString(source, {
      bosToken: tokenText(config["bos_token"]),
      eosToken: tokenText(config["eos_token"])
    })
  })

const readText = (path: string, field: string): Effect.Effect<string, InvalidOptions> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (error) => new InvalidOptions({ subject: "ChatTemplate", field, detail: `cannot be read (${path}): ${(error as { code?: string }).code ?? "read error"}` })
  })

const specialTokensOf = (path: string): Effect.Effect<SpecialTokens, InvalidOptions> =>
  Effect.flatMap(readText(path, "chatTemplate"), (text) =>
    Effect.try({
      try: () => {
        const config = JSON.parse(text) as Record<string, unknown>
        return { bosToken: tokenText(config["bos_token"]), eosToken: tokenText(config["eos_token"]) }
      },
      catch: () => new InvalidOptions({ subject: "ChatTemplate", field: "chatTemplate", detail: `is not JSON (${path})` })
    })
  )

const exists = (path: string): Effect.Effect<boolean> =>
  Effect.promise(() => stat(path).then(() => true, () => false))

/**
 * Reads a chat template from a path: a Hub-style model folder (its `chat_template.jinja`, the newer layout, else the
 * `chat_template` of its `tokenizer_config.json`; special tokens from `tokenizer_config.json`), a
 * `tokenizer_config.json` file, or a Jinja file. Failures are `InvalidOptions` on `chatTemplate`, naming the path.
 *
 * @example
 * const template = yield* ChatTemplate.fromPath("models/Qwen2.5-Math-1.5B-Instruct")
 */
export const fromPath = (path: string): Effect.Effect<ChatTemplate, InvalidOptions> =>
  Effect.gen(function* () {
    const isFolder = yield* Effect.promise(() => stat(path).then((found) => found.isDirectory(), () => false))
    if (isFolder) {
      const jinja = join(path, "chat_template.jinja")
      const config = join(path, "tokenizer_config.json")
      const hasConfig = yield* exists(config)
      if (yield* exists(jinja)) return yield* fromString(yield* readText(jinja, "chatTemplate"), hasConfig ? yield* specialTokensOf(config) : {})
      if (hasConfig) return yield* fromTokenizerConfig(config, "chatTemplate")
      return yield* Effect.fail(
        new InvalidOptions({ subject: "ChatTemplate", field: "chatTemplate", detail: `folder ${path} holds neither chat_template.jinja nor tokenizer_config.json` })
      )
    }
    if (basename(path).endsWith(".json")) return yield* fromTokenizerConfig(path, "chatTemplate")
    return yield* fromString(yield* readText(path, "chatTemplate"))
  })

/**
 * Renders the conversation as plain text; `addGenerationPrompt` opens the assistant's turn. Throws what the
 * template throws: for synchronous callers such as token counters; Effect code uses `render`.
 */
export const renderText = (
  template: ChatTemplate,
  messages: ReadonlyArray<Message.Message>,
  addGenerationPrompt: boolean
): string =>
  template.template.render({
    messages: messages.map((message) => ({ role: message.role, content: message.content })),
    add_generation_prompt: addGenerationPrompt,
    bos_token: template.bosToken ?? "",
    eos_token: template.eosToken ?? "",
    // As transformers passes them when a chat has none: defined, and none (`tools is not none` is false).
    tools: null,
    documents: null
  })

/** Renders the conversation; `addGenerationPrompt` opens the assistant's turn. Render errors fail with `InvalidRequest`. */
export const render = (
  template: ChatTemplate,
  messages: ReadonlyArray<Message.Message>,
  options: { readonly addGenerationPrompt: boolean; readonly backend?: string }
): Effect.Effect<string, InvalidRequest> =>
  Effect.try({
    try: () => renderText(template, messages, options.addGenerationPrompt),
    catch: (error) =>
      new InvalidRequest({
        backend: options.backend ?? "chat-template",
        field: "messages",
        detail: `chat template failed to render: ${String(error)}`
      })
  })

/**
 * A rendered text without the template's BOS at its head: for a server that adds the model's BOS itself when it
 * tokenizes a prompt or an input (vLLM's and TGI's completions, vLLM's `/pooling`), where it would be there twice.
 */
export const withoutBos = (template: ChatTemplate, text: string): string => {
  const bos = template.bosToken
  return bos !== undefined && bos.length > 0 && text.startsWith(bos) ? text.slice(bos.length) : text
}

/**
 * The prompt text that makes a raw completion continue `prefix` as the assistant: the conversation with the
 * assistant's turn opened, then the prefix verbatim.
 */
export const continuation = (
  template: ChatTemplate,
  messages: ReadonlyArray<Message.Message>,
  prefix: string | undefined,
  backend?: string
): Effect.Effect<string, InvalidRequest> =>
  Effect.map(
    render(template, messages, { addGenerationPrompt: true, ...(backend === undefined ? {} : { backend }) }),
    (text) => text + (prefix ?? "")
  )
