import { Effect } from "effect"
import type { Scope } from "effect"
import { Accountant } from "@stepwise/accountant"
import { Problem, ProcessRewardModel, Step, Trajectory } from "@stepwise/core"
import * as TestCase from "./TestCase.js"

/**
 * The verifier conformance suite: what every `ProcessRewardModel` must do, as named test cases — one score per step
 * in [0, 1], none for an empty trajectory, metered (one verifier call per score, or the stated number, and never
 * policy tokens), stopped by its budget with `BudgetExhausted`, typed errors, and reproducible where claimed.
 *
 * @example
 * Vitest.register({ describe, it }, "my verifier", Verifier.cases({ name: "mine", make: Mine.make(options) }))
 */
export interface Subject {
  readonly name: string
  /** Makes a fresh verifier for each case (scoped). */
  readonly make: Effect.Effect<ProcessRewardModel.Service, unknown, Scope.Scope>
  /** The problem scored (default: an arithmetic question). */
  readonly problem?: Problem.Problem
  /** Trajectories of that problem, with at least one step each (default: a right and a wrong solution). */
  readonly trajectories?: ReadonlyArray<Trajectory.Trajectory>
  /** Verifier calls one score makes (default 1; an ensemble of m members makes m). */
  readonly callsPerScore?: number
  /** True when scoring the same trajectory twice gives the same scores (default false). */
  readonly deterministic?: boolean
  /** A verifier of the same kind whose scoring fails (its model unreachable): it must fail with `VerifierError`. */
  readonly failing?: Effect.Effect<ProcessRewardModel.Service, unknown, Scope.Scope>
}

const defaultProblem = Problem.make({ id: "conformance", question: "What is 2 + 3 * 4?", reference: "14" })

const steps = (texts: ReadonlyArray<string>) => Trajectory.fromSteps(texts.map((text) => Step.make({ text })))

const defaultTrajectories = [
  steps(["3 * 4 = 12", "2 + 12 = 14", "The answer is \\boxed{14}."]),
  steps(["2 + 3 = 5", "5 * 4 = 20", "The answer is \\boxed{20}."])
]

/** The suite's cases for a verifier. */
export const cases = (subject: Subject): ReadonlyArray<TestCase.TestCase> => {
  const suite = `verifier ${subject.name}`
  const check = (holds: boolean, detail: string) => TestCase.check(suite, holds, detail)
  const problem = subject.problem ?? defaultProblem
  const trajectories = subject.trajectories ?? defaultTrajectories
  const callsPerScore = subject.callsPerScore ?? 1
  const make = (name: string, body: (verifier: ProcessRewardModel.Service) => Effect.Effect<void, unknown, Scope.Scope>) =>
    TestCase.make(suite, name, () => Effect.flatMap(subject.make, body))

  const all: Array<TestCase.TestCase> = [
    make("is built through ProcessRewardModel.make or wrap (its calls are metered)", (verifier) =>
      check(ProcessRewardModel.isMetered(verifier), "the service did not come from ProcessRewardModel.make or wrap")
    ),

    make("gives one score per step, each in [0, 1]", (verifier) =>
      Effect.gen(function* () {
        for (const trajectory of trajectories) {
          const scoring = yield* verifier.score(problem, trajectory)
          yield* check(scoring.stepScores.length === trajectory.length, `${scoring.stepScores.length} scores for ${trajectory.length} steps`)
          yield* check(scoring.stepScores.every((score) => score >= 0 && score <= 1), `scores ${JSON.stringify(scoring.stepScores)} not all in [0, 1]`)
        }
      })
    ),

    make("gives no score to an empty trajectory", (verifier) =>
      Effect.gen(function* () {
        const scoring = yield* verifier.score(problem, Trajectory.empty)
        yield* check(scoring.stepScores.length === 0, `${scoring.stepScores.length} scores for no steps`)
      })
    ),

    make(`is metered: ${callsPerScore} verifier call${callsPerScore === 1 ? "" : "s"} per score, verifier tokens only`, (verifier) =>
      Effect.gen(function* () {
        const accountant = yield* Accountant.make({})
        for (const trajectory of trajectories) yield* Accountant.provide(accountant)(verifier.score(problem, trajectory))
        const snapshot = yield* accountant.snapshot
        yield* check(
          snapshot.spent.verifierCalls === callsPerScore * trajectories.length,
          `${trajectories.length} scores made ${snapshot.spent.verifierCalls} verifier calls, expected ${callsPerScore * trajectories.length}`
        )
        yield* check(snapshot.spent.totalTokens === 0, `a verifier spent ${snapshot.spent.totalTokens} policy tokens`)
        yield* check(Number.isFinite(snapshot.spent.verifierTokens) && snapshot.spent.verifierTokens >= 0, `verifier tokens ${snapshot.spent.verifierTokens}`)
        yield* check(snapshot.reserved.verifierCalls === 0 && snapshot.reserved.verifierTokens === 0, `still reserved: ${JSON.stringify(snapshot.reserved)}`)
      })
    ),

    make("stops at its budget with BudgetExhausted, spending nothing past it", (verifier) =>
      Effect.gen(function* () {
        const accountant = yield* Accountant.make({ verifierCalls: 0 })
        const [trajectory] = trajectories
        if (trajectory === undefined) return
        const error = yield* Effect.flip(Accountant.provide(accountant)(verifier.score(problem, trajectory)))
        yield* check(error._tag === "BudgetExhausted", `with no verifier calls left, failed with ${error._tag}: ${error.message}`)
        const snapshot = yield* accountant.snapshot
        yield* check(snapshot.spent.verifierCalls === 0 && snapshot.spent.verifierTokens === 0, `spent ${JSON.stringify(snapshot.spent)}`)
      })
    )
  ]

  if (subject.deterministic === true)
    all.push(
      make("gives the same scores to the same trajectory", (verifier) =>
        Effect.gen(function* () {
          for (const trajectory of trajectories) {
            const first = yield* verifier.score(problem, trajectory)
            const second = yield* verifier.score(problem, trajectory)
            yield* check(JSON.stringify(first.stepScores) === JSON.stringify(second.stepScores), `${JSON.stringify(first.stepScores)} then ${JSON.stringify(second.stepScores)}`)
          }
        })
      )
    )

  const failing = subject.failing
  if (failing !== undefined)
    all.push(
      TestCase.make(suite, "fails with VerifierError when its model fails (never a defect)", () =>
        Effect.gen(function* () {
          const verifier = yield* failing
          const [trajectory] = trajectories
          if (trajectory === undefined) return
          const error = yield* Effect.flip(verifier.score(problem, trajectory))
          yield* check(error._tag === "VerifierError", `failed with ${error._tag}: ${error.message}`)
        })
      )
    )
  return all
}
