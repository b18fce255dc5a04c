import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { Presets, Server, World } from "@stepwise/simulator"
import { InvalidOptions } from "@stepwise/core"

/**
 * `stepwise serve-sim`: serves a simulator world as an OpenAI-compatible server on 127.0.0.1 until interrupted,
 * for pointing real clients (or `stepwise solve --endpoint`) at a reproducible model.
 */
export const command = Command.make(
  "serve-sim",
  {
    port: Flag.Int("port").pipe(Flag.withDescription("Port on 127.0.0.1 (0 picks a free one)"), Flag.withDefault(8000)),
    preset: Flag.String("preset").pipe(Flag.withDescription(`World preset: ${Object.keys(Presets.all).join(", ")}`), Flag.withDefault("calibrated")),
    seed: Flag.Int("seed").pipe(Flag.withDescription("World seed"), Flag.withDefault(0))
  },
  (flags) =>
    Effect.gen(function* () {
      const preset = Presets.all[flags.preset]
      if (preset === undefined)
        return yield* Effect.fail(
          new InvalidOptions({ subject: "serve-sim", field: "preset", detail: `must be one of ${Object.keys(Presets.all).join(", ")}, got "${flags.preset}"` })
        )
      const world = yield* World.makeEffect(preset, { seed: flags.seed })
      const address = yield* Server.serve(world, { port: flags.port })
      yield* Console.log(`serving ${World.modelName} (${flags.preset}, seed ${flags.seed}) at ${address.url}/v1 — Ctrl-C to stop`)
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Serve the simulator as an OpenAI-compatible server on 127.0.0.1"))
