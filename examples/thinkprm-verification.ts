/**
 * ThinkPRM-style generative verification: the policy model itself writes a verification chain judging each
 * step, and P("yes") after "Is the solution correct? " becomes the score. Here it checks one right and one wrong
 * sampled solution of a simulated problem, with four chains averaged; its tokens are metered as verifier tokens.
 *
 *   npx tsx examples/thinkprm-verification.ts
 */
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { Step, Trajectory } from "@stepwise/core"
import { Presets, World } from "@stepwise/simulator"
import { ThinkPrm } from "@stepwise/verifiers"

export const program = Effect.gen(function* () {
  const world = World.make(Presets.calibrated, { seed: 7 })
  const [problem] = World.problems(world, { count: 1, seed: 12, difficulty: 2 })
  if (problem === undefined) return yield* Effect.die("no problem generated")

  // Sample eight solutions from the policy and keep one right and one wrong one.
  const samples = yield* world.languageModel.generate({ messages: problem.messages, n: 8, maxTokens: 1024, temperature: 1, seed: 5 })
  const right = samples.find((sample) => World.isCorrect(world, problem, sample.text))
  const wrong = samples.find((sample) => !World.isCorrect(world, problem, sample.text))
  if (right === undefined || wrong === undefined) return yield* Effect.die("eight samples were all right or all wrong")

  const verifier = yield* ThinkPrm.make({ languageModel: world.languageModel, chains: 4, temperature: 0.4, seed: 1 })
  const accountant = yield* Accountant.make({ verifierCalls: 10 }, "verification")

  const scores: Record<string, ReadonlyArray<number>> = {}
  for (const [name, sample] of [["right", right], ["wrong", wrong]] as const) {
    const steps = sample.text.split("\n\n").map((text) => Step.make({ text }))
    const trajectory = Trajectory.fromSteps(steps, { finished: true })
    const verification = yield* Accountant.provide(accountant)(verifier.verify(problem, trajectory))
    scores[name] = verification.stepScores
    console.log(`${name} solution: step scores ${verification.stepScores.map((score) => score.toFixed(2)).join(" ")}`)
    console.log(`  first chain (${verification.chains[0]?.decisionSource}): ${verification.chains[0]?.text.slice(0, 160).replace(/\n/g, " ")}…`)
  }
  const spent = (yield* accountant.snapshot).spent
  console.log(`spent: ${spent.verifierCalls} verifier calls, ${spent.verifierTokens} verifier tokens, ${spent.totalTokens} policy tokens`)
  return { scores, spent }
})

if (import.meta.url === `file://${process.argv[1]}`) Effect.runPromise(program).catch((error) => {
  console.error(String(error))
  process.exit(1)
})
