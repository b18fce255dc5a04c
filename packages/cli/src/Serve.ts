import { readFileSync } from "node:fs"
import { Console, Effect, Option, Result } from "effect"
import type { Scope } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidOptions, Options } from "@stepwise/core"
import { Backends, Registries } from "@stepwise/harness"
import { Limits, Server, Upstream } from "@stepwise/server"
import { FreeText, Recognition } from "@stepwise/simulator"
import * as IntegerFlag from "./IntegerFlag.js"
import * as Plugins from "./Plugins.js"
import * as Solve from "./Solve.js"

/**
 * The backend of `--upstream`: a registered kind (`vllm`, `simulator`, …) or a recipe's backend as JSON
 * (`{"kind":"vllm","options":{"url":…,"model":…}}`), whose options are written under `--backend-options` and the
 * field shorthands. Bad JSON or a misspelt key of the spec fails with `InvalidOptions` on `upstream`.
 *
 * @example
 * const spec = yield* Serve.upstreamSpecOf('{"kind":"simulator","options":{"preset":"calibrated"}}')
 */
export const upstreamSpecOf = (text: string): Effect.Effect<Backends.Spec, InvalidOptions> =>
  Effect.gen(function* () {
    if (!text.trim().startsWith("{")) return { kind: text.trim() }
    const value = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new InvalidOptions({ subject: "serve", field: "upstream", detail: `must be a backend kind or JSON {"kind":…,"options":{…}}, got ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}` })
    })
    const invalid = (field: string, detail: string, allowed?: ReadonlyArray<string>) =>
      Effect.fail(new InvalidOptions({ subject: "upstream", field, detail, ...(allowed === undefined ? {} : { allowed }) }))
    const isObject = (each: unknown): each is Readonly<Record<string, unknown>> => typeof each === "object" && each !== null && !Array.isArray(each)
    if (!isObject(value)) return yield* invalid("(options)", "must be a JSON object {\"kind\":…,\"options\":{…}}")
    const unknown = Object.keys(value).find((key) => key !== "kind" && key !== "options")
    if (unknown !== undefined) {
      const suggestion = Options.closest(unknown, ["kind", "options"])
      return yield* invalid(unknown, `is not a field of a backend${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}`, ["kind", "options"])
    }
    const kind = value["kind"]
    if (typeof kind !== "string" || kind === "") return yield* invalid("kind", "must be a backend kind (see stepwise list backends)")
    const options = value["options"]
    if (options === undefined) return { kind }
    if (!isObject(options)) return yield* invalid("options", "must be a JSON object of the backend's options")
    return { kind, options }
  })

/**
 * The backend and verifier `serve` searches with, from its flags: the same vocabulary as `solve` and recipes
 * (`--upstream` in the place of `solve`'s `--backend`, as a kind or a recipe's `{kind, options}`; the shorthands
 * `--sim`, `--endpoint` with `--kind`, `--provider`, `--gguf`, `--model`, …; `--verifier` with `--verifier-options`).
 */
export const choiceOf = (flags: Omit<Solve.BackendFlags, "backend"> & { readonly upstream: Option.Option<string> }): Effect.Effect<Backends.Choice, InvalidOptions> =>
  Effect.gen(function* () {
    const spec = Option.isSome(flags.upstream) ? Option.some(yield* upstreamSpecOf(flags.upstream.value)) : Option.none<Backends.Spec>()
    const written = Option.isSome(spec) ? spec.value.options : undefined
    if (written !== undefined && flags.backendOptions.trim() !== "{}")
      return yield* Effect.fail(new InvalidOptions({ subject: "serve", field: "backend-options", detail: "and --upstream's options both set the backend's options: give them once" }))
    return yield* Solve.choiceOf(
      {
        ...flags,
        backend: Option.map(spec, (each) => each.kind),
        backendOptions: written === undefined ? flags.backendOptions : JSON.stringify(written)
      },
      { command: "serve", backend: "upstream" }
    )
  })

