// A TypeScript program under strict `nodenext` settings with `skipLibCheck: false`: it uses the Effect API (a
// strategy value, layers, a typed failure) and the Promise API of the installed packages.
import { Effect, Layer } from "effect"
import type { SearchResult } from "stepwise-decoding"
import { Accountant, AStar, BestOfN, Combinators, InvalidOptions, Presets, Registries, solve, Strategies, Strategy, World } from "stepwise-decoding"
import { Main } from "@stepwise/cli"
import { z } from "zod"

const world = World.make(Presets.calibrated)
const [problem] = World.problems(world, { count: 1, seed: 3 })
if (problem === undefined) throw new Error("no problem")

const program: Effect.Effect<SearchResult.SearchResult, unknown> = Effect.gen(function* () {
  const aStar = yield* AStar.make({ expansions: 4, pathCost: "depth" })
  const decoder = yield* Combinators.fallback([aStar, yield* BestOfN.make({ n: 8 })])
  return yield* decoder.run(problem)
}).pipe(Effect.provide(Layer.merge(World.layer(world), Accountant.layer({ totalTokens: 6_000, verifierCalls: 60 }))))

const invalid: Effect.Effect<never, InvalidOptions> = Effect.fail(new InvalidOptions({ subject: "app", field: "n", detail: "must be positive" }))

export const fromEffect: Promise<string | undefined> = Effect.runPromise(program).then((result) => result.answer)
export const fromPromise: Promise<number> = solve({ problem, strategy: "best-of-n", budget: { totalTokens: 4_000 } }).then(
  (result: SearchResult.SearchResult) => result.spend.totalTokens
)
export const failure: Effect.Effect<never, InvalidOptions> = invalid
export const commands: ReadonlyArray<string> = Main.subcommandNames

// A plugin's own strategy, declared with typed options, is a plugin entry the registries take.
const greedy = Strategy.define({
  kind: "greedy-one",
  description: "best-of-n with one sample (a plugin's strategy)",
  options: z.object({ seed: z.number().int().min(0).default(0) }).strict(),
  build: ({ seed }) => {
    const inner = Strategies.registry.entries["best-of-n"]
    return { name: "greedy-one", options: { seed }, run: (given) => Effect.flatMap(inner.make(inner.options.parse({ n: 1, seed }), undefined), (made) => made.run(given)) }
  }
})
export const plugin = { strategies: [greedy] } satisfies Registries.Plugin
export const registries: Registries.Registries = Registries.extend(Registries.builtIn, plugin)
