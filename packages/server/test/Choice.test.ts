import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { Strategies } from "@stepwise/search"
import { Choice } from "../src/index.js"

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
    expect(read).toEqual(Result.succeed({ strategy: "beam-search", options: { beams: 4 }, budget: { totalTokens: 100, cost: 2.5, deadlineMillis: 5000 } }))
  })

  it.each([
    ["x-stepwise-budget-total-tokens", "1.5"],
    ["x-stepwise-budget-total-tokens", "-1"],
    ["x-stepwise-budget-total-tokens", ""],
    ["x-stepwise-budget-cost", "NaN"],
    ["x-stepwise-deadline-ms", "0"],
    ["x-stepwise-options", "[1]"],
    ["x-stepwise-options", "{"],
    ["x-stepwise-budjet-cost", "1"]
  ])("refuses %s: %j with a 400 naming the header", (name, value) => {
    const read = Choice.fromHeaders({ [name]: value })
    expect(Result.isFailure(read)).toBe(true)
    if (Result.isFailure(read)) expect(read.failure).toMatchObject({ status: 400, param: name })
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
