/**
 * Runs every search strategy on a simulated world at several equal token budgets and prints accuracy, tokens and
 * verifier calls per strategy; then measures how many tokens and verifier calls A* needs to match best-of-64.
 *
 * Run: `npx tsx packages/search/bench/strategies.ts [--preset medium] [--problems 40] [--budgets 1000,2000,4000]
 *       [--resource outputTokens] [--seed 7]` (or `npx tsx bench/strategies.ts` from the workspace root).
 */
import { Effect } from "effect"
import type { Budget } from "@stepwise/accountant"
import { Accountant } from "@stepwise/accountant"
import type { Problem, Resource } from "@stepwise/core"
import type { Strategy } from "@stepwise/search"
import { AStar, BeamSearch, BestOfN, Dvts, ParticleFiltering, ParticleGibbs, SelfConsistency } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"

/** One strategy's figures over a problem set. */
export interface Row {
  readonly strategy: string
  readonly budget: number | undefined
  readonly accuracy: number
  readonly answered: number
  readonly outputTokens: number
  readonly totalTokens: number
  readonly verifierCalls: number
}

/** Runs one strategy over problems (each under its own accountant with `limits`) and averages the figures. */
export const evaluate = (
  world: World.World,
  problems: ReadonlyArray<Problem.Problem>,
  strategy: Strategy.Strategy,
  limits: Budget.Limits,
  budget: number | undefined
): Effect.Effect<Row, unknown> =>
  Effect.gen(function* () {
    const results = yield* Effect.forEach(
      problems,
      (problem) =>
        Effect.gen(function* () {
          const accountant = yield* Accountant.make(limits)
          return yield* strategy.run(problem).pipe(Effect.provide(World.layer(world)), Accountant.provide(accountant))
        }),
      { concurrency: 4 }
    )
    const mean = (values: ReadonlyArray<number>) => values.reduce((total, value) => total + value, 0) / Math.max(1, values.length)
    return {
      strategy: strategy.name,
      budget,
      accuracy: mean(results.map((result, index) => (World.isCorrect(world, problems[index] as Problem.Problem, result.answer) ? 1 : 0))),
      answered: mean(results.map((result) => (result.outcome._tag === "Answered" ? 1 : 0))),
      outputTokens: mean(results.map((result) => result.spend.outputTokens)),
      totalTokens: mean(results.map((result) => result.spend.totalTokens)),
      verifierCalls: mean(results.map((result) => result.spend.verifierCalls))
    }
  })

/**
 * Token limits that fit the simulator (a step is ~40 tokens, a solution ~200): a request reserves its whole worst
 * case, so limits far above real lengths waste budget headroom.
 */
export const sampling = { stepTokens: 128, maxTokens: 512 } as const

/** Output tokens of one full solution on the simulator's worlds, roughly: sizes the strategies for a budget. */
export const tokensPerSolution = 200

/**
 * The strategies compared at an equal output-token budget: each sized so that its nominal work (N samples, N
 * beams, N particles) is what the budget buys, N = budget / `tokensPerSolution`; the budget caps them all.
 */
export const contenders = (budget: number, seed: number): Effect.Effect<ReadonlyArray<Strategy.Strategy>, unknown> => {
  const samples = Math.max(1, Math.floor(budget / tokensPerSolution))
  // Step-level searches also pay for steps that are dropped: size them a little smaller.
  const beams = Math.max(4, 4 * Math.floor((samples * 3) / 4 / 4))
  const common = { seed, ...sampling }
  const rollouts = { seed, maxTokens: sampling.maxTokens }
  return Effect.all([
    SelfConsistency.make({ n: samples, ...rollouts }),
    BestOfN.make({ n: samples, selection: "weighted", ...rollouts }),
    BeamSearch.make({ beams, width: 4, ...common }),
    Dvts.make({ beams, width: 4, ...common }),
    ParticleFiltering.make({ particles: Math.max(2, Math.floor((samples * 3) / 4)), ...common }),
    ParticleGibbs.make({ particles: Math.max(2, Math.floor(samples / 2)), sweeps: 2, ...common }),
    AStar.make({ ...common })
  ])
}

/** A single greedy sample: the baseline every search should beat. */
export const greedy = (seed: number) => SelfConsistency.make({ n: 1, temperature: 0, seed, maxTokens: sampling.maxTokens })

const format = (row: Row): string =>
  [
    row.strategy.padEnd(28),
    String(row.budget ?? "-").padStart(7),
    row.accuracy.toFixed(3).padStart(9),
    row.answered.toFixed(2).padStart(9),
    row.outputTokens.toFixed(0).padStart(10),
    row.totalTokens.toFixed(0).padStart(10),
    row.verifierCalls.toFixed(1).padStart(9)
  ].join(" ")

const header = ["strategy".padEnd(28), "budget".padStart(7), "accuracy".padStart(9), "answered".padStart(9), "out tok".padStart(10), "all tok".padStart(10), "verifier".padStart(9)].join(" ")

const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

const main = Effect.gen(function* () {
  const presetName = argument("preset", "medium")
  const preset = Presets.all[presetName]
  if (preset === undefined) return yield* Effect.fail(new Error(`unknown preset ${presetName}`))
  const seed = Number(argument("seed", "7"))
  const count = Number(argument("problems", "40"))
  const resource = argument("resource", "outputTokens") as Resource.Resource
  const budgets = argument("budgets", "1600,3200,6400").split(",").map(Number)
  const world = World.make(preset, { seed })
  const problems = World.problems(world, { count, seed: 1 })
  console.log(`world ${presetName} (seed ${seed}), ${problems.length} problems, budgets on ${resource} per problem`)
  console.log(header)
  console.log(format(yield* evaluate(world, problems, yield* greedy(seed), {}, undefined)))
  for (const budget of budgets) {
    for (const strategy of yield* contenders(budget, seed)) console.log(format(yield* evaluate(world, problems, strategy, { [resource]: budget }, budget)))
  }
  console.log("\nA* against best-of-64 (no budget)")
  console.log(header)
  const reference = yield* evaluate(world, problems, yield* BestOfN.make({ n: 64, selection: "weighted", seed }), {}, undefined)
  console.log(format(reference))
  const settings: ReadonlyArray<AStar.Options> = [
    { expansions: 2 },
    { expansions: 3 },
    { expansions: 4 },
    { expansions: 4, goals: 4, selection: "weighted" }
  ]
  let matched: Row | undefined
  for (const options of settings) {
    const strategy = yield* AStar.make({ ...options, seed })
    const row = yield* evaluate(world, problems, strategy, {}, undefined)
    console.log(`${format(row)}   ${JSON.stringify(options)}`)
    if (matched === undefined && row.accuracy >= reference.accuracy) matched = row
  }
  console.log(
    matched === undefined
      ? "A* did not reach best-of-64's accuracy with these settings"
      : `A* matched best-of-64 (${reference.accuracy.toFixed(3)}) with ${matched.outputTokens.toFixed(0)} output / ${matched.totalTokens.toFixed(0)} total tokens and ${matched.verifierCalls.toFixed(1)} verifier calls per problem, against ${reference.outputTokens.toFixed(0)} / ${reference.totalTokens.toFixed(0)} tokens and ${reference.verifierCalls.toFixed(1)} calls`
  )
})

if (process.argv[1]?.endsWith("strategies.ts")) Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
