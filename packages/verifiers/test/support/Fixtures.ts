import { Problem, Step, Trajectory } from "@stepwise/core"

/** A small arithmetic problem. */
export const problem = Problem.make({ id: "p1", question: "What is (2 + 3) * 4 - 6?", reference: "14" })

/** A trajectory from step texts. */
export const trajectoryOf = (texts: ReadonlyArray<string>): Trajectory.Trajectory =>
  Trajectory.fromSteps(texts.map((text) => Step.make({ text })))

/** The right solution of `problem`. */
export const rightSteps = ["Step 1: 2 + 3 = 5", "Step 2: 5 * 4 = 20", "Step 3: 20 - 6 = 14. Therefore, the final answer is: $\\boxed{14}$."]

/** Number of property runs: `ci` under CI, `local` otherwise. */
export const runs = (ci: number, local: number): number => (process.env["CI"] ? ci : local)