/** A URL component decoded, or as written when its percent escapes are malformed (plain code, outside effects). */
const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * The one place the server's upstream is made from the command line: the choice made by the registries
 * (`Backends.make`, strict options), for the life of the scope. Every environment variable the backend or the
 * verifier reads (their API keys) and a URL's password become the upstream's secrets, scrubbed from everything
 * the server writes.
 *
 * @example
 * const upstream = yield* Serve.upstreamOf({ backend: { kind: "vllm", options: { url, model } } }, Registries.builtIn)
 */
export const upstreamOf = (
  choice: Backends.Choice,
  registries: Pick<Registries.Registries, "backends" | "verifiers">
): Effect.Effect<Upstream.Upstream, InvalidOptions | Backends.BackendError, Scope.Scope> =>
  Effect.gen(function* () {
    const secrets: Array<string> = []
    const keep = (secret: string | undefined) => {
      if (secret !== undefined && secret !== "" && !secrets.includes(secret)) secrets.push(secret)
    }
    const environment = (name: string) => {
      const value = process.env[name]
      keep(value)
      return value
    }
    for (const spec of [choice.backend, choice.verifier]) {
      const url = (spec?.options as { readonly url?: unknown } | undefined)?.url
      if (typeof url === "string" && URL.canParse(url)) {
        const parsed = new URL(url)
        keep(decoded(parsed.password))
        // A URL's user information with no password is often a token itself (`https://TOKEN@host`).
        if (parsed.password === "") keep(decoded(parsed.username))
      }
    }
    const backend = yield* Backends.make(choice, registries, { baseDirectory: process.cwd(), environment })
    const upstream = Upstream.fromBackend(backend, secrets)
    return choice.backend.kind === "simulator" ? { ...upstream, refuses: simulatorRefuses } : upstream
  })

/**
 * Why the simulator cannot answer a question (it would answer one it cannot model with a wrong number), as `solve`
 * and `serve-sim` refuse it; `undefined` for a question it models.
 */
export const simulatorRefuses = (question: string): string | undefined => {
  const understood = Recognition.understand(question)
  if (Result.isSuccess(understood)) return undefined
  return `the simulator cannot model this question: ${understood.failure.reason}. ${FreeText.modelled} For other questions serve a real model: --endpoint URL --model NAME, --provider NAME --model NAME, --gguf PATH or --upstream`
}

/** API keys from `--api-keys-file` (one per line) and `STEPWISE_API_KEYS` (comma-separated); never from the command line. */
const keysOf = (file: Option.Option<string>): Effect.Effect<ReadonlyArray<string>, InvalidOptions> =>
  Effect.gen(function* () {
    const fromEnvironment = (process.env["STEPWISE_API_KEYS"] ?? "").split(",")
    const fromFile = Option.isSome(file)
      ? yield* Effect.try({
          try: () => readFileSync(file.value, "utf8").split(/\r?\n/),
          catch: () => new InvalidOptions({ subject: "serve", field: "--api-keys-file", detail: `cannot be read: ${file.value}` })
        })
      : []
    return [...fromEnvironment, ...fromFile].map((key) => key.trim()).filter((key) => key !== "" && !key.startsWith("#"))
  })

/** `solve`'s backend and verifier flags, but for `--backend`: `serve` calls it `--upstream`. */
const { backend: _backend, ...backendFlags } = Solve.backendFlagsOf("serve")

/**
 * `stepwise serve`: search as an OpenAI-compatible service over one upstream, until interrupted.
 */
