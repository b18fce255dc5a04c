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

const worldOf = (settings: z.output<typeof options>) => World.makeEffect(Presets.all[settings.preset] ?? Presets.calibrated, { seed: settings.seed })

/** The simulator backend: the world's policy, with the world's own PRM as the default verifier. */
export const backend = Backend.define({
  kind: "simulator",
  description: "The simulated reasoning world (the default): seeded arithmetic word problems, a policy with known error rates.",
  options,
  build: (settings) =>
    Effect.map(worldOf(settings), (world) => ({
      label: `simulator/${settings.preset}`,
      languageModel: world.languageModel,
      defaultVerifier: { kind: "simulator-prm", options: { preset: settings.preset, seed: settings.seed } }
    }))
})

/** The simulator's discriminative PRM as a verifier kind. */
export const verifier = Verifier.define({
  kind: "simulator-prm",
  description: "The simulated world's discriminative PRM: scores with the preset's AUROC and real PRMs' biases.",
  options,
  build: (settings) => Effect.map(worldOf(settings), (world) => world.processRewardModel)
})
