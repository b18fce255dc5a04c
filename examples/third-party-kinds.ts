/**
 * Register a verifier, a backend and a cost model of your own from outside the stepwise repository, without editing
 * it — each one registry entry (a strict zod options schema with defaults, and a `make`):
 *
 * - `brevity` (verifier): a step scores 1 up to `words` words, less the longer it runs — a prior, not a checker.
 * - `canned` (backend): answers every request with the same text, cut at the stop strings and the token limit;
 *   one token per word. A stand-in for a server of your own: `LanguageModel.make` meters it like any other.
 * - `per-call` (cost model): a flat price per model call and per verifier call.
 *
 * Registered, they run through the Promise API, in a recipe, and on the command line as a plugin:
 *
 *   npx tsx examples/third-party-kinds.ts
 *   pnpm stepwise solve "What is 2 + 3?" --plugin examples/third-party-kinds.ts --backend canned --verifier brevity --cost-model per-call
 */
import { Effect } from "effect"
import { z } from "zod"
import { CostModels } from "@stepwise/accountant"
import { LanguageModel, ProcessRewardModel, Trajectory, Usage } from "@stepwise/core"
import { Registries } from "@stepwise/harness"
import { Backend } from "@stepwise/models"
import { Verifier } from "@stepwise/verifiers"
import { solve } from "stepwise-decoding"

const wordsOf = (text: string): number => text.split(/\s+/).filter((word) => word.length > 0).length

/** The verifier: brevity as a prior over steps. */
export const brevity = Verifier.define({
  kind: "brevity",
  description: "Scores a step 1 up to `words` words, then words/length (an example of a third-party verifier).",
  options: z.object({ words: z.number().int().min(1).default(24).describe("Longest step that scores 1.") }).strict(),
  build: ({ words }) =>
    Effect.succeed(
      ProcessRewardModel.make({
        info: { name: `brevity(${words})` },
        score: (_problem, trajectory) =>
          Effect.succeed({
            stepScores: Trajectory.stepTexts(trajectory).map((text) => Math.min(1, words / Math.max(1, wordsOf(text)))),
            usage: Usage.zero
          })
      })
    )
})

/** The backend: one canned answer, metered through `LanguageModel.make`. */
export const canned = Backend.define({
  kind: "canned",
  description: "Answers every request with the same text (an example of a third-party backend).",
  options: z
    .object({
      text: z
        .string()
        .min(1)
        .default("## Step 1: 2 + 3 = 5\n\nTherefore, the final answer is: $\\boxed{5}$.")
        .describe("The answer it gives.")
    })
    .strict(),
  build: ({ text }) =>
    Effect.succeed({
      label: "canned",
      defaultVerifier: { kind: "brevity" },
      languageModel: LanguageModel.make({
        specificationVersion: "v1",
        info: { name: "canned" },
        generate: (request) =>
          Effect.sync(() =>
            Array.from({ length: request.n }, (_, index) => {
              const continued = text.startsWith(request.prefix ?? "") ? text.slice((request.prefix ?? "").length) : text
              const stopAt = Math.min(...(request.stop ?? []).map((stop) => continued.indexOf(stop)).filter((at) => at >= 0), continued.length)
              const words = continued.slice(0, stopAt).split(/(?<=\s)/)
              const kept = words.slice(0, request.maxTokens).join("")
              const finishReason = words.length > request.maxTokens ? "length" : stopAt < continued.length ? "stop" : "eos"
              return {
                index,
                text: kept,
                finishReason,
                usage: Usage.make({ inputTokens: index === 0 ? 20 : 0, outputTokens: Math.min(words.length, request.maxTokens), cachedInputTokens: 0 })
              } satisfies LanguageModel.Completion
            })
          )
      })
    })
})

/** The cost model: a flat price per call. */
export const perCall = CostModels.define({
  kind: "per-call",
  description: "A flat price per model call and per verifier call (an example of a third-party cost model).",
  options: z
    .object({
      perCall: z.number().min(0).default(1).describe("Price of one model call."),
      perVerifierCall: z.number().min(0).default(1).describe("Price of one verifier call.")
    })
    .strict(),
  build: ({ perCall: call, perVerifierCall }) => ({
    name: "per-call",
    unit: "calls",
    cost: (charge) => (charge.verifierCalls > 0 ? charge.verifierCalls * perVerifierCall : call)
  })
})

/** The plugin the command line's `--plugin` loads: entries per axis. */
export default { verifiers: [brevity], backends: [canned], costModels: [perCall] } satisfies Registries.Plugin

/** Solves a problem on the canned backend with the brevity verifier, priced per call. */
export const main = () =>
  solve({
    problem: "What is 2 + 3?",
    strategy: { kind: "best-of-n", options: { n: 3 } },
    backend: { kind: "canned" },
    verifier: { kind: "brevity", options: { words: 8 } },
    costModel: { kind: "per-call", options: { perCall: 2 } },
    budget: { totalTokens: 2_000 },
    registries: Registries.extend(Registries.builtIn, { verifiers: [brevity], backends: [canned], costModels: [perCall] })
  })

if (import.meta.url === `file://${process.argv[1]}`)
  main().then(
    (result) => console.log(`answer: ${result.answer ?? "none"}; cost ${result.spend.cost} calls`),
    (error: unknown) => {
      console.error(String(error))
      process.exit(1)
    }
  )
