import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { Presets, Server, World } from "@stepwise/simulator"
import { InvalidOptions } from "@stepwise/core"
import * as IntegerFlag from "./IntegerFlag.js"

/** Faults on `percent`% of requests, spread evenly over the kinds a client recovers from by retrying. */
const faultsOf = (percent: number, seed: number): Server.Faults => {
  const share = percent / 100 / 6
  return { serverError: share, unavailable: share, rateLimited: share, retryAfterSeconds: 0, dropped: share, truncated: share, malformed: share, seed }
}

/**
 * `stepwise serve-sim`: serves a simulator world as an OpenAI-compatible server on 127.0.0.1 until interrupted,
 * for pointing real clients (or `stepwise solve --endpoint`) at a reproducible model.
 */
export const command = Command.make(
  "serve-sim",
  {
    port: IntegerFlag.withDefault("port", { command: "serve-sim", description: "Port on 127.0.0.1 (0 picks a free one)", minimum: 0, maximum: 65_535, fallback: 8000 }),
    preset: Flag.String("preset").pipe(Flag.withDescription(`World preset: ${Object.keys(Presets.all).join(", ")} (default calibrated)`), Flag.withDefault("calibrated")),
    seed: IntegerFlag.withDefault("seed", { command: "serve-sim", description: "World seed", minimum: 0, maximum: IntegerFlag.largest, fallback: 0 }),
    faultPercent: IntegerFlag.withDefault("fault-percent", {
      command: "serve-sim",
      description:
        "Percent of POST requests that get an injected fault, spread evenly over a 500, a 503, a 429 (Retry-After: 0), a dropped connection, a cut-off body and a body that is not JSON",
      minimum: 0,
      maximum: 100,
      fallback: 0
    }),
    faultSeed: IntegerFlag.withDefault("fault-seed", { command: "serve-sim", description: "Seed of the fault draws", minimum: 0, maximum: IntegerFlag.largest, fallback: 0 }),
    latencyMs: IntegerFlag.withDefault("latency-ms", {
      command: "serve-sim",
      description: "Milliseconds each POST request waits before it is answered, as a model server's per-call latency",
      minimum: 0,
      maximum: 600_000,
      fallback: 0
    }),
    unmodelled: Flag.Literals("unmodelled", ["refuse", "answer"] as const).pipe(
      Flag.withDescription(
        "A question the world cannot model (neither its own nor a word problem it reads): refuse (a 400 saying why, as stepwise solve does) or answer it with a short wrong answer (default refuse)"
      ),
      Flag.withDefault("refuse" as const)
    )
  },
  (flags) =>
    Effect.gen(function* () {
      const [port, seed, faultPercent, faultSeed, latencyMs] = [
        yield* flags.port,
        yield* flags.seed,
        yield* flags.faultPercent,
        yield* flags.faultSeed,
        yield* flags.latencyMs
      ]
      const preset = Presets.all[flags.preset]
      if (preset === undefined)
        return yield* Effect.fail(
          new InvalidOptions({ subject: "serve-sim", field: "preset", detail: `must be one of ${Object.keys(Presets.all).join(", ")}, got "${flags.preset}"` })
        )
      const world = yield* World.makeEffect(preset, { seed, unrecognized: flags.unmodelled === "refuse" ? "fail" : "answer" })
      const address = yield* Server.serve(world, {
        port,
        ...(faultPercent === 0 ? {} : { faults: faultsOf(faultPercent, faultSeed) }),
        ...(latencyMs === 0 ? {} : { latencyMillis: latencyMs })
      })
      const faulty = faultPercent === 0 ? "" : `, ${faultPercent}% faults`
      const slow = latencyMs === 0 ? "" : `, ${latencyMs} ms per call`
      yield* Console.log(`serving ${World.modelName} (${flags.preset}, seed ${seed}${faulty}${slow}) at ${address.url}/v1 — Ctrl-C to stop`)
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Serve the simulator as an OpenAI-compatible server on 127.0.0.1"))
