import { createServer } from "node:http"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Cause, Effect, Exit } from "effect"
import * as ApiError from "./ApiError.js"
import * as Http from "./Http.js"
import * as Methods from "./Methods.js"
import * as Runs from "./Runs.js"
import * as ViewPage from "./ViewPage.js"

/**
 * The tree view's routes, shared by `stepwise serve` and `stepwise solve --view`: the page (`GET /view`), the
 * kept runs (`GET /v1/runs`), a run's tree file (`GET /v1/runs/<id>`) and its events as server-sent events
 * (`GET /v1/runs/<id>/events`: everything so far, then each new event, to the run's end). Each answers HEAD as GET
 * without a body, and OPTIONS (see `Methods`).
 */

/** What a route answered: its status and a word for the log. */
export type Answered = Methods.Answered

/** True for the path of the page itself, which needs no key (it holds no data; its requests do). */
export const isPage = (path: string): boolean => path === "/view" || path === "/view/index.html"

/** Writes the page (on GET and HEAD; OPTIONS and other methods as `Methods.serve` answers them). */
export const page = (response: ServerResponse, method: string, path: string): Effect.Effect<Answered, ApiError.ApiError> =>
  Methods.serve(method, path, ["GET"], response, () =>
    Effect.map(Effect.all([ViewPage.html, ViewPage.contentSecurityPolicy]), ([html, policy]) => {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": policy, "x-content-type-options": "nosniff" })
      response.end(html)
      return { status: 200, outcome: "ok" }
    })
  )

const follow = (response: ServerResponse, run: Runs.Run, method: string) => {
  Http.startEvents(response)
  // HEAD: the stream's headers alone, not a stream kept open to the run's end.
  if (method === "HEAD") return void response.end()
  const stop = Runs.follow(run, (item) => {
    Http.send(response, item)
    if (item.type === "end") Http.endEvents(response, false)
  })
  response.on("close", stop)
}

// A path segment's text, or `undefined` when its escapes are malformed (`%ZZ`).
const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined
  }
}

/**
 * Answers a request for the runs' data, or `undefined` when the path is not one of them. `GET` is served (and
 * `HEAD`, `OPTIONS`), any other method is a 405 with `Allow`. With
 * `caller` (the label of the request's API key), only that key's runs are listed and served; another's is "no such
 * run", as one that never was.
 */
export const data = (
  runs: Runs.Runs,
  method: string,
  path: string,
  response: ServerResponse,
  caller?: string
): Effect.Effect<Answered, ApiError.ApiError> | undefined => {
  const runPath = /^\/v1\/runs(?:\/([^/]+)(\/events)?)?$/.exec(path)
  if (runPath === null) return undefined
  return Methods.serve(method, path, ["GET"], response, () => runData(runs, runPath, path, response, method, caller))
}

const runData = (
  runs: Runs.Runs,
  runPath: RegExpExecArray,
  path: string,
  response: ServerResponse,
  method: string,
  caller: string | undefined
): Effect.Effect<Answered, ApiError.ApiError> => {
  if (runPath[1] === undefined)
    return Effect.sync(() => {
      Http.json(response, 200, { object: "list", data: Runs.list(runs, caller) })
      return { status: 200, outcome: "ok" }
    })
  const id = decodeSegment(runPath[1])
  if (id === undefined)
    return Effect.fail(new ApiError.ApiError({ status: 400, type: "invalid_request_error", code: "invalid_run_id", param: "run", detail: `the run id in ${path} is not a valid URL escape` }))
  const run = runs.byId.get(id)
  if (run === undefined || !Runs.isVisibleTo(run, caller))
    return Effect.fail(
      new ApiError.ApiError({ status: 404, type: "not_found_error", code: "run_not_found", param: "run", detail: "no such run (finished runs are kept for a while, then dropped)" })
    )
  return Effect.sync(() => {
    if (runPath[2] === undefined) Http.json(response, 200, Runs.treeFile(run))
    else follow(response, run, method)
    return { status: 200, outcome: "ok" }
  })
}

/**
 * A request's path, repeated slashes folded and the trailing one dropped (`//v1//runs/` is `/v1/runs`): read
 * after a fixed origin, so a path that starts with `//` is never taken for a host.
 */
export const pathOf = (request: IncomingMessage): string =>
  new URL(`http://server${(request.url ?? "/").startsWith("/") ? "" : "/"}${request.url ?? "/"}`).pathname.replace(/\/{2,}/g, "/").replace(/\/+$/, "") || "/"

/** A running view server. */
export interface Handle {
  readonly url: string
  readonly port: number
  readonly close: () => Promise<void>
}

/**
 * Serves the tree view of `runs` alone on 127.0.0.1 (for `stepwise solve --view`): the page and the runs' data,
 * nothing else.
 *
 * @example
 * const view = await ViewRoutes.listen(runs, { port: 0 })
 * console.log(`${view.url}/view?run=${run.info.id}`)
 */
export const listen = (runs: Runs.Runs, options: { readonly port?: number } = {}): Promise<Handle> => {
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = pathOf(request)
    const method = request.method ?? "GET"
    const program: Effect.Effect<Answered, ApiError.ApiError> = isPage(path)
      ? page(response, method, path)
      : (data(runs, method, path, response) ?? Effect.fail(new ApiError.ApiError({ status: 404, type: "not_found_error", code: "not_found", detail: `${method} ${path} is not served` })))
    void Effect.runPromiseExit(program).then((exit) => {
      if (Exit.isFailure(exit)) {
        const failure = Cause.findErrorOption(exit.cause)
        if (failure._tag === "Some") Http.error(response, failure.value, [])
        else Http.error(response, new ApiError.ApiError({ status: 500, type: "server_error", code: "internal", detail: "internal error" }), [])
      }
    })
  }
  const server = createServer(handle)
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, "127.0.0.1", () => {
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
