import { Data } from "effect"
import type { InvalidOptions } from "@stepwise/core"
import { Redaction } from "@stepwise/core"

/** The `type` of an OpenAI-style error body. */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "upstream_error"
  | "server_error"

/**
 * A request the server refuses or cannot serve, as an HTTP status and OpenAI's error body
 * (`{ error: { message, type, param, code } }`): `param` names the offending field or header, `retryAfterSeconds`
 * becomes a `Retry-After` header and `allow` (the methods a path serves, on a 405) an `Allow` header. The message is
 * scrubbed of credentials when the body is written.
 */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly type: ErrorType
  readonly detail: string
  readonly param?: string | undefined
  readonly code?: string | undefined
  readonly retryAfterSeconds?: number | undefined
  readonly allow?: ReadonlyArray<string> | undefined
}> {
  override get message(): string {
    return Redaction.scrub(this.detail)
  }
}

/** A 400 naming the field. */
export const invalid = (param: string, detail: string): ApiError =>
  new ApiError({ status: 400, type: "invalid_request_error", param, code: "invalid_value", detail })

/**
 * A 400 from an `InvalidOptions` found under `prefix` (e.g. `stepwise.options`): `param` is the full dotted path of
 * the field; the message is the `InvalidOptions` message (the kind, the field, what is wrong, the allowed keys),
 * after the prefix it was found under.
 */
export const fromInvalidOptions = (prefix: string, error: InvalidOptions): ApiError => {
  const own = error.field === "" || error.field === "(options)" ? "" : error.field
  const field = prefix === "" ? own || "body" : own === "" ? prefix : `${prefix}.${own}`
  return new ApiError({
    status: 400,
    type: "invalid_request_error",
    param: field,
    code: "invalid_value",
    detail: prefix === "" ? error.message : `${prefix}: ${error.message}`
  })
}

/**
 * The JSON body of an error, scrubbed of credentials (and of the given known secrets); `retry_after_seconds` when
 * the error has a `Retry-After`.
 */
export const body = (error: ApiError, known: ReadonlyArray<string> = [], extra: Readonly<Record<string, unknown>> = {}) => ({
  error: {
    message: Redaction.scrub(error.detail, known),
    type: error.type,
    param: error.param ?? null,
    code: error.code ?? null,
    // What `Retry-After` says, in the body too: a stream's error comes after its 200 headers.
    ...(error.retryAfterSeconds === undefined ? {} : { retry_after_seconds: error.retryAfterSeconds }),
    ...extra
  }
})
