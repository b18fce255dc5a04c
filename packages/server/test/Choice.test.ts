import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { Strategies } from "@stepwise/search"
import { Choice, Limits } from "../src/index.js"

describe("Choice.fromHeaders", () => {
  it("reads every X-Stepwise header and ignores others", () => {
    const read = Choice.fromHeaders({
      "x-stepwise-strategy": "beam-search",
      "x-stepwise-options": '{"beams":4}',
      "x-stepwise-budget-total-tokens": "100",
      "x-stepwise-budget-cost": "2.5",
      "x-stepwise-deadline-ms": "5000",
      authorization: "Bearer x"
    })
    expect(read).toEqual(
      Result.succeed({
        strategy: "beam-search",
        options: { beams: 4 },
        budget: { totalTokens: 100, cost: 2.5, deadlineMillis: 5000 },
        budgetFrom: { totalTokens: "x-stepwise-budget-total-tokens", cost: "x-stepwise-budget-cost", deadlineMillis: "x-stepwise-deadline-ms" }
      })
    )
  })

  it.each([
    ["x-stepwise-budget-total-tokens", "1.5"],
    ["x-stepwise-budget-total-tokens", "-1"],
    ["x-stepwise-budget-total-tokens", ""],
    ["x-stepwise-budget-cost", "NaN"],
    ["x-stepwise-deadline-ms", "0"],
    ["x-stepwise-options", "[1]"],
    ["x-stepwise-options", "{"],
    ["x-stepwise-budjet-cost", "1"],
    ["x-stepwise-budget-total-tokens", "0x10"],
    ["x-stepwise-budget-total-tokens", "1e3"],
    ["x-stepwise-budget-total-tokens", "+5"],
    ["x-stepwise-budget-total-tokens", "5 tokens"],
    ["x-stepwise-budget-total-tokens", "1,000"],
    ["x-stepwise-budget-total-tokens", "99999999999999999999"],
    ["x-stepwise-budget-cost", "0x10"],
    ["x-stepwise-budget-cost", "1e2"],
    ["x-stepwise-budget-cost", ".5"],
    ["x-stepwise-budget-cost", "Infinity"],
    ["x-stepwise-budget-deadline-millis", "0"],
    ["x-stepwise-budget-deadline-millis", "0x10"],
    ["x-stepwise-deadline-ms", "1.5e3"]
  ])("refuses %s: %j with a 400 naming the header", (name, value) => {
    const read = Choice.fromHeaders({ [name]: value })
    expect(Result.isFailure(read)).toBe(true)
    if (Result.isFailure(read)) expect(read.failure).toMatchObject({ status: 400, param: name })
  })
})

describe("Choice.fromHeaders: the deadline", () => {
  it("reads X-Stepwise-Budget-Deadline-Millis, as every budget field's header, and X-Stepwise-Deadline-Ms", () => {
    expect(Choice.fromHeaders({ "x-stepwise-budget-deadline-millis": "5000" })).toMatchObject({ success: { budget: { deadlineMillis: 5000 } } })
    expect(Choice.fromHeaders({ "x-stepwise-deadline-ms": "5000" })).toMatchObject({ success: { budget: { deadlineMillis: 5000 } } })
    expect(Choice.fromHeaders({ "x-stepwise-deadline-ms": "5000", "x-stepwise-budget-deadline-millis": "5000" })).toMatchObject({ success: { budget: { deadlineMillis: 5000 } } })
  })

  it("refuses the two deadline headers when they disagree, naming one", () => {
    const read = Choice.fromHeaders({ "x-stepwise-deadline-ms": "5000", "x-stepwise-budget-deadline-millis": "6000" })
    expect(read).toMatchObject({ failure: { status: 400, param: expect.stringMatching(/deadline/), detail: expect.stringContaining("both set the deadline") } })
  })

  it("has a header for every budget field, named after it", () => {
    const named = Object.keys(Limits.budget.shape).map((key) => `x-stepwise-budget-${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`)
    for (const name of named) expect(Object.keys(Choice.headers)).toContain(name)
  })

  it("suggests the deadline header for a near miss", () => {
    const read = Choice.fromHeaders({ "x-stepwise-budget-deadline-ms": "5000" })
    expect(read).toMatchObject({ failure: { status: 400, detail: expect.stringContaining("did you mean x-stepwise-budget-deadline-millis?") } })
  })

  it("accepts plain decimal numbers", () => {
    expect(Choice.fromHeaders({ "x-stepwise-budget-total-tokens": "0", "x-stepwise-budget-cost": "2.25", "x-stepwise-budget-verifier-calls": " 12 " })).toMatchObject({
      success: { budget: { totalTokens: 0, cost: 2.25, verifierCalls: 12 } }
    })
  })
})

describe("Choice.parseModel", () => {
  const defaults = { strategies: Strategies.registry, model: "qwen2.5:7b" }
  it("reads the upstream's name alone, and <kind>:<model>, even when the model has a colon", () => {
    expect(Choice.parseModel("qwen2.5:7b", defaults)).toEqual(Result.succeed({ kind: undefined }))
    expect(Choice.parseModel("a-star:qwen2.5:7b", defaults)).toEqual(Result.succeed({ kind: "a-star" }))
  })
  it("answers another model with a 404 and an unknown kind with a 400 suggesting the nearest", () => {
    expect(Choice.parseModel("llama", defaults)).toMatchObject({ failure: { status: 404, param: "model" } })
    expect(Choice.parseModel("beam-serch:qwen2.5:7b", defaults)).toMatchObject({ failure: { status: 400, param: "model", detail: expect.stringContaining('did you mean "beam-search"') } })
  })
})
