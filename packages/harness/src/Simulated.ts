import { Effect } from "effect"
import { z } from "zod"
import { Presets, World } from "@stepwise/simulator"
import { Backend } from "@stepwise/models"
import { Verifier } from "@stepwise/verifiers"

/**
 * The simulator as registered kinds: the `simulator` backend (a world's policy) and the `simulator-prm` verifier (a
 * world's discriminative PRM). A simulator backend's default verifier is the PRM of the same world (same preset and
 * seed); naming `simulator-prm` with another preset pairs one world's policy with another's PRM (e.g. a weak
 * verifier over the calibrated policy). Every output is a pure function of (preset, seed, inputs), so the two
 * entries' worlds answer exactly as one world would.
 */

const presetNames = Object.keys(Presets.all) as [string, ...Array<string>]

/** The options both simulator kinds take: the world's preset and seed. */
export const options = z
  .object({
    preset: z.enum(presetNames).default("calibrated").describe("The world's preset: its difficulty mix, policy and verifier quality."),
    seed: z.number().int().min(0).default(0).describe("The world's seed: a different seed is a different model over the same problems.")
  })
  .strict()

/** The simulator backend's options: the world's, and a model of a server's prefix cache. */
export const backendOptions = options
  .extend({
    prefixCache: z
      .object({
        capacityTokens: z.number().int().min(1).optional().describe("Tokens the cache holds (default 1,048,576)."),
        blockSize: z.number().int().min(1).optional().describe("Tokens per block (default 16, as vLLM).")
      })
      .strict()
      .optional()
      .describe("Model a server's automatic prefix cache (vLLM's): requests report the cached part of their input; each benchmark run starts cold.")
  })
  .strict()

const worldOf = (settings: z.output<typeof backendOptions>) =>
  World.makeEffect(Presets.all[settings.preset] ?? Presets.calibrated, {
    seed: settings.seed,
    ...(settings.prefixCache === undefined
      ? {}
      : {
          prefixCache: {
            ...(settings.prefixCache.capacityTokens === undefined ? {} : { capacityTokens: settings.prefixCache.capacityTokens }),
            ...(settings.prefixCache.blockSize === undefined ? {} : { blockSize: settings.prefixCache.blockSize })
          }
        })
  })

/** The simulator backend: the world's policy, with the world's own PRM as the default verifier. */
export const backend = Backend.define({
  kind: "simulator",
  description: "The simulated reasoning world (the default): seeded arithmetic word problems, a policy with known error rates.",
  options: backendOptions,
  build: (settings) =>
    Effect.map(worldOf(settings), (world) => ({
      label: `simulator/${settings.preset}`,
      languageModel: world.languageModel,
      defaultVerifier: { kind: "simulator-prm", options: { preset: settings.preset, seed: settings.seed } },
      // With a prefix cache, each problem run gets its own world (the same model, a cold cache), so no strategy
      // profits from another's requests. The world was just made from the same options: making it again cannot fail.
      ...(settings.prefixCache === undefined ? {} : { isolate: Effect.map(Effect.orDie(worldOf(settings)), (fresh) => fresh.languageModel) })
    }))
})

/** The simulator's discriminative PRM as a verifier kind. */
export const verifier = Verifier.define({
  kind: "simulator-prm",
  description: "The simulated world's discriminative PRM: scores with the preset's AUROC and real PRMs' biases.",
  options,
  build: (settings) => Effect.map(worldOf(settings), (world) => world.processRewardModel)
})
