/**
 * Compose an A* decoder: best-first search over reasoning steps, guided by a PRM, under a token budget shared
 * by every branch, with a best-of-N fallback when A* finishes nothing. Runs on the embedded simulator.
 *
 *   npx tsx examples/compose-astar.ts
 */
import { Effect, Layer } from "effect"
import { Accountant } from "@stepwise/accountant"
import { SearchEvent, Trajectory } from "@stepwise/core"
import { AStar, BestOfN, Combinators } from "@stepwise/search"
import { Presets, World } from "@stepwise/simulator"

export const program = Effect.gen(function* () {
  const world = World.make(Presets.calibrated, { seed: 7 })
  const [problem] = World.problems(world, { count: 1, seed: 3, difficulty: 3 })
  if (problem === undefined) return yield* Effect.die("no problem generated")

  // Strategies are values: A* with 4 continuations per expansion and a depth path cost, falling back to best-of-8.
  const aStar = yield* AStar.make({ expansions: 4, pathCost: "depth", seed: 1 })
  const bestOfEight = yield* BestOfN.make({ n: 8, selection: "weighted", seed: 1 })
  const decoder = yield* Combinators.fallback([aStar, bestOfEight])

  let expansions = 0
  const result = yield* decoder.run(problem).pipe(
    SearchEvent.withListener((event) => {
      if (event._tag === "node-expand") expansions++
    }),
    Effect.provide(Layer.merge(World.layer(world), Accountant.layer({ totalTokens: 6_000, verifierCalls: 60 })))
  )

  console.log(`question: ${problem.question}`)
  console.log(`answer:   ${result.answer ?? `none (${result.outcome._tag === "NoAnswer" ? result.outcome.reason : ""})`}`)
  console.log(`correct:  ${World.isCorrect(world, problem, result.answer)}`)
  console.log(`spent:    ${result.spend.totalTokens} tokens, ${result.spend.verifierCalls} verifier calls, ${expansions} expansions`)
  if (result.best !== undefined) console.log(`\n${Trajectory.text(result.best)}`)
  return result
})

if (import.meta.url === `file://${process.argv[1]}`) Effect.runPromise(program).catch((error) => {
  console.error(String(error))
  process.exit(1)
})
