import { readFileSync } from "node:fs"
import { Console, Effect, Option } from "effect"
import type { Scope } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidOptions, Options } from "@stepwise/core"
import { Backends, Recipe } from "@stepwise/harness"
import { Limits, Server, Upstream } from "@stepwise/server"
import * as CliBackends from "./Backends.js"
import * as IntegerFlag from "./IntegerFlag.js"
import * as Plugins from "./Plugins.js"

const jsonOf = (flag: string, text: string): Effect.Effect<unknown, InvalidOptions> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: () => new InvalidOptions({ subject: "serve", field: flag, detail: `must be JSON, got ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}` })
  })

const objectOf = (flag: string, text: string): Effect.Effect<Readonly<Record<string, unknown>>, InvalidOptions> =>
  Effect.flatMap(jsonOf(flag, text), (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Effect.succeed(value as Record<string, unknown>)
      : Effect.fail(new InvalidOptions({ subject: "serve", field: flag, detail: "must be a JSON object" }))
  )

/** The credentials a backend specification carries (a URL's user and password, `HF_TOKEN`), to scrub everywhere. */
const secretsOf = (spec: Recipe.BackendSpec): ReadonlyArray<string> => {
  const secrets: Array<string> = []
  const token = process.env["HF_TOKEN"]
  if (token !== undefined && token !== "") secrets.push(token)
  if (spec.kind === "endpoint") {
    const url = URL.canParse(spec.url) ? new URL(spec.url) : undefined
    if (url !== undefined && url.password !== "") secrets.push(decodeURIComponent(url.password))
  }
  return secrets
}

/**
 * The one place the server's upstream is made from the command line: `--upstream` is a backend as a recipe writes
 * it (`{"kind":"simulator","preset":"calibrated"}`, `{"kind":"endpoint","url":…,"model":…}`, `{"kind":"gguf",…}`),
 * checked by the recipe's backend schema, with `--verifier` settings added for the backends that take them; it is
 * made by the CLI's backend factory, for the life of the scope.
 *
 * @example
 * const upstream = yield* Serve.upstreamOf('{"kind":"endpoint","url":"http://127.0.0.1:8000/v1","model":"stepwise-sim"}', Option.none())
 */
export const upstreamOf = (
  text: string,
  verifier: Option.Option<string>,
  factory: Backends.Factory = CliBackends.factory
): Effect.Effect<Upstream.Upstream, InvalidOptions | Backends.BackendError, Scope.Scope> =>
  Effect.gen(function* () {
    const written = yield* jsonOf("--upstream", text)
    const withVerifier = yield* Option.match(verifier, {
      onNone: () => Effect.succeed(written),
      onSome: (settings) =>
        Effect.flatMap(jsonOf("--verifier", settings), (parsed) =>
          typeof written === "object" && written !== null && (written as { kind?: unknown }).kind === "simulator"
            ? Effect.fail(new InvalidOptions({ subject: "serve", field: "--verifier", detail: "does not apply to the simulator, whose verifier is its own PRM" }))
            : Effect.succeed({ ...(written as object), verifier: parsed })
        )
    })
    const spec = yield* Options.parse(Recipe.BackendSpec, withVerifier, "upstream")
    const backend = yield* factory(spec)
    return Upstream.fromBackend(backend, secretsOf(spec))
  })

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

/**
 * `stepwise serve`: search as an OpenAI-compatible service over one upstream, until interrupted.
 */
export const command = Command.make(
  "serve",
  {
    upstream: Flag.String("upstream").pipe(
      Flag.withDescription(`The backend searched with, as JSON like a recipe's backend: {"kind":"simulator","preset":"calibrated"} (default), {"kind":"endpoint","url":"http://127.0.0.1:8000/v1","model":"NAME"} or {"kind":"gguf","path":"model.gguf"}`),
      Flag.withDefault('{"kind":"simulator","preset":"calibrated"}')
    ),
    verifier: Flag.String("verifier").pipe(Flag.withDescription(`Verifier settings of an endpoint or GGUF upstream, as JSON: {"kind":"think-prm"} (default) or {"kind":"pooling","model":"NAME"}`), Flag.optional),
    strategy: Flag.String("strategy").pipe(Flag.withDescription("The strategy of requests that name none"), Flag.withDefault("a-star")),
    options: Flag.String("options").pipe(Flag.withDescription("Options of the default strategy, as JSON"), Flag.withDefault("{}")),
    limits: Flag.String("limits").pipe(
      Flag.withDescription(
        'Budgets as JSON: {"request":{"default":{…},"max":{…}},"key":{…},"server":{…}}, each over totalTokens, inputTokens, outputTokens, verifierCalls, verifierTokens, cost (and deadlineMillis per request)'
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
      const options = yield* objectOf("--options", flags.options)
      const limits = yield* objectOf("--limits", flags.limits)
      const apiKeys = yield* keysOf(flags.apiKeysFile)
      const upstream = yield* upstreamOf(flags.upstream, flags.verifier)
      const handle = yield* Server.serve({
        upstream,
        strategies: registries.strategies,
        strategy: { kind: flags.strategy, options },
        // Checked by the server against `Limits.settings` (a bad field fails naming it).
        limits: limits as Limits.Settings,
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
