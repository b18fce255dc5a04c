import { accessSync, constants, existsSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { Clock, Console, Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Accountant, CostModels } from "@stepwise/accountant"
import type { CostModel } from "@stepwise/accountant"
import { InvalidOptions, Options, Problem, Registry, SearchEvent, Trajectory } from "@stepwise/core"
import type { SearchResult } from "@stepwise/core"
import type { Runs } from "@stepwise/server"
import { Backends, Grader, Registries } from "@stepwise/harness"
import { ServerKind } from "@stepwise/models"
import { Strategies } from "@stepwise/search"
import { Presets, Recognition, World } from "@stepwise/simulator"
// Only for the declaration file: it names the command's error type `FreeText.NotModelled` through this.
import type { FreeText } from "@stepwise/simulator"
import * as Describe from "./Describe.js"
import * as IntegerFlag from "./IntegerFlag.js"
import * as Plugins from "./Plugins.js"
import * as ServerDetection from "./ServerDetection.js"

const systemPrompt =
  "Solve the problem step by step. Separate steps with a blank line, start each with \"## Step k:\", and end with " +
  '"Therefore, the final answer is: $\\boxed{answer}$."'

/** Parses a flag's JSON object (`--options`, `--backend-options`, …); anything else is `InvalidOptions` on that flag. */
export const jsonObject = (flag: string, text: string, command = "solve"): Effect.Effect<Readonly<Record<string, unknown>>, InvalidOptions> =>
  Effect.try({
    try: () => {
      const value: unknown = JSON.parse(text)
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object")
      return value as Record<string, unknown>
    },
    catch: (error) => new InvalidOptions({ subject: command, field: flag, detail: `must be a JSON object: ${String(error)}` })
  })

/** The strategy of `solve`: its kind and options validated by the registry; the seed added when the kind takes one. */
const strategyOf = (registries: Registries.Registries, kind: string, text: string, seed: number) =>
  Effect.gen(function* () {
    const given = yield* jsonObject("options", text)
    const entry = yield* Registry.lookup(registries.strategies, kind)
    const seeded = Options.keysAt(entry.options, []).includes("seed") && !("seed" in given) ? { seed, ...given } : given
    return yield* Registry.make(registries.strategies, kind, seeded, undefined)
  })

/** The flags that choose and configure the backend and the verifier (the shorthands map onto registry fields). */
export interface BackendFlags {
  readonly backend: Option.Option<string>
  readonly backendOptions: string
  readonly verifier: Option.Option<string>
  readonly verifierOptions: string
  readonly sim: Option.Option<string>
  readonly endpoint: Option.Option<string>
  readonly kind: Option.Option<string>
  readonly provider: Option.Option<string>
  readonly gguf: Option.Option<string>
  readonly model: Option.Option<string>
  readonly apiKeyEnv: Option.Option<string>
  readonly chatTemplate: Option.Option<string>
  readonly tokenizer: Option.Option<string>
  readonly contextSize: Effect.Effect<Option.Option<number>, InvalidOptions>
  readonly verifierMaxTokens: Effect.Effect<Option.Option<number>, InvalidOptions>
}

/**
 * The backend and verifier specs the flags name, as a recipe would write them: `--backend KIND` with
 * `--backend-options JSON`, or a shorthand that picks the kind (`--sim`, `--endpoint` with `--kind`, `--provider`,
 * `--gguf`), with field shorthands (`--model`, `--api-key-env`, `--chat-template`, `--tokenizer`, `--context-size`,
 * `--verifier-max-tokens`) written over the JSON options. `--verifier KIND` with `--verifier-options JSON`
 * (default: the backend's own suggestion). `naming` says which command reads them and what its `--backend` flag is
 * called (`serve` calls it `--upstream`), for messages.
 */
export const choiceOf = (
  flags: BackendFlags,
  naming: { readonly command: string; readonly backend: string } = { command: "solve", backend: "backend" }
): Effect.Effect<Backends.Choice, InvalidOptions> =>
  Effect.gen(function* () {
    const invalid = (field: string, detail: string) => Effect.fail(new InvalidOptions({ subject: naming.command, field, detail }))
    const pickers = [
      [naming.backend, flags.backend],
      ["sim", flags.sim],
      ["endpoint", flags.endpoint],
      ["provider", flags.provider],
      ["gguf", flags.gguf]
    ] as const
    const picked = pickers.filter(([, value]) => Option.isSome(value)).map(([name]) => `--${name}`)
    if (picked.length > 1) return yield* invalid(picked[1]!.slice(2), `choose one of ${picked.join(", ")}`)
    if (Option.isSome(flags.kind) && Option.isNone(flags.endpoint)) return yield* invalid("kind", "is the server kind of --endpoint; give --endpoint too")
    const given = yield* jsonObject("backend-options", flags.backendOptions, naming.command)
    // An endpoint without --kind: the kind its models list names (vLLM, SGLang, llama.cpp), else generic; said on
    // standard error either way, since a server taken for the wrong kind fails quietly (a vLLM server taken as
    // generic does not continue a step's prefix). The key is the backend's own (flag or options).
    let detected: string | undefined
    if (Option.isSome(flags.endpoint) && Option.isNone(flags.kind)) {
      const keyVariable = Option.isSome(flags.apiKeyEnv) ? flags.apiKeyEnv.value : typeof given["apiKeyEnv"] === "string" ? given["apiKeyEnv"] : undefined
      detected = yield* ServerDetection.kindOf(flags.endpoint.value, keyVariable === undefined ? undefined : process.env[keyVariable])
      yield* Console.error(
        detected === undefined
          ? `${naming.command}: ${flags.endpoint.value} names no server kind in its /v1/models (or did not answer within ${ServerDetection.waitMillis / 1000} s): taken as openai-compatible; pass --kind vllm, sglang, tgi, llama.cpp or ollama if it is one`
          : `${naming.command}: ${flags.endpoint.value} is a ${detected} server (its /v1/models says so); --kind sets another`
      )
    }
    const kind = Option.isSome(flags.backend)
      ? flags.backend.value
      : Option.isSome(flags.sim)
        ? "simulator"
        : Option.isSome(flags.endpoint)
          ? Option.getOrElse(flags.kind, () => detected ?? "openai-compatible")
          : Option.isSome(flags.provider)
            ? "provider"
            : Option.isSome(flags.gguf)
              ? "gguf"
              : "simulator"
    const contextSize = yield* flags.contextSize
    const verifierMaxTokens = yield* flags.verifierMaxTokens
    const shorthand = (name: string, value: Option.Option<unknown>): Readonly<Record<string, unknown>> =>
      Option.isSome(value) ? { [name]: value.value } : {}
    const options = {
      ...given,
      ...shorthand("preset", flags.sim),
      ...shorthand("url", flags.endpoint),
      ...shorthand("provider", flags.provider),
      ...shorthand("path", flags.gguf),
      ...shorthand("model", flags.model),
      ...shorthand("apiKeyEnv", flags.apiKeyEnv),
      ...shorthand("chatTemplate", flags.chatTemplate),
      ...shorthand("tokenizer", flags.tokenizer),
      ...shorthand("contextSize", contextSize),
      ...(Option.isSome(verifierMaxTokens)
        ? { maxTokens: { ...(given["maxTokens"] as Record<string, unknown> | undefined), verifier: verifierMaxTokens.value } }
        : {})
    }
    const verifierOptions = yield* jsonObject("verifier-options", flags.verifierOptions, naming.command)
    const verifier = Option.isSome(flags.verifier)
      ? { kind: flags.verifier.value, options: verifierOptions }
      : Object.keys(verifierOptions).length > 0
        ? yield* invalid("verifier-options", "needs --verifier to say which verifier they are for")
        : undefined
    return { backend: { kind, options }, verifier }
  })

/** The cost model `--cost-model` and `--cost-model-options` name, from the registry (strict options). */
export const costModelOf = (registries: Registries.Registries, kind: string, text: string, command = "solve"): Effect.Effect<CostModel.CostModel, InvalidOptions> =>
  Effect.flatMap(jsonObject("cost-model-options", text, command), (options) => CostModels.make({ kind, options }, registries.costModels))

const kindsOf = (registry: Registry.AnyRegistry): string => registry.kinds.join(", ")

/** The flags of the backend and the verifier, shared by the commands that run a model (`command` names it in errors). */
export const backendFlagsOf = (command: string) => ({
  backend: Flag.String("backend").pipe(
    Flag.withDescription(`Backend kind: ${kindsOf(Registries.builtIn.backends)} (or a plugin's; see stepwise list backends). Default simulator`),
    Flag.optional
  ),
  backendOptions: Flag.String("backend-options").pipe(
    Flag.withDescription(
      `Backend options as JSON; unknown keys are errors. Defaults: ${Registry.list(Registries.builtIn.backends).map(Describe.defaultsLine).join("; ")}`
    ),
    Flag.withDefault("{}")
  ),
  verifier: Flag.String("verifier").pipe(
    Flag.withDescription(`Verifier kind: ${kindsOf(Registries.builtIn.verifiers)} (default: the backend's: simulator-prm on the simulator, else think-prm)`),
    Flag.optional
  ),
  verifierOptions: Flag.String("verifier-options").pipe(
    Flag.withDescription(`Verifier options as JSON. Defaults: ${Registry.list(Registries.builtIn.verifiers).map(Describe.defaultsLine).join("; ")}`),
    Flag.withDefault("{}")
  ),
  sim: Flag.String("sim").pipe(Flag.withDescription(`Simulator preset (the default backend): ${Object.keys(Presets.all).join(", ")}`), Flag.optional),
  endpoint: Flag.String("endpoint").pipe(Flag.withDescription("Base URL of an inference server (sets backend option url)"), Flag.optional),
  kind: Flag.String("kind").pipe(
    Flag.withDescription(`Server kind of --endpoint: ${ServerKind.kinds.filter((kind) => kind !== "provider").join(", ")} (default: the kind the server's /v1/models names in owned_by, vllm, sglang or llama.cpp, else openai-compatible)`),
    Flag.optional
  ),
  provider: Flag.String("provider").pipe(Flag.withDescription("Hugging Face Inference Provider (backend provider; token from HF_TOKEN)"), Flag.optional),
  gguf: Flag.String("gguf").pipe(Flag.withDescription("Run a GGUF model in-process with llama.cpp (backend gguf, option path)"), Flag.optional),
  model: Flag.String("model").pipe(Flag.withDescription("Model name (backend option model)"), Flag.optional),
  apiKeyEnv: Flag.String("api-key-env").pipe(Flag.withDescription("Environment variable holding the API key (backend option apiKeyEnv)"), Flag.optional),
  chatTemplate: Flag.String("chat-template").pipe(
    Flag.withDescription("Chat template: a model folder, tokenizer_config.json or .jinja file (backend option chatTemplate)"),
    Flag.optional
  ),
  tokenizer: Flag.String("tokenizer").pipe(Flag.withDescription("Token counter when the server reports no usage (backend option tokenizer)"), Flag.optional),
  contextSize: IntegerFlag.optional("context-size", {
    command,
    description: "Context size of the model (backend option contextSize)",
    minimum: 16,
    maximum: IntegerFlag.largest
  }),
  verifierMaxTokens: IntegerFlag.optional("verifier-max-tokens", {
    command,
    description: "Most output tokens per verifier request, e.g. ThinkPRM chains (backend option maxTokens.verifier)",
    minimum: 1,
    maximum: IntegerFlag.largest
  })
})

/** The flags of the cost model, which prices the `cost` resource (shared by the commands that run a budget). */
export const costModelFlags = {
  costModel: Flag.String("cost-model").pipe(
    Flag.withDescription(`How the cost resource is priced: ${kindsOf(Registries.builtIn.costModels)}`),
    Flag.withDefault("tokens")
  ),
  costModelOptions: Flag.String("cost-model-options").pipe(
    Flag.withDescription(`Cost model options as JSON. Defaults: ${Registry.list(Registries.builtIn.costModels).map(Describe.defaultsLine).join("; ")}`),
    Flag.withDefault("{}")
  )
}

/** The backend and verifier flags of `solve`. */
export const backendFlags = backendFlagsOf("solve")

/** The problem text piped in (`stepwise solve -`), trimmed; an empty one is refused. */
const standardInput: Effect.Effect<string, InvalidOptions> = Effect.flatMap(
  Effect.try({
    try: () => readFileSync(0, "utf8").trim(),
    catch: (error) => new InvalidOptions({ subject: "solve", field: "problem", detail: `- reads standard input, which could not be read: ${String(error)}` })
  }),
  (text) => (text === "" ? Effect.fail(new InvalidOptions({ subject: "solve", field: "problem", detail: "- reads standard input, which was empty" })) : Effect.succeed(text))
)

/** A cost as people read it: at most 6 significant digits, no float noise (0.006973999999999999 is 0.006974). */
export const formatCost = (cost: number): string => (Number.isInteger(cost) ? String(cost) : String(Number(cost.toPrecision(6))))

/** Why `--tree`'s file could not be written, checked before the search spends anything; `undefined` when it can. */
export const unwritable = (path: string): string | undefined => {
  const folder = dirname(resolve(path))
  if (!existsSync(folder)) return `cannot be written: its folder ${folder} does not exist`
  const exists = existsSync(path)
  if (exists && statSync(path).isDirectory()) return `cannot be written: ${path} is a folder`
  try {
    accessSync(exists ? path : folder, constants.W_OK)
  } catch {
    return `cannot be written: ${exists ? path : folder} is not writable`
  }
  return undefined
}

/**
 * The run's record for `--view` and `--tree`, made only when one of them is asked (the server package loads only
 * then): `record` sends a search's events to it (drawn live with `--view`), `finish` ends it and writes the tree
 * file. With `--view` the page is served on 127.0.0.1 for the life of the scope.
 */
const recorderOf = (settings: { readonly view: boolean; readonly viewPort: number; readonly tree: Option.Option<string>; readonly info: Runs.Info }) =>
  Effect.gen(function* () {
    if (!settings.view && Option.isNone(settings.tree)) return undefined
    // A finished search (and what it spent) is not lost to a path that turns out unwritable at the end.
    const refused = Option.isSome(settings.tree) ? unwritable(settings.tree.value) : undefined
    if (refused !== undefined) return yield* Effect.fail(new InvalidOptions({ subject: "solve", field: "--tree", detail: refused }))
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
      finish: (result: SearchResult.SearchResult | "interrupted", accountant: Accountant.Service) =>
        Effect.gen(function* () {
          const spent = (yield* accountant.snapshot).spent
          Runs.finish(
            runs,
            run,
            result === "interrupted" ? { status: "interrupted", spent, detail: "interrupted (Ctrl-C)" } : Runs.endOf(result, spent),
            yield* Clock.currentTimeMillis
          )
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
    problem: Argument.String("problem").pipe(
      Argument.withDescription("The problem text, or - to read it from standard input (optional on the simulator)"),
      Argument.optional
    ),
    strategy: Flag.String("strategy").pipe(
      Flag.withDescription(`Strategy kind: ${Strategies.registry.kinds.join(", ")} (or a plugin's; see stepwise list; default a-star)`),
      Flag.withDefault("a-star")
    ),
    options: Flag.String("options").pipe(
      Flag.withDescription(
        `Strategy options as JSON, e.g. '{"expansions":4}'; unknown keys are errors. Defaults: ${Registry.list(Strategies.registry).map(Describe.defaultsLine).join("; ")}`
      ),
      Flag.withDefault("{}")
    ),
    ...backendFlags,
    ...costModelFlags,
    plugins: Plugins.flag,
    budget: IntegerFlag.withDefault("budget", { command: "solve", description: "Total policy tokens the search may spend", minimum: 1, maximum: IntegerFlag.largest, fallback: 8000 }),
    verifierCalls: IntegerFlag.optional("verifier-calls", { command: "solve", description: "Verifier calls the search may spend", minimum: 0, maximum: IntegerFlag.largest }),
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
      const costModel = yield* costModelOf(registries, flags.costModel, flags.costModelOptions)
      const choice = yield* choiceOf(flags)
      const backend = yield* Backends.make(choice, registries)
      let problem: Problem.Problem
      const given = Option.isSome(flags.problem) && flags.problem.value === "-" ? Option.some(yield* standardInput) : flags.problem
      if (Option.isSome(given)) {
        // The simulator reads a question of one's own as a word problem; one it cannot is refused here, with its
        // reason, before the search starts (the search would meet it first in whichever of its models ran first).
        if (choice.backend.kind === "simulator") {
          const understood = Recognition.understand(given.value)
          if (Result.isFailure(understood)) return yield* Effect.fail(understood.failure)
        }
        problem = Problem.make({ id: "cli", question: given.value, system: systemPrompt })
      } else if (choice.backend.kind === "simulator") {
        const preset = (choice.backend.options as { readonly preset?: unknown } | undefined)?.preset
        const world = World.make(Presets.all[typeof preset === "string" ? preset : "calibrated"] ?? Presets.calibrated)
        const [generated] = World.problems(world, { count: 1, seed, difficulty })
        if (generated === undefined) return yield* Effect.die("the simulator generated no problem")
        problem = generated
      } else return yield* Effect.fail(new InvalidOptions({ subject: "solve", field: "problem", detail: `is required with backend ${choice.backend.kind}` }))

      const limits = {
        totalTokens: budget,
        ...(Option.isSome(verifierCalls) ? { verifierCalls: verifierCalls.value } : {})
      }
      const accountant = yield* Accountant.make(limits, "solve", { costModel })
      const recorder = yield* recorderOf({
        view: flags.view,
        viewPort,
        tree: flags.tree,
        info: { id: `solve-${seed}`, started: yield* Clock.currentTimeMillis, strategy: flags.strategy, options: strategy.options ?? {}, model: backend.name, question: problem.question, limits }
      })
      if (recorder?.url !== undefined) yield* Console.log(`tree:     ${recorder.url}`)
      const search = strategy.run(problem).pipe(Backends.provide(backend))
      // Interrupted (Ctrl-C), it says what was spent and keeps the tree so far, where it would have left nothing.
      const result = yield* (recorder === undefined ? search : recorder.record(accountant, search)).pipe(
        Accountant.provide(accountant),
        Effect.onInterrupt(() =>
          Effect.gen(function* () {
            const spent = (yield* accountant.snapshot).spent
            yield* Console.error(
              `interrupted: spent ${spent.inputTokens} input + ${spent.outputTokens} output tokens, ${spent.verifierCalls} verifier calls, ${spent.verifierTokens} verifier tokens, cost ${formatCost(spent.cost)} ${costModel.unit}${Option.isSome(flags.tree) ? `; the tree so far is in ${flags.tree.value}` : ""}`
            )
            if (recorder !== undefined) yield* Effect.ignore(recorder.finish("interrupted", accountant))
          })
        )
      )
      yield* Console.log(`problem:  ${problem.question}`)
      if (problem.reference !== undefined) yield* Console.log(`expected: ${problem.reference}`)
      // With the expected answer known (a generated problem), the verdict too, graded as a benchmark grades it.
      const verdict =
        result.outcome._tag === "Answered" && problem.reference !== undefined
          ? Grader.isCorrect(result.outcome.answer, problem.reference)
            ? " (right)"
            : " (wrong)"
          : ""
      yield* Console.log(
        `answer:   ${result.outcome._tag === "Answered" ? `${result.outcome.answer}${verdict}` : `none — ${result.outcome.reason}: ${result.outcome.detail}`}`
      )
      yield* Console.log(
        `strategy: ${strategy.name} on ${backend.name} with ${backend.processRewardModel.info.name}; ${result.candidates.length} finished candidates, ${result.tree.nodes.length - 1} steps explored`
      )
      yield* Console.log(
        `spend:    ${result.spend.inputTokens} input + ${result.spend.outputTokens} output tokens, ${result.spend.verifierCalls} verifier calls, ${result.spend.verifierTokens} verifier tokens, cost ${formatCost(result.spend.cost)} ${costModel.unit}${result.budgetExhausted ? " (budget exhausted: a call's worst case, reserved before it ran, did not fit what was left)" : ""}`
      )
      if (result.best !== undefined) yield* Console.log(`\n${Trajectory.text(result.best)}`)
      // Written after the result is printed: a write that fails still leaves the answer and spend on screen.
      if (recorder !== undefined) yield* recorder.finish(result, accountant)
      if (recorder?.url !== undefined) {
        yield* Console.log(`\nthe tree stays at ${recorder.url} — Ctrl-C to stop`)
        return yield* Effect.never
      }
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Solve one problem with a search strategy under a budget"))
