import { writeFileSync } from "node:fs"
import { Clock, Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Accountant } from "@stepwise/accountant"
import { InvalidOptions, Options, Problem, Registry, SearchEvent, Trajectory } from "@stepwise/core"
import type { SearchResult } from "@stepwise/core"
import type { Runs } from "@stepwise/server"
import { Backends, Registries } from "@stepwise/harness"
import { Strategies } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"
import * as CliBackends from "./Backends.js"
import * as Describe from "./Describe.js"
import * as IntegerFlag from "./IntegerFlag.js"
import * as Plugins from "./Plugins.js"

const systemPrompt =
  "Solve the problem step by step. Separate steps with a blank line, start each with \"## Step k:\", and end with " +
  '"Therefore, the final answer is: $\\boxed{answer}$."'

const parseOptions = (text: string): Effect.Effect<Readonly<Record<string, unknown>>, InvalidOptions> =>
  Effect.try({
    try: () => {
      const value: unknown = JSON.parse(text)
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object")
      return value as Record<string, unknown>
    },
    catch: (error) => new InvalidOptions({ subject: "solve", field: "options", detail: `must be a JSON object: ${String(error)}` })
  })

/** The strategy of `solve`: its kind and options validated by the registry; the seed added when the kind takes one. */
const strategyOf = (registries: Registries.Registries, kind: string, text: string, seed: number) =>
  Effect.gen(function* () {
    const given = yield* parseOptions(text)
    const entry = yield* Registry.lookup(registries.strategies, kind)
    const seeded = Options.keysAt(entry.options, []).includes("seed") && !("seed" in given) ? { seed, ...given } : given
    return yield* Registry.make(registries.strategies, kind, seeded, undefined)
  })

const requireModel = (flags: { readonly model: Option.Option<string> }, by: string) =>
  Option.match(flags.model, {
    onNone: () => Effect.fail(new InvalidOptions({ subject: "solve", field: "model", detail: `is required with ${by}` })),
    onSome: Effect.succeed
  })

const backendOf = (
  flags: {
    readonly endpoint: Option.Option<string>
    readonly provider: Option.Option<string>
    readonly model: Option.Option<string>
    readonly kind: Option.Option<"vllm" | "tgi" | "llama.cpp" | "ollama" | "openai-compatible">
    readonly verifier: "think-prm" | "pooling"
    readonly gguf: Option.Option<string>
  },
  preset: string
) =>
  Effect.gen(function* () {
    const chosen = [flags.endpoint, flags.provider, flags.gguf].filter(Option.isSome).length
    if (chosen > 1)
      return yield* Effect.fail(new InvalidOptions({ subject: "solve", field: "endpoint", detail: "choose one of --endpoint, --provider, --gguf" }))
    if (Option.isSome(flags.endpoint)) {
      const model = yield* requireModel(flags, "--endpoint")
      const verifier = flags.verifier === "pooling" ? { kind: "pooling", model } : { kind: "think-prm" }
      return yield* CliBackends.endpoint({
        url: flags.endpoint.value,
        model,
        verifier,
        ...(Option.isSome(flags.kind) ? { serverKind: flags.kind.value } : {})
      })
    }
    if (Option.isSome(flags.provider))
      return yield* CliBackends.provider({ provider: flags.provider.value, model: yield* requireModel(flags, "--provider") })
    if (Option.isSome(flags.gguf)) return yield* CliBackends.gguf({ path: flags.gguf.value })
    return yield* Backends.simulator({ preset, seed: 0 })
  })

/**
 * The run's record for `--view` and `--tree`, made only when one of them is asked (the server package loads only
 * then): `record` sends a search's events to it (drawn live with `--view`), `finish` ends it and writes the tree
 * file. With `--view` the page is served on 127.0.0.1 for the life of the scope.
 */
