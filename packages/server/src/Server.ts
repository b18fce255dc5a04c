import { randomBytes } from "node:crypto"
import { createServer } from "node:http"
import type { IncomingMessage, Server as NodeServer, ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Cause, Clock, Data, Effect, Exit, Fiber, Result } from "effect"
import type { Scope } from "effect"
import type { CostModel, Snapshot } from "@stepwise/accountant"
import { Accountant } from "@stepwise/accountant"
import { InvalidOptions, LanguageModel, Options as CoreOptions, ProcessRewardModel, Redaction, Registry, SearchEvent } from "@stepwise/core"
import type { Resource } from "@stepwise/core"
import { Strategies } from "@stepwise/search"
import * as Accounts from "./Accounts.js"
import * as ApiError from "./ApiError.js"
import * as Auth from "./Auth.js"
import * as BestSoFar from "./BestSoFar.js"
import * as BoundedMap from "./BoundedMap.js"
import * as ChatRequest from "./ChatRequest.js"
import * as Choice from "./Choice.js"
import * as Completion from "./Completion.js"
import * as Http from "./Http.js"
import * as Limits from "./Limits.js"
import * as Methods from "./Methods.js"
import * as Metrics from "./Metrics.js"
import * as Pool from "./Pool.js"
import * as Runs from "./Runs.js"
import * as Upstream from "./Upstream.js"
import * as ViewRoutes from "./ViewRoutes.js"

/**
 * `stepwise serve`: an OpenAI-compatible server (`POST /v1/chat/completions`, `GET /v1/models`,
 * `GET /v1/models/{model}`) that answers each request by a search over one upstream, under a budget per request and
 * budgets shared per API key and server; streams progress and the answer over server-sent events; serves
 * Prometheus metrics at `/metrics` and a live tree view at `/view`. Binds 127.0.0.1 unless told otherwise, and then
 * only with API keys.
 */

/** Options of `listen` and `serve`. */
export interface Options {
  readonly upstream: Upstream.Upstream
  /** The strategies requests may name (default: the built-in registry). */
  readonly strategies?: Strategies.Any
  /** The strategy of a request that names none (default `a-star` with its defaults). */
  readonly strategy?: { readonly kind: string; readonly options?: Readonly<Record<string, unknown>> }
  /** Budgets per request, per API key and for the whole server (see `Limits.settings`). */
  readonly limits?: Limits.Settings
  /** Address to bind (default 127.0.0.1). Any other than a loopback address needs `expose` and API keys. */
  readonly host?: string
  /** Port (default 0: a free one). */
  readonly port?: number
  /** Allows a non-loopback `host`; API keys are then required. */
  readonly expose?: boolean
  /** API keys; when given, every endpoint but `/health` and the `/view` page itself needs one. */
  readonly apiKeys?: ReadonlyArray<string>
  /** Places in the one pool of upstream calls all requests share (default 16). */
  readonly upstreamConcurrency?: number
  /** Requests running at once; more get a 429 with `Retry-After` (default 64). */
  readonly maxActiveRequests?: number
  /** Seconds a 429 asks a client to wait (default 1). */
  readonly retryAfterSeconds?: number
  /** Largest request body in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number
  /** The system prompt of a request that sends none (default `ChatRequest.defaultSystemPrompt`). */
  readonly systemPrompt?: string
  /** Prices the `cost` resource (default: tokens). */
  readonly costModel?: CostModel.CostModel
  /** Finished runs kept for the tree view (default 32). */
  readonly keepRuns?: number
  /** Finished requests whose spend `state().spentById` keeps, the latest ones (default `defaultKeepSpent`). */
  readonly keepSpent?: number
  /** Receives one line per request (method, path, status, milliseconds, outcome), scrubbed of credentials. */
  readonly log?: (line: string) => void
}