export const command = Command.make(
  "serve",
  {
    upstream: Flag.String("upstream").pipe(
      Flag.withDescription(
        `The backend searched with: a kind (${Registries.builtIn.backends.kinds.join(", ")}, or a plugin's) with --backend-options, or a recipe's backend as JSON {"kind":"vllm","options":{"url":"http://127.0.0.1:8000/v1","model":"NAME"}}. Default simulator`
      ),
      Flag.optional
    ),
    ...backendFlags,
    ...Solve.costModelFlags,
    strategy: Flag.String("strategy").pipe(Flag.withDescription("The strategy of requests that name none"), Flag.withDefault("a-star")),
    options: Flag.String("options").pipe(Flag.withDescription("Options of the default strategy, as JSON"), Flag.withDefault("{}")),
    limits: Flag.String("limits").pipe(
      Flag.withDescription(
        'Budgets as JSON: {"request":{"default":{…},"max":{…}},"key":{…},"server":{…}}, each over totalTokens, inputTokens, outputTokens, verifierCalls, verifierTokens, cost (and deadlineMillis per request). request.default and request.max merge field by field over the built-in ones (default totalTokens 20000, verifierTokens 100000, deadlineMillis 60000; max totalTokens 200000, verifierTokens 1000000, deadlineMillis 600000): a field left out keeps its built-in limit, null lifts it'
      ),
      Flag.withDefault("{}")
    ),
    host: Flag.String("host").pipe(Flag.withDescription("Address to bind; any but 127.0.0.1, ::1 or localhost needs --expose and API keys"), Flag.withDefault("127.0.0.1")),
    port: IntegerFlag.withDefault("port", { command: "serve", description: "Port (0 picks a free one)", minimum: 0, maximum: 65_535, fallback: 8080 }),
    expose: Flag.Boolean("expose").pipe(Flag.withDescription("Allow a --host other than loopback (API keys required)"), Flag.withDefault(false)),
    apiKeysFile: Flag.String("api-keys-file").pipe(Flag.withDescription("A file of API keys, one per line (also STEPWISE_API_KEYS, comma-separated)"), Flag.optional),
    concurrency: IntegerFlag.withDefault("concurrency", { command: "serve", description: "Upstream calls at once, shared by all requests", minimum: 1, maximum: 4096, fallback: 16 }),
    maxRequests: IntegerFlag.withDefault("max-requests", { command: "serve", description: "Requests running at once; more get 429 with Retry-After", minimum: 1, maximum: 100_000, fallback: 64 }),
    quiet: Flag.Boolean("quiet").pipe(Flag.withDescription("Log no line per request"), Flag.withDefault(false)),
    plugins: Plugins.flag
  },
  (flags) =>
    Effect.gen(function* () {
      const [port, concurrency, maxRequests] = [yield* flags.port, yield* flags.concurrency, yield* flags.maxRequests]
      const registries = yield* Plugins.registriesOf(flags.plugins)
      const options = yield* Solve.jsonObject("options", flags.options, "serve")
      const limits = yield* Solve.jsonObject("limits", flags.limits, "serve")
      const apiKeys = yield* keysOf(flags.apiKeysFile)
      const costModel = yield* Solve.costModelOf(registries, flags.costModel, flags.costModelOptions, "serve")
      const upstream = yield* upstreamOf(yield* choiceOf(flags), registries)
      const handle = yield* Server.serve({
        upstream,
        strategies: registries.strategies,
        strategy: { kind: flags.strategy, options },
        // Checked by the server against `Limits.settings` (a bad field fails naming it).
        limits: limits as Limits.Settings,
        costModel,
        host: flags.host,
        port,
        expose: flags.expose,
        apiKeys,
        upstreamConcurrency: concurrency,
        maxActiveRequests: maxRequests,
        ...(flags.quiet ? {} : { log: (line: string) => console.error(line) })
      })
      yield* Console.log(
        `serving ${flags.strategy}:${upstream.model} (and every strategy as <strategy>:${upstream.model}) at ${handle.url}/v1 — tree view at ${handle.url}/view, metrics at ${handle.url}/metrics${apiKeys.length > 0 ? `; ${apiKeys.length} API key(s) required` : ""} — Ctrl-C to stop`
      )
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Serve search as an OpenAI-compatible API (chat completions, models), with budgets, streaming, metrics and a tree view"))
