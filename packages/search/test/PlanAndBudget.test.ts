import { describe, expect, it } from "vitest"
import { Effect, Exit } from "effect"
import { Accountant } from "@stepwise/accountant"
import { Answer, SearchEvent, Usage } from "@stepwise/core"
import { BudgetSchedule, PlanAndBudget } from "@stepwise/search"
import { Planning, Presets, World } from "@stepwise/simulator"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 12, seed: 3 })

const solve = async (options: PlanAndBudget.Options, limits = { totalTokens: 200_000 }) => {
  const strategy = await Effect.runPromise(PlanAndBudget.make(options))
  return Promise.all(
    problems.map(async (problem) => {
      const events: Array<SearchEvent.SearchEvent> = []
      const { exit, snapshot } = await Effect.runPromise(
        Effect.gen(function* () {
          const accountant = yield* Accountant.make(limits)
          const exit = yield* strategy.run(problem).pipe(
            Effect.provide(World.layer(world)),
            Accountant.provide(accountant),
            SearchEvent.withListener((event) => events.push(event)),
            Effect.exit
          )
          return { exit, snapshot: yield* accountant.snapshot }
        })
      )
      if (!Exit.isSuccess(exit)) throw new Error(String(exit.cause))
      return { problem, result: exit.value, events, snapshot }
    })
  )
}

describe("Plan-and-Budget", () => {
  it("speaks the simulator's planning protocol", () => {
    const question = problems[0]!.question
    expect(PlanAndBudget.planPrompt(question)).toBe(Planning.planPrompt(question))
    const answered = [{ subQuestion: "Starting from 3 apples, Ann gets 2 more apples. How many apples are there now?", answer: "5" }]
    expect(PlanAndBudget.subQuestionPrompt(question, answered, "What now?")).toBe(Planning.subQuestionPrompt(question, answered, "What now?"))
    expect(PlanAndBudget.parsePlan("1. first\n2) second\nnot a line\n 3. third ")).toEqual(["first", "second", "third"])
    expect(PlanAndBudget.answerOf("so 3 + 4 = 7. So the answer is $\\boxed{7}$.")).toBe("7")
    expect(PlanAndBudget.answerOf("so 3 + 4 = 7\nthen 7 - 1 = 6")).toBe("then 7 - 1 = 6")
  })

  for (const schedule of BudgetSchedule.schedules)
    it(`plans, splits the budget by the ${schedule} schedule, and answers each sub-question within its allocation`, async () => {
      const tokenBudget = 160
      for (const { problem, result, events, snapshot } of await solve({ tokenBudget, schedule })) {
        const allocated = events.find(PlanAndBudget.budgetAllocated.is)
        expect(allocated, problem.id).toBeDefined()
        const { subQuestions, complexities, allocations } = allocated!.detail
        expect(subQuestions.length).toBeGreaterThan(0)
        expect(complexities).toEqual(subQuestions.map(PlanAndBudget.complexityOf))
        expect(allocations).toEqual(BudgetSchedule.split(schedule, tokenBudget, complexities))
        expect(allocations.reduce((sum, allocation) => sum + allocation, 0)).toBe(tokenBudget)
        // The tree: the plan, then one node per asked sub-question, each within its child budget.
        const [, plan, ...answers] = result.tree.nodes
        expect(PlanAndBudget.parsePlan(plan?.text ?? "").slice(0, 16)).toEqual(subQuestions)
        const asked = allocations.filter((allocation) => allocation >= 1)
        expect(answers).toHaveLength(asked.length)
        answers.forEach((node, index) => expect(node.usage.outputTokens ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(asked[index] ?? 0))
        // The answer is the last sub-answer's box; the spend is what the tree used.
        expect(result.answer).toBe(Answer.extractBoxed(answers.at(-1)?.text ?? ""))
        expect(Usage.totalTokens(result.usage)).toBe(snapshot.spent.totalTokens)
      }
    })

  it("answers the simulator's problems when the budget is ample, and cuts sub-answers when it is not", async () => {
    const ample = await solve({ tokenBudget: 4096, schedule: "uniform" })
    expect(ample.filter(({ result }) => result.answer !== undefined).length).toBeGreaterThanOrEqual(10)
    expect(ample.some(({ problem, result }) => World.isCorrect(world, problem, result.answer))).toBe(true)
    const tight = await solve({ tokenBudget: 40, schedule: "uniform" })
    const cut = tight.flatMap(({ result }) => result.tree.nodes.slice(2)).filter((node) => !Answer.hasBoxed(node.text))
    expect(cut.length).toBeGreaterThan(0)
  })

  it("gives an explicit no-answer when the budget cannot pay for the plan", async () => {
    for (const { result, snapshot } of await solve({ tokenBudget: 512 }, { totalTokens: 300 })) {
      expect(result.outcome).toMatchObject({ _tag: "NoAnswer", reason: "budget-exhausted" })
      expect(snapshot.spent.totalTokens).toBe(0)
    }
  })
})
