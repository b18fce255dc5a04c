import type { IncomingMessage, ServerResponse } from "node:http"
import { Effect } from "effect"
import * as ApiError from "./ApiError.js"

/**
 * Reads a request body up to `limit` bytes as JSON. Too large is a 413; not JSON a 400 naming `body`. The request
 * is destroyed when it passes the limit, so a client cannot keep sending.
 */
export const readJson = (request: IncomingMessage, limit: number): Effect.Effect<unknown, ApiError.ApiError> =>
  Effect.callback<unknown, ApiError.ApiError>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (effect: Effect.Effect<unknown, ApiError.ApiError>) => {
      if (done) return
      done = true
      resume(effect)
    }
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        finish(Effect.fail(new ApiError.ApiError({ status: 413, type: "invalid_request_error", param: "body", code: "body_too_large", detail: `the body is larger than ${limit} bytes` })))
        request.destroy()
        return
      }
      chunks.push(chunk)
    })
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      finish(Effect.try({ try: () => JSON.parse(text) as unknown, catch: () => ApiError.invalid("body", "the body is not valid JSON") }))
    })
    request.on("error", () => finish(Effect.fail(ApiError.invalid("body", "the body could not be read"))))
  })

/** True while a response can still be written to (not ended, connection not gone). */
export const writable = (response: ServerResponse): boolean => !response.writableEnded && !response.destroyed

/** Writes a whole JSON response. */
export const json = (response: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
  if (!writable(response)) return
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
  response.end(text)
}

/**
 * The headers an error's status and fields call for: `Retry-After` when it has one, `Allow` on a 405 and
 * `WWW-Authenticate: Bearer` on a 401 (the scheme its key is sent in).
 */
export const errorHeaders = (failure: ApiError.ApiError): Readonly<Record<string, string>> => ({
  ...(failure.retryAfterSeconds === undefined ? {} : { "retry-after": String(failure.retryAfterSeconds) }),
  ...(failure.allow === undefined ? {} : { allow: failure.allow.join(", ") }),
  ...(failure.status === 401 ? { "www-authenticate": "Bearer" } : {})
})

/** Writes an error response: its status, the headers it calls for (`errorHeaders`), and OpenAI's error body, scrubbed. */
export const error = (
  response: ServerResponse,
  failure: ApiError.ApiError,
  known: ReadonlyArray<string>,
  extra: Readonly<Record<string, unknown>> = {}
): void => json(response, failure.status, ApiError.body(failure, known, extra), errorHeaders(failure))

/** Starts a server-sent events response. */
export const startEvents = (response: ServerResponse): void => {
  if (!writable(response)) return
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" })
  response.flushHeaders()
}

/** Sends one event's data (JSON) on a server-sent events response. */
export const send = (response: ServerResponse, data: unknown): void => {
  if (writable(response)) response.write(`data: ${JSON.stringify(data)}\n\n`)
}

/** Ends a server-sent events response, with OpenAI's `[DONE]` line when asked. */
export const endEvents = (response: ServerResponse, done: boolean): void => {
  if (!writable(response)) return
  if (done) response.write("data: [DONE]\n\n")
  response.end()
}