const recorderOf = (settings: { readonly view: boolean; readonly viewPort: number; readonly tree: Option.Option<string>; readonly info: Runs.Info }) =>
  Effect.gen(function* () {
    if (!settings.view && Option.isNone(settings.tree)) return undefined
    const { Runs, ViewRoutes } = yield* Effect.promise(() => import("@stepwise/server"))
    const runs = Runs.make({ keep: 1 })
    const run = Runs.start(runs, settings.info)
    const view = settings.view
      ? yield* Effect.acquireRelease(
          Effect.promise(() => ViewRoutes.listen(runs, { port: settings.viewPort })),
          (handle) => Effect.promise(() => handle.close())
        )
      : undefined
    return {
      url: view === undefined ? undefined : `${view.url}/view?run=${run.info.id}`,
      record: <A, E, R>(accountant: Accountant.Service, search: Effect.Effect<A, E, R>) =>
        Effect.provideService(search, SearchEvent.EventSink, Runs.sink(runs, run, accountant)),
      finish: (result: SearchResult.SearchResult, accountant: Accountant.Service) =>
        Effect.gen(function* () {
          Runs.finish(runs, run, Runs.endOf(result, (yield* accountant.snapshot).spent), yield* Clock.currentTimeMillis)
          if (Option.isNone(settings.tree)) return
          const path = settings.tree.value
          const file = Runs.treeFile(run)
          yield* Effect.try({
            try: () => writeFileSync(path, JSON.stringify(file)),
            catch: (error) => new InvalidOptions({ subject: "solve", field: "--tree", detail: `cannot be written: ${String(error)}` })
          })
        })
    }
  })

/**
 * `stepwise solve [problem]`: solves one problem with a strategy under a budget and prints the answer, the best
 * trajectory and the spend. On the simulator with no problem text, a generated problem is solved.
 */
