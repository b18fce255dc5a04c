import { Effect } from "effect"
import { describe, it } from "vitest"
import { Backend as BackendSuite, Verifier as VerifierSuite, Vitest } from "@stepwise/conformance"
import { Step, Trajectory } from "@stepwise/core"
import { Presets, World } from "@stepwise/simulator"
import { Backends, Registries } from "../src/index.js"

// The simulator, as the registered `simulator` backend and `simulator-prm` verifier, runs both conformance suites.

const world = World.make(Presets.calibrated)
const [problem] = World.problems(world, { count: 1, seed: 2 })
if (problem === undefined) throw new Error("the world made no problem")
const made = Backends.make({ backend: { kind: "simulator" } }, Registries.builtIn)
const solution = Effect.runSync(Effect.orDie(world.languageModel.generate({ messages: problem.messages, n: 2, maxTokens: 2048, temperature: 0.8, seed: 1 })))
const trajectories = solution.map((completion) =>
  Trajectory.fromSteps(completion.text.split("\n\n").filter((text) => text.length > 0).map((text) => Step.make({ text })))
)

Vitest.register(
  { describe, it },
  "the simulator backend (registered kind)",
  BackendSuite.cases({ name: "simulator", make: Effect.map(made, (backend) => backend.languageModel), messages: problem.messages, seeded: true, endsWithin: 2048 })
)

Vitest.register(
  { describe, it },
  "the simulator's PRM (registered kind simulator-prm)",
  VerifierSuite.cases({ name: "simulator-prm", make: Effect.map(made, (backend) => backend.processRewardModel), problem, trajectories, deterministic: true })
)