/** The server's state now: for tests, health checks and leak checks. */
export interface State {
  readonly activeRequests: number
  readonly poolInUse: number
  readonly poolWaiting: number
  readonly openConnections: number
  /** The server's budget (spent and reserved), with each key's budget and open requests as children. */
  readonly budget: Snapshot.Snapshot
  /** What each of the latest finished requests spent (up to `keepSpent` of them), by its id (the response's `id`). */
  readonly spentById: ReadonlyMap<string, Resource.Amounts>
}

/** Where a running server listens. */
export interface Address {
  /** `http://HOST:PORT`; OpenAI clients take `${url}/v1` as their base URL. */
  readonly url: string
  readonly host: string
  readonly port: number
}

/** A running server started with `listen`. */
export interface Handle extends Address {
  readonly state: () => State
  /** Stops accepting, interrupts running requests (releasing their reservations) and closes every connection. */
  readonly close: () => Promise<void>
}

/** The server could not start (the port is taken, the address cannot be bound). */
export class ListenError extends Data.TaggedError("ListenError")<{
  readonly host: string
  readonly port: number
  readonly detail: string
}> {
  override get message(): string {
    return `stepwise serve: cannot listen on ${this.host}:${this.port} (${this.detail})`
  }
}

/** How many finished requests' spend a server keeps by default (`Options.keepSpent`). */
export const defaultKeepSpent = 4096

/** Addresses that only this machine can reach. */
export const loopbackHosts: ReadonlyArray<string> = ["127.0.0.1", "::1", "localhost"]

const invalid = (field: string, detail: string) => new InvalidOptions({ subject: "serve", field, detail })

const positiveInteger = (field: string, value: number | undefined): InvalidOptions | undefined =>
  value === undefined || (Number.isInteger(value) && value >= 1) ? undefined : invalid(field, `must be an integer ≥ 1, got ${value}`)

/** Checks the options that are data (numbers, the address, the keys, the limits and the default strategy). */
export const validate = (
  options: Options
): Effect.Effect<
  { readonly limits: Limits.Resolved; readonly strategies: Strategies.Any; readonly kind: string; readonly strategyOptions: Readonly<Record<string, unknown>> },
  InvalidOptions
> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1"
    if (!loopbackHosts.includes(host)) {
      if (options.expose !== true) return yield* Effect.fail(invalid("host", `${host} is not a loopback address: listening there needs expose (the --expose flag) and API keys`))
      if ((options.apiKeys ?? []).filter((key) => key.trim() !== "").length === 0)
        return yield* Effect.fail(invalid("apiKeys", `listening on ${host} needs at least one API key`))
    }
    if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65_535))
      return yield* Effect.fail(invalid("port", `must be an integer in 0…65535, got ${options.port}`))
    for (const [field, value] of [
      ["upstreamConcurrency", options.upstreamConcurrency],
      ["maxActiveRequests", options.maxActiveRequests],
      ["retryAfterSeconds", options.retryAfterSeconds],
      ["maxBodyBytes", options.maxBodyBytes],
      ["keepRuns", options.keepRuns],
      ["keepSpent", options.keepSpent]
    ] as const) {
      const problem = positiveInteger(field, value)
      if (problem !== undefined) return yield* Effect.fail(problem)
    }
    const limits = yield* CoreOptions.parse(Limits.settings, options.limits ?? {}, "limits")
    const strategies = options.strategies ?? Strategies.registry
    const kind = options.strategy?.kind ?? "a-star"
    yield* Registry.parse(strategies, kind, options.strategy?.options ?? {})
    return { limits, strategies, kind, strategyOptions: options.strategy?.options ?? {} }
  })

const requestId = () => `chatcmpl-${randomBytes(12).toString("hex")}`

