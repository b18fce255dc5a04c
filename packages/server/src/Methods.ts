import type { ServerResponse } from "node:http"
import { Effect } from "effect"
import * as ApiError from "./ApiError.js"

/**
 * The HTTP methods of the server's endpoints: an endpoint that serves GET answers HEAD as GET without a body (Node
 * writes no body for HEAD), every endpoint answers OPTIONS with 204 and `Allow`, and any other method is a 405 with
 * `Allow`.
 */

/** What an endpoint answered: its status and a word for the log. */
export interface Answered {
  readonly status: number
  readonly outcome: string
}

/** The methods an endpoint answers, given those it serves: HEAD beside GET, and OPTIONS. */
export const allowed = (served: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...served.flatMap((method) => (method === "GET" ? ["GET", "HEAD"] : [method])),
  "OPTIONS"
]

/** The 405 of a method an endpoint does not answer, with the methods it does (its `Allow` header). */
export const notAllowed = (method: string, path: string, served: ReadonlyArray<string>): ApiError.ApiError =>
  new ApiError.ApiError({
    status: 405,
    type: "invalid_request_error",
    code: "method_not_allowed",
    allow: allowed(served),
    detail: `${method} ${path} is not served (use ${served.join(" or ")})`
  })

/**
 * Serves a request by `handler` when the endpoint serves its method (HEAD where it serves GET); answers OPTIONS
 * with 204 and `Allow`; fails any other method with a 405 carrying `Allow`.
 *
 * @example
 * Methods.serve(method, "/v1/models", ["GET"], response, () => Effect.sync(() => writeModels(response)))
 */
export const serve = <E>(
  method: string,
  path: string,
  served: ReadonlyArray<string>,
  response: ServerResponse,
  handler: () => Effect.Effect<Answered, E>
): Effect.Effect<Answered, E | ApiError.ApiError> => {
  if (method === "OPTIONS")
    return Effect.sync(() => {
      response.writeHead(204, { allow: allowed(served).join(", ") })
      response.end()
      return { status: 204, outcome: "ok" }
    })
  if (served.includes(method) || (method === "HEAD" && served.includes("GET"))) return handler()
  return Effect.fail(notAllowed(method, path, served))
}
