import { Effect } from "effect"
import { describe, it } from "vitest"
import { Verifier as VerifierSuite, Vitest } from "@stepwise/conformance"
import { Problem, Trajectory, Unavailable } from "@stepwise/core"
import { Presets, Server, World } from "@stepwise/simulator"
import { Ensemble, ExactChecker, Judge, PoolingPrm, PrefixCache, ThinkPrm, TokenLogitPrm } from "@stepwise/verifiers"
import * as Samples from "./support/Samples.js"
import * as ScriptedModel from "./support/ScriptedModel.js"
import { problem, rightSteps, trajectoryOf } from "./support/Fixtures.js"

// Every built-in verifier runs the verifier conformance suite.

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 1, seed: 3 })
const worldSamples = Effect.runSync(Effect.orDie(Samples.solutions(world.languageModel, problems, 2)))
const worldProblem = problems[0]!
const worldTrajectories = worldSamples.map((sample) => sample.trajectory)
const arithmetic = [trajectoryOf(rightSteps), trajectoryOf(["Step 1: 2 + 3 = 6", "Step 2: 6 * 4 = 24", "Step 3: \\boxed{18}"])]

/** A model that is down: every call fails. */
const down = ScriptedModel.make(() => new Unavailable({ backend: "down", detail: "connection refused" }))
/** A model answering one token with its logprobs: "yes" (judges, ThinkPRM decisions) or "+" (token-logit PRMs). */
const answering = (token: string) =>
  ScriptedModel.make(() => ({ text: token, tokens: 1, logprobs: [{ token, logprob: -0.1, top: [{ token, logprob: -0.1 }, { token: token === "+" ? "-" : "no", logprob: -2.4 }] }] }))

const register = (title: string, subject: VerifierSuite.Subject) => Vitest.register({ describe, it }, title, VerifierSuite.cases(subject))

register("ExactChecker.arithmetic", { name: "exact-arithmetic", make: ExactChecker.arithmetic({ checkAnswer: true }), problem, trajectories: arithmetic, deterministic: true })

register("ExactChecker.game24", {
  name: "exact-game24",
  make: ExactChecker.game24(),
  problem: Problem.make({ id: "24", question: "Use 1 2 3 4 to make 24." }),
  trajectories: [trajectoryOf(["1 + 2 = 3 (left: 3 3 4)", "3 + 3 = 6 (left: 4 6)", "4 * 6 = 24"]), trajectoryOf(["1 + 2 = 4 (left: 3 4 4)"])],
  deterministic: true
})

register("ThinkPrm over the simulator's policy", {
  name: "think-prm",
  make: ThinkPrm.make({ languageModel: world.languageModel, chains: 2, seed: 1 }),
  problem: worldProblem,
  trajectories: worldTrajectories,
  deterministic: true,
  failing: ThinkPrm.make({ languageModel: down.service })
})

register("Judge over a model answering yes", {
  name: "judge",
  make: Judge.make({ languageModel: answering("yes").service }),
  problem,
  trajectories: arithmetic,
  deterministic: true,
  failing: Judge.make({ languageModel: down.service })
})

register("TokenLogitPrm over a model answering +", {
  name: "token-logit-prm",
  make: TokenLogitPrm.make({ languageModel: answering("+").service }),
  problem,
  trajectories: arithmetic,
  deterministic: true,
  failing: TokenLogitPrm.make({ languageModel: down.service })
})

register("PoolingPrm against the simulator's loopback /pooling", {
  name: "pooling-prm",
  make: Effect.flatMap(Server.serve(world, { port: 0 }), (address) => PoolingPrm.make({ url: address.url, model: World.modelName })),
  problem: worldProblem,
  trajectories: worldTrajectories,
  deterministic: true,
  failing: PoolingPrm.make({ url: "http://127.0.0.1:1", model: World.modelName, retries: 0 })
})

register("Ensemble of the exact checker and the world's PRM", {
  name: "ensemble",
  make: Ensemble.make({ members: [{ verifier: world.processRewardModel }, { verifier: Effect.runSync(ExactChecker.arithmetic()) }], combine: "min" }),
  problem: worldProblem,
  trajectories: worldTrajectories,
  callsPerScore: 2,
  deterministic: true
})

register("PrefixCache around the world's PRM", {
  name: "prefix-cache",
  make: PrefixCache.make(world.processRewardModel),
  problem: worldProblem,
  trajectories: worldTrajectories.filter((trajectory, index, all) => all.findIndex((other) => other.key === trajectory.key) === index),
  deterministic: true
})

// Keep the import of Trajectory honest: the world's samples are real trajectories of its problem.
if (!worldTrajectories.every((trajectory) => Trajectory.stepTexts(trajectory).length > 0)) throw new Error("empty sample")