/** The failures a search can end with, as the error a client gets: upstream and verifier failures are 502s. */
const searchFailure = (error: { readonly _tag: string; readonly message: string }): ApiError.ApiError =>
  error._tag === "InvalidOptions"
    ? new ApiError.ApiError({ status: 400, type: "invalid_request_error", code: "invalid_options", detail: error.message })
    : new ApiError.ApiError({ status: 502, type: "upstream_error", code: error._tag, detail: error.message })

/**
 * Makes the request handler of a server over validated options, with the state it keeps (for `listen`).
 */
const makeHandler = (options: Options, checked: Effect.Success<ReturnType<typeof validate>>, accounts: Accounts.Accounts) => {
  const upstream = options.upstream
  const keys = Auth.make(options.apiKeys ?? [])
  const known = [...keys.secrets, ...(upstream.secrets ?? [])]
  const scrub = (text: string) => Redaction.scrub(text, known)
  const runs = Runs.make({ keep: options.keepRuns ?? 32 })
  // Every request being handled (for `close`), and how many chat requests are admitted and running.
  const fibers = new Set<Fiber.Fiber<unknown, unknown>>()
  // Set by `close` before it stops the requests in flight, so that each tells its client why it ends.
  const lifecycle = { stopping: false }
  let running = 0
  let metrics: Metrics.Metrics | undefined
  const pool = Pool.make(options.upstreamConcurrency ?? 16, {
    waited: (millis) => metrics?.waitSeconds.observe(millis / 1000),
    ran: (millis) => metrics?.upstreamSeconds.observe(millis / 1000)
  })
  metrics = Metrics.make({ pool, active: () => running })
  const meters = metrics
  // Bounded: a long-running server must not remember every request it ever served.
  const spentById = new BoundedMap.BoundedMap<string, Resource.Amounts>(options.keepSpent ?? defaultKeepSpent)
  const maxActive = options.maxActiveRequests ?? 64
  const retryAfterSeconds = options.retryAfterSeconds ?? 1
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const defaults: Choice.Defaults = {
    strategies: checked.strategies,
    kind: checked.kind,
    options: checked.strategyOptions,
    model: upstream.model,
    limits: checked.limits.request
  }
  const log = (line: string) => options.log?.(scrub(line))

  const reject = (response: ServerResponse, failure: ApiError.ApiError, reason: string) => {
    meters.rejections.inc({ reason })
    Http.error(response, failure, known)
  }

  /** Runs one admitted chat request to its end: the search, the response (JSON or events), the metrics. */
  const serveChat = (
    request: IncomingMessage,
    response: ServerResponse,
    body: ChatRequest.Body,
    choice: Choice.Choice,
    label: string,
    arrival: number
  ) =>
    Effect.gen(function* () {
      const id = requestId()
      const problem = yield* Effect.fromResult(ChatRequest.problemOf(body, id, options.systemPrompt))
      const unanswerable = upstream.refuses?.(problem.question)
      if (unanswerable !== undefined) return yield* Effect.fail(ApiError.invalid(`messages.${body.messages.length - 1}.content`, unanswerable))
      const keyAccountant = accounts.forKey(label)
      if (keyAccountant === undefined) return yield* Effect.die(`no budget for ${label}`)
      const stream = body.stream === true
      const includeUsage = body.stream_options?.include_usage === true
      const base: Completion.Base = { id, created: Math.floor(arrival / 1000), model: choice.model }
      const deadline =
        choice.budget.deadlineMillis === undefined ? undefined : { atMillis: arrival + choice.budget.deadlineMillis, limitMillis: choice.budget.deadlineMillis, label: id }
      const services = Upstream.guarded(upstream, pool, deadline)
      const run = Runs.start(runs, {
        id,
        started: arrival,
        strategy: choice.kind,
        options: choice.options,
        model: choice.model,
        question: problem.question,
        limits: choice.budget.limits,
        deadlineMillis: choice.budget.deadlineMillis
      }, label)
      const tracker = BestSoFar.make()
      // Which budget ended the search, if one did: the last `budget-exhaust` event names it.
      let exhausted: { readonly resource: string; readonly budget: string | undefined; readonly requested: number | undefined } | undefined
      run.listeners.add((item) => {
        if (item.type === "event" && item.event._tag === "budget-exhaust")
          exhausted = { resource: item.event.resource, budget: item.event.budget, requested: item.event.requested }
      })
      if (stream) {
        Http.startEvents(response)
        Http.send(response, Completion.chunk(base, { role: "assistant", content: "" }, null, { type: "start", run_id: id, strategy: choice.kind, options: choice.options, budget: Completion.budgetOf(choice.budget) }))
        run.listeners.add((item) => {
          if (item.type !== "event") return
          const changed = BestSoFar.update(tracker, item.event)
          Http.send(response, Completion.chunk(base, { content: "" }, null, Completion.progressOf(item, changed ? tracker.best : undefined)))
        })
      }
      const outcome = yield* Effect.acquireUseRelease(
        keyAccountant.child(choice.budget.limits, id),
        (accountant) =>
          choice.strategy.run(problem).pipe(
            Effect.provideService(LanguageModel.LanguageModel, services.languageModel),
            Effect.provideService(ProcessRewardModel.ProcessRewardModel, services.processRewardModel),
            Effect.provideService(SearchEvent.EventSink, Runs.sink(runs, run, accountant)),
            Accountant.provide(accountant),
            Effect.exit,
            Effect.flatMap((exit) => Effect.map(accountant.snapshot, (snapshot) => ({ exit, spent: snapshot.spent }))),
            Effect.onInterrupt(() =>
              Effect.flatMap(Effect.all([accountant.snapshot, Clock.currentTimeMillis]), ([snapshot, now]) =>
                Effect.sync(() => {
                  meters.spent(snapshot.spent)
                  spentById.set(id, snapshot.spent)
                  Runs.finish(runs, run, { status: "interrupted", spent: snapshot.spent, detail: "the client went away or the server stopped" }, now)
                  // Stopped by the server, not the client: the client still listens, and learns why its answer ends here.
                  if (lifecycle.stopping && !response.destroyed) {
                    const stopped = new ApiError.ApiError({
                      status: 503,
                      type: "server_error",
                      code: "server_shutting_down",
                      detail: "the server is shutting down: this search was stopped before it answered; retry later or on another server"
                    })
                    const extra = { stepwise: { run_id: id, usage: Completion.usageOf(snapshot.spent) } }
                    if (!response.headersSent) Http.error(response, stopped, known, extra.stepwise)
                    else {
                      Http.send(response, { ...ApiError.body(stopped, known), ...extra })
                      Http.endEvents(response, false)
                    }
                  }
                })
              )
            )
          ),
        (accountant) => accountant.close
      ).pipe(Effect.orDie)
      const now = yield* Clock.currentTimeMillis
      meters.spent(outcome.spent)
      spentById.set(id, outcome.spent)
      const usage = Completion.usageOf(outcome.spent)
      if (Exit.isFailure(outcome.exit)) {
        const failure = Cause.findErrorOption(outcome.exit.cause)
        const error =
          failure._tag === "Some"
            ? searchFailure(failure.value)
            : new ApiError.ApiError({ status: 500, type: "server_error", code: "internal", detail: "the search failed unexpectedly" })
        if (failure._tag === "None") log(`defect in ${id}: ${Cause.pretty(outcome.exit.cause)}`)
        Runs.finish(runs, run, { status: "failed", spent: outcome.spent, detail: scrub(error.detail) }, now)
        const extra = { stepwise: { run_id: id, usage } }
        if (stream) {
          Http.send(response, { ...ApiError.body(error, known), ...extra })
          Http.endEvents(response, false)
        } else Http.error(response, error, known, { run_id: id, usage })
        return { status: error.status, outcome: "failed" }
      }
      const result = outcome.exit.value
      const exhaustedBy = Completion.exhaustedByOf(exhausted, { request: `${keyAccountant.budget.label}/${id}`, key: keyAccountant.budget.label, server: accounts.root.budget.label })
      const summary = { ...Completion.summaryOf({ runId: id, strategy: choice.kind, options: choice.options, result, budget: choice.budget }), exhausted_by: exhaustedBy ?? null }
      Runs.finish(runs, run, Runs.endOf(result, outcome.spent), now)
      if (result.outcome._tag === "NoAnswer" && (exhaustedBy === "key" || exhaustedBy === "server")) {
        // The shared budget refused a call before this search could answer: spent, or only reserved by others.
        const shared = yield* (exhaustedBy === "key" ? keyAccountant : accounts.root).snapshot
        const error = Completion.sharedRefusal({ by: exhaustedBy, exhausted, shared, retryAfterSeconds })
        const crowded = error.code === "budget_reserved"
        const extra = { stepwise: { ...summary, usage } }
        if (stream) {
          Http.send(response, { ...ApiError.body(error, known), ...extra })
          Http.endEvents(response, false)
        } else Http.error(response, error, known, { run_id: id, usage })
        return { status: 429, outcome: crowded ? "reserved" : "quota" }
      }
      if (stream) {
        const content = Completion.contentOf(result)
        if (content !== "") Http.send(response, Completion.chunk(base, { content }, null))
        Http.send(response, Completion.chunk(base, { content: "" }, Completion.finishReasonOf(result), { type: "end", ...summary, usage }))
        if (includeUsage) Http.send(response, Completion.usageChunk(base, outcome.spent))
        Http.endEvents(response, true)
      } else Http.json(response, 200, Completion.completion(base, result, outcome.spent, summary))
      return { status: 200, outcome: result.outcome._tag === "Answered" ? "answered" : "no-answer" }
    })

  /** A chat request from its first byte: body, choice, admission (429s); then `serveChat`, counted as running. */
  const chat = (request: IncomingMessage, response: ServerResponse, label: string) =>
    Effect.gen(function* () {
      const arrival = yield* Clock.currentTimeMillis
      const raw = yield* Http.readJson(request, maxBodyBytes)
      const body = yield* Effect.fromResult(ChatRequest.decode(raw))
      const choice = yield* Choice.resolve(body, request.headers, defaults)
      const stream = body.stream === true ? "true" : "false"
      const refused = (failure: ApiError.ApiError, reason: string) => {
        reject(response, failure, reason)
        meters.requests.inc({ strategy: choice.kind, stream, outcome: "rejected" })
        return { status: failure.status, outcome: "rejected" }
      }
      const refusal = yield* accounts.refusal(label, retryAfterSeconds)
      if (refusal !== undefined) return refused(refusal, refusal.type === "insufficient_quota" ? "quota" : "reserved")
      // Checked and counted in one step, so no two requests take the last place.
      const admitted = yield* Effect.sync(() => running < maxActive && ++running > 0)
      if (!admitted)
        return refused(
          new ApiError.ApiError({ status: 429, type: "rate_limit_error", code: "server_busy", retryAfterSeconds, detail: `the server is running ${maxActive} requests; retry later` }),
          "busy"
        )
      const ended = meters.requestSeconds.startTimer({ strategy: choice.kind, stream })
      const counted = (outcome: string) =>
        Effect.sync(() => {
          running--
          ended()
          meters.requests.inc({ strategy: choice.kind, stream, outcome })
        })
      return yield* serveChat(request, response, body, choice, label, arrival).pipe(
        Effect.onExit((exit) => counted(Exit.isSuccess(exit) ? exit.value.outcome : Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failed"))
      )
    })

  /** The models served: the upstream's (the default strategy) and `<strategy>:<model>` for every strategy. */
  const models = () => {
    const created = 0
    return [
      { id: upstream.model, object: "model", created, owned_by: "stepwise", stepwise: { strategy: checked.kind, options: checked.strategyOptions } },
      ...Registry.list(checked.strategies).map((entry) => ({
        id: `${entry.kind}:${upstream.model}`,
        object: "model",
        created,
        owned_by: "stepwise",
        stepwise: { strategy: entry.kind, description: entry.description, options: CoreOptions.defaultsOf(entry.options) ?? {} }
      }))
    ]
  }

  /** One listed model by its id (escaped in the path or not), or OpenAI's 404. */
  const model = (escaped: string) => {
    let id: string | undefined
    try {
      id = decodeURIComponent(escaped)
    } catch {
      id = undefined
    }
    const found = id === undefined ? undefined : models().find((entry) => entry.id === id)
    return found === undefined
      ? Effect.fail(
          new ApiError.ApiError({
            status: 404,
            type: "invalid_request_error",
            param: "model",
            code: "model_not_found",
            detail: `model ${JSON.stringify(id ?? escaped)} does not exist: GET /v1/models lists the models served`
          })
        )
      : Effect.succeed(found)
  }

  const route = (request: IncomingMessage, response: ServerResponse): Effect.Effect<{ readonly status: number; readonly outcome: string }, ApiError.ApiError> =>
    Effect.gen(function* () {
      const path = ViewRoutes.pathOf(request)
      const method = request.method ?? "GET"
      const answer = (served: ReadonlyArray<string>, handler: () => Effect.Effect<Methods.Answered, ApiError.ApiError>) =>
        Methods.serve(method, path, served, response, handler)
      const ok = (write: () => void) =>
        Effect.sync(() => {
          write()
          return { status: 200, outcome: "ok" }
        })
      if (path === "/health") return yield* answer(["GET"], () => ok(() => Http.json(response, 200, { status: "ok" })))
      if (ViewRoutes.isPage(path)) return yield* ViewRoutes.page(response, method, path)
      const checkedKey = Auth.check(keys, request.headers)
      if (Result.isFailure(checkedKey)) {
        meters.rejections.inc({ reason: "unauthorized" })
        return yield* Effect.fail(checkedKey.failure)
      }
      const label = checkedKey.success
      if (path === "/v1/chat/completions") return yield* answer(["POST"], () => chat(request, response, label))
      if (path === "/v1/models") return yield* answer(["GET"], () => ok(() => Http.json(response, 200, { object: "list", data: models() })))
      const modelPath = /^\/v1\/models\/(.+)$/.exec(path)
      if (modelPath !== null)
        return yield* answer(["GET"], () => Effect.flatMap(model(modelPath[1]!), (found) => ok(() => Http.json(response, 200, found))))
      if (path === "/metrics")
        return yield* answer(["GET"], () =>
          Effect.flatMap(Effect.promise(() => meters.registry.metrics()), (text) =>
            ok(() => {
              response.writeHead(200, { "content-type": meters.registry.contentType })
              response.end(scrub(text))
            })
          )
        )
      const runData = ViewRoutes.data(runs, method, path, response, label)
      if (runData !== undefined) return yield* runData
      return yield* Effect.fail(new ApiError.ApiError({ status: 404, type: "not_found_error", code: "not_found", detail: `${method} ${path} is not served` }))
    })

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now()
    const program = route(request, response).pipe(
      Effect.catch((failure: ApiError.ApiError) =>
        Effect.sync(() => {
          if (failure.status === 400 || failure.status === 404 || failure.status === 413 || failure.status === 405) meters.rejections.inc({ reason: "invalid" })
          if (response.headersSent) {
            Http.send(response, ApiError.body(failure, known))
            Http.endEvents(response, false)
          } else Http.error(response, failure, known)
          return { status: failure.status, outcome: failure.code ?? failure.type }
        })
      ),
      Effect.catchCause((cause) =>
        Effect.sync(() => {
          log(`defect: ${Cause.pretty(cause)}`)
          const failure = new ApiError.ApiError({ status: 500, type: "server_error", code: "internal", detail: "internal error" })
          if (!response.headersSent) Http.error(response, failure, known)
          else Http.endEvents(response, false)
          return { status: 500, outcome: "internal" }
        })
      )
    )
    const fiber = Effect.runFork(program)
    fibers.add(fiber)
    // A client that goes away before the response ends interrupts its request: the search stops and every
    // reservation it held is released.
    response.on("close", () => {
      if (!response.writableFinished) {
        meters.disconnects.inc()
        fiber.interruptUnsafe()
      }
    })
    fiber.addObserver((exit) => {
      fibers.delete(fiber)
      const status = Exit.isSuccess(exit) ? exit.value.status : 499
      const outcome = Exit.isSuccess(exit) ? exit.value.outcome : "interrupted"
      log(`${request.method ?? "GET"} ${ViewRoutes.pathOf(request)} ${status} ${Math.round(performance.now() - started)}ms ${outcome}`)
    })
  }

  return { handle, runs, pool, fibers, lifecycle, running: () => running, accounts, spentById }
}

/**
 * Starts a server and resolves once it listens. Rejects with `InvalidOptions` (naming the option) or
 * `ListenError`.
 *
 * @example
 * const server = await Server.listen({ upstream: Upstream.fromBackend(backend) })
 * const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused" })
 * await server.close()
 */
export const listen = (options: Options): Promise<Handle> =>
  Effect.runPromiseExit(
    Effect.gen(function* () {
      const checked = yield* validate(options)
      const keys = Auth.make(options.apiKeys ?? [])
      const accounts = yield* Accounts.make({
        server: Limits.poolLimits(checked.limits.server),
        key: Limits.poolLimits(checked.limits.key),
        labels: keys.labels,
        costModel: options.costModel
      })
      return makeHandler(options, checked, accounts)
    })
  ).then((exit) => {
    if (Exit.isFailure(exit)) return Promise.reject(Cause.squash(exit.cause))
    const made = exit.value
    const host = options.host ?? "127.0.0.1"
    const port = options.port ?? 0
    const server: NodeServer = createServer((request, response) => made.handle(request, response))
    return new Promise<Handle>((resolve, reject) => {
      server.once("error", (error) => reject(new ListenError({ host, port, detail: error.message })))
      server.listen(port, host, () => {
        const address = server.address() as AddressInfo
        const shown = address.family === "IPv6" ? `[${address.address}]` : address.address
        let connections = 0
        server.on("connection", (socket) => {
          connections++
          socket.on("close", () => connections--)
        })
        resolve({
          url: `http://${shown}:${address.port}`,
          host: address.address,
          port: address.port,
          state: () => ({
            activeRequests: made.running(),
            poolInUse: made.pool.inUse(),
            poolWaiting: made.pool.waiting(),
            openConnections: connections,
            budget: Effect.runSync(made.accounts.snapshot),
            spentById: made.spentById
          }),
          close: async () => {
            made.lifecycle.stopping = true
            await Promise.all([...made.fibers].map((fiber) => Effect.runPromise(Fiber.interrupt(fiber))))
            await new Promise<void>((done) => {
              server.closeAllConnections()
              server.close(() => done())
            })
          }
        })
      })
    })
  })

/**
 * Serves for the life of the current scope.
 *
 * @example
 * Effect.scoped(Effect.gen(function* () {
 *   const { url } = yield* Server.serve({ upstream })
 * }))
 */
export const serve = (options: Options): Effect.Effect<Handle, ListenError | InvalidOptions, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => listen(options),
      catch: (error) => (error instanceof InvalidOptions || error instanceof ListenError ? error : new ListenError({ host: options.host ?? "127.0.0.1", port: options.port ?? 0, detail: String(error) }))
    }),
    (handle) => Effect.promise(() => handle.close())
  )
