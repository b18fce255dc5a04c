/**
 * Register a strategy of your own from outside the stepwise repository, without editing it: a "temperature
 * ladder" — N full samples, each at its own temperature from cold to hot, then a majority vote. It is one
 * registry entry (a strict zod options schema with defaults, and a `make`), built from the same pieces the
 * built-in strategies use (`Run.search`, `Expansion`, `Selection`). Once registered, it runs through the Promise
 * API with typed options, in a benchmark recipe, and on the command line as a plugin:
 *
 *   npx tsx examples/third-party-strategy.ts
 *   pnpm stepwise list strategies --plugin examples/third-party-strategy.ts
 */
import { Effect, pipe } from "effect"
import { z } from "zod"
import type { Problem } from "@stepwise/core"
import { Registry } from "@stepwise/core"
import { Expansion, Run, Selection, Strategies, Strategy } from "@stepwise/search"
import { bench, Presets, solve, World } from "stepwise-decoding"

/** The options, strict: a misspelt key fails with the allowed keys; defaults are declared here. */
export const options = z
  .object({
    samples: z.number().int().min(1).default(6).describe("How many samples, one per rung of the ladder."),
    coldest: z.number().min(0).default(0).describe("Temperature of the first sample."),
    hottest: z.number().min(0).default(1.2).describe("Temperature of the last sample."),
    maxTokens: z.number().int().min(1).default(1024).describe("Output-token limit of each sample."),
    seed: z.number().int().min(0).default(0).describe("Seed of the requests.")
  })
  .strict()

/** The registry entry: all a third party writes. */
export const entry = Strategy.define({
  kind: "temperature-ladder",
  description: "N samples at temperatures from cold to hot, majority vote (an example of a third-party strategy).",
  options,
  build: (settings): Strategy.Strategy => {
    const name = `temperature-ladder-${settings.samples}`
    const temperatureOf = (rung: number) =>
      settings.samples === 1 ? settings.coldest : settings.coldest + ((settings.hottest - settings.coldest) * rung) / (settings.samples - 1)
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search({
          strategy: name,
          problem,
          body: (recorder) =>
            Effect.forEach(
              Array.from({ length: settings.samples }, (_, rung) => rung),
              (rung) =>
                Expansion.sampleRollouts(problem, recorder, 0, {
                  n: 1,
                  batch: 1,
                  seed: settings.seed + rung,
                  sampling: { temperature: temperatureOf(rung), maxTokens: settings.maxTokens },
                  concurrency: 1
                }),
              { discard: true }
            ),
          select: ({ candidates }) => Selection.select(candidates, "majority")
        })
    }
  }
})

/** The built-in strategies plus ours: pass it wherever a strategy registry is taken. */
export const strategies = pipe(Strategies.registry, (registry) => Registry.add(registry, entry))

/** As a command-line plugin: `--plugin examples/third-party-strategy.ts`. */
export default { strategies: [entry] }

/** Solves one question through the Promise API, and benchmarks the new kind against best-of-n in a recipe. */
export const main = async (results: string) => {
  const world = World.make(Presets.calibrated)
  const [problem] = World.problems(world, { count: 1, seed: 11, difficulty: 2 })
  if (problem === undefined) throw new Error("the simulator generated no problem")
  // The options are typed by the extended registry: `{ sampels: 4 }` would not compile.
  const solved = await solve({
    problem,
    strategy: { kind: "temperature-ladder", options: { samples: 5, hottest: 1 } },
    strategies,
    budget: { totalTokens: 8_000 }
  })
  const benchmark = await bench({
    strategies,
    results,
    recipe: {
      name: "third-party",
      datasets: [{ kind: "simulator", count: 6, seed: 3 }],
      strategies: [{ kind: "temperature-ladder", options: { samples: 5 } }, { kind: "best-of-n", options: { n: 5 } }],
      budgets: [{ label: "6k", limits: { totalTokens: 6_000 } }],
      backend: { kind: "simulator", options: { preset: "calibrated", seed: 0 } }
    }
  })
  return { solved, benchmark }
}

if (import.meta.url === `file://${process.argv[1]}`)
  main("results/third-party.jsonl").then(
    ({ solved, benchmark }) => {
      console.log(`answer: ${solved.answer ?? "none"} (${solved.strategy})`)
      console.log(benchmark.report.terminal)
    },
    (error: unknown) => {
      console.error(String(error))
      process.exitCode = 1
    }
  )
