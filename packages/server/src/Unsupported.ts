import { Result } from "effect"
import * as ApiError from "./ApiError.js"

/**
 * The OpenAI chat fields that ask for something a search cannot give (tool calls, token logprobs, structured or
 * audio output): a request that sets one to anything but its null, false or default value is refused, naming the
 * field, rather than answered as if it had not asked.
 */

/** One such field: its name, the values that ask nothing of it (besides `null`), and what a search gives instead. */
export interface Field {
  readonly field: string
  readonly asksNothing: (value: unknown) => boolean
  readonly instead: string
}

const emptyList = (value: unknown) => Array.isArray(value) && value.length === 0
const noCall = (value: unknown) => value === "none" || value === "auto"

/** The fields refused unless null or their default. */
export const fields: ReadonlyArray<Field> = [
  { field: "tools", asksNothing: emptyList, instead: "a search answers in text and calls no tools" },
  { field: "tool_choice", asksNothing: noCall, instead: "a search answers in text and calls no tools (only \"none\" or \"auto\" pass)" },
  { field: "functions", asksNothing: emptyList, instead: "a search answers in text and calls no functions" },
  { field: "function_call", asksNothing: noCall, instead: "a search answers in text and calls no functions (only \"none\" or \"auto\" pass)" },
  { field: "logprobs", asksNothing: (value) => value === false, instead: "the answer is chosen by a search over many samples, so it has no token logprobs" },
  { field: "top_logprobs", asksNothing: (value) => value === 0, instead: "the answer is chosen by a search over many samples, so it has no token logprobs" },
  {
    field: "response_format",
    asksNothing: (value) => typeof value === "object" && value !== null && (value as { readonly type?: unknown }).type === "text",
    instead: "the answer is the search's text, in no schema (only {\"type\":\"text\"} passes)"
  },
  {
    field: "modalities",
    asksNothing: (value) => Array.isArray(value) && value.every((each) => each === "text"),
    instead: "the answer is text (only [\"text\"] passes)"
  },
  { field: "audio", asksNothing: () => false, instead: "the answer is text" }
]

/**
 * The first field of `body` that asks for what the gateway cannot give, as a 400 `invalid_request_error` whose
 * `param` names it (code `unsupported_parameter`); `null` and absent fields ask nothing.
 *
 * @example
 * Unsupported.check({ tools: [{ type: "function" }] }) // a 400 with param "tools"
 */
export const check = (body: Readonly<Record<string, unknown>>): Result.Result<void, ApiError.ApiError> => {
  for (const each of fields) {
    const value = body[each.field]
    if (value === undefined || value === null || each.asksNothing(value)) continue
    return Result.fail(
      new ApiError.ApiError({
        status: 400,
        type: "invalid_request_error",
        param: each.field,
        code: "unsupported_parameter",
        detail: `this gateway does not support "${each.field}": ${each.instead}; leave the field out or send null`
      })
    )
  }
  return Result.void
}