export const command = Command.make(
  "solve",
  {
    problem: Argument.String("problem").pipe(Argument.withDescription("The problem text (optional with --sim)"), Argument.optional),
    strategy: Flag.String("strategy").pipe(
      Flag.withDescription(`Strategy kind: ${Strategies.registry.kinds.join(", ")} (or a plugin's; see stepwise list)`),
      Flag.withDefault("a-star")
    ),
    options: Flag.String("options").pipe(
      Flag.withDescription(
        `Strategy options as JSON, e.g. '{"expansions":4}'; unknown keys are errors. Defaults: ${Registry.list(Strategies.registry).map(Describe.defaultsLine).join("; ")}`
      ),
      Flag.withDefault("{}")
    ),
    plugins: Plugins.flag,
    budget: IntegerFlag.withDefault("budget", { command: "solve", description: "Total policy tokens the search may spend", minimum: 1, maximum: IntegerFlag.largest, fallback: 8000 }),
    verifierCalls: IntegerFlag.optional("verifier-calls", { command: "solve", description: "Verifier calls the search may spend", minimum: 0, maximum: IntegerFlag.largest }),
    sim: Flag.String("sim").pipe(Flag.withDescription(`Simulator preset (default backend): ${Object.keys(Presets.all).join(", ")}`), Flag.optional),
    endpoint: Flag.String("endpoint").pipe(Flag.withDescription("Base URL of an OpenAI-compatible server (vLLM, TGI, llama.cpp, Ollama, serve-sim)"), Flag.optional),
    provider: Flag.String("provider").pipe(Flag.withDescription("Hugging Face Inference Provider (token from HF_TOKEN)"), Flag.optional),
    model: Flag.String("model").pipe(Flag.withDescription("Model name, with --endpoint or --provider"), Flag.optional),
    kind: Flag.Literals("kind", ["vllm", "tgi", "llama.cpp", "ollama", "openai-compatible"] as const).pipe(
      Flag.withDescription("Server kind of --endpoint (decides how steps are continued)"),
      Flag.optional
    ),
    verifier: Flag.Literals("verifier", ["think-prm", "pooling"] as const).pipe(
      Flag.withDescription("Verifier of an external model: ThinkPRM over the model, or the server's /pooling PRM"),
      Flag.withDefault("think-prm" as const)
    ),
    gguf: Flag.String("gguf").pipe(Flag.withDescription("Run a GGUF model in-process with llama.cpp"), Flag.optional),
    difficulty: IntegerFlag.withDefault("difficulty", { command: "solve", description: "Simulator: difficulty of the generated problem", minimum: 1, maximum: 5, fallback: 3 }),
    seed: IntegerFlag.withDefault("seed", { command: "solve", description: "Seed of the strategy and of the generated problem", minimum: 0, maximum: IntegerFlag.largest, fallback: 0 }),
    view: Flag.Boolean("view").pipe(Flag.withDescription("Draw the search tree as it grows in a web page on 127.0.0.1 (kept open until Ctrl-C)"), Flag.withDefault(false)),
    viewPort: IntegerFlag.withDefault("view-port", { command: "solve", description: "Port of the --view page (0 picks a free one)", minimum: 0, maximum: 65_535, fallback: 0 }),
    tree: Flag.String("tree").pipe(Flag.withDescription("Save the run's tree (events and spend) to this file; the tree view opens it"), Flag.optional)
  },
  (flags) =>
    Effect.gen(function* () {
      const [budget, verifierCalls, difficulty, seed, viewPort] = [yield* flags.budget, yield* flags.verifierCalls, yield* flags.difficulty, yield* flags.seed, yield* flags.viewPort]
      const registries = yield* Plugins.registriesOf(flags.plugins)
      const strategy = yield* strategyOf(registries, flags.strategy, flags.options, seed)
      const preset = Option.getOrElse(flags.sim, () => "calibrated")
      const backend = yield* backendOf(flags, preset)
      const external = Option.isSome(flags.gguf) || Option.isSome(flags.endpoint) || Option.isSome(flags.provider)
      let problem: Problem.Problem
      if (Option.isSome(flags.problem)) problem = Problem.make({ id: "cli", question: flags.problem.value, system: systemPrompt })
      else if (!external) {
        const world = World.make(Presets.all[preset] ?? Presets.calibrated)
        const [generated] = World.problems(world, { count: 1, seed, difficulty })
        if (generated === undefined) return yield* Effect.die("the simulator generated no problem")
        problem = generated
      } else return yield* Effect.fail(new InvalidOptions({ subject: "solve", field: "problem", detail: "is required with --endpoint, --provider or --gguf" }))

      const limits = {
        totalTokens: budget,
        ...(Option.isSome(verifierCalls) ? { verifierCalls: verifierCalls.value } : {})
      }
      const accountant = yield* Accountant.make(limits, "solve")
      const recorder = yield* recorderOf({
        view: flags.view,
        viewPort,
        tree: flags.tree,
        info: { id: `solve-${seed}`, started: yield* Clock.currentTimeMillis, strategy: flags.strategy, options: strategy.options ?? {}, model: backend.name, question: problem.question, limits }
      })
      if (recorder?.url !== undefined) yield* Console.log(`tree:     ${recorder.url}`)
      const search = strategy.run(problem).pipe(Backends.provide(backend))
      const result = yield* (recorder === undefined ? search : recorder.record(accountant, search)).pipe(Accountant.provide(accountant))
      if (recorder !== undefined) yield* recorder.finish(result, accountant)
      yield* Console.log(`problem:  ${problem.question}`)
      if (problem.reference !== undefined) yield* Console.log(`expected: ${problem.reference}`)
      yield* Console.log(
        `answer:   ${result.outcome._tag === "Answered" ? result.outcome.answer : `none — ${result.outcome.reason}: ${result.outcome.detail}`}`
      )
      yield* Console.log(
        `strategy: ${strategy.name} on ${backend.name}; ${result.candidates.length} finished candidates, ${result.tree.nodes.length - 1} steps explored`
      )
      yield* Console.log(
        `spend:    ${result.spend.inputTokens} input + ${result.spend.outputTokens} output tokens, ${result.spend.verifierCalls} verifier calls, ${result.spend.verifierTokens} verifier tokens${result.budgetExhausted ? " (budget exhausted)" : ""}`
      )
      if (result.best !== undefined) yield* Console.log(`\n${Trajectory.text(result.best)}`)
      if (recorder?.url !== undefined) {
        yield* Console.log(`\nthe tree stays at ${recorder.url} — Ctrl-C to stop`)
        return yield* Effect.never
      }
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Solve one problem with a search strategy under a budget"))
