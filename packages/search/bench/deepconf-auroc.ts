/**
 * How well DeepConf's trace confidence, as this package computes it (`DeepConf` offline: each finished trace's
 * candidate score), tells right final answers from wrong ones on a simulator world: the AUROC of the score for
 * traces whose answer is right against traces whose answer is wrong or missing, for each measure and window; and
 * the same for Self-Certainty's score (the last row).
 *
 * Run: `npx tsx packages/search/bench/deepconf-auroc.ts [--preset calibrated] [--problems 300] [--traces 8]
 *       [--world 7] [--top 20]`.
 */
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { Strategy } from "@stepwise/search"
import { Confidence, DeepConf, SelfCertainty } from "@stepwise/search"
import { Auroc, Presets, World } from "@stepwise/simulator"

const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

const presetName = argument("preset", "calibrated")
const preset = (Presets as unknown as Record<string, Parameters<typeof World.make>[0] | undefined>)[presetName]
if (preset === undefined) throw new Error(`unknown preset ${presetName}`)
const world = World.make(preset, { seed: Number(argument("world", "7")) })
const problems = World.problems(world, { count: Number(argument("problems", "300")), seed: 1 })
const traces = Number(argument("traces", "8"))
const topLogprobs = Number(argument("top", "20"))

const configurations: ReadonlyArray<{ readonly measure: Confidence.Measure; readonly window: number }> = [
  { measure: "lowest-group", window: 16 },
  { measure: "lowest-group", window: 32 },
  { measure: "lowest-group", window: 64 },
  { measure: "lowest-group", window: 2048 },
  { measure: "bottom-percent", window: 16 },
  { measure: "bottom-percent", window: 32 },
  { measure: "tail", window: 32 },
  { measure: "mean", window: 32 }
]

// The AUROC of a strategy's candidate scores for right against wrong (or missing) answers, over every problem.
const auroc = (strategy: Strategy.Strategy) =>
  Effect.gen(function* () {
    const right: Array<number> = []
    const wrong: Array<number> = []
    yield* Effect.forEach(
      problems,
      (problem) =>
        Effect.gen(function* () {
          const accountant = yield* Accountant.make({ totalTokens: 1_000_000 })
          const result = yield* strategy.run(problem).pipe(Effect.provide(World.layer(world)), Accountant.provide(accountant))
          for (const candidate of result.candidates)
            if (candidate.score !== undefined) (World.isCorrect(world, problem, candidate.answer) ? right : wrong).push(candidate.score)
        }),
      { concurrency: 4 }
    )
    return `${right.length} | ${wrong.length} | ${Auroc.of(right, wrong).toFixed(3)}`
  })

const main = Effect.gen(function* () {
  console.log(`${presetName} world ${argument("world", "7")}, ${problems.length} problems × ${traces} traces, temperature 0.8, top-${topLogprobs} logprobs`)
  console.log("| measure | window | right traces | wrong traces | AUROC |")
  console.log("| --- | ---: | ---: | ---: | ---: |")
  for (const { measure, window } of configurations) {
    // tailTokens 32: the tail measure over the last 32 tokens (the paper: 2048 of traces 10–100× longer).
    const strategy = yield* DeepConf.make({ mode: "offline", traces, keep: 1, measure, window, tailTokens: 32, topLogprobs, maxTokens: 512, seed: 0 })
    console.log(`| ${measure} | ${window} | ${yield* auroc(strategy)} |`)
  }
  const certainty = yield* SelfCertainty.make({ n: traces, topLogprobs, maxTokens: 512, seed: 0 })
  console.log(`| self-certainty | — | ${yield* auroc(certainty)} |`)
})

Effect.runPromise(main).catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
