import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Recipe } from "../src/index.js"

const minimal = {
  datasets: [{ kind: "simulator", count: 5 }],
  strategies: [{ kind: "best-of-n", options: { n: 4 } }],
  budgets: [{ label: "small", limits: { outputTokens: 1000 } }],
  backend: { kind: "simulator" }
}

const fails = (value: unknown) => Effect.runPromise(Effect.flip(Recipe.parse(value, "recipe.json")))

describe("Recipe", () => {
  it("fills defaults", async () => {
    const recipe = await Effect.runPromise(Recipe.parse(minimal))
    expect(recipe).toMatchObject({ name: "benchmark", seeds: [0], concurrency: 4, backend: { kind: "simulator" } })
    expect(recipe.datasets[0]).toMatchObject({ kind: "simulator", preset: "calibrated", seed: 1, count: 5 })
  })

  it("names the field of the first problem", async () => {
    expect(await fails({ ...minimal, budgets: [{ label: "x", limits: { outputTokens: -1 } }] })).toMatchObject({
      _tag: "RecipeError",
      field: "budgets.0.limits.outputTokens"
    })
    expect(await fails({ ...minimal, budgets: [{ label: "x", limits: { tokens: 5 } }] })).toMatchObject({ field: "budgets.0.limits.tokens" })
    expect(await fails({ ...minimal, datasets: [{ kind: "math500" }] })).toMatchObject({ field: "datasets.0.path" })
    expect(await fails({ ...minimal, datasets: [{ kind: "csv", path: "x" }] })).toMatchObject({ field: "datasets.0.kind" })
    expect(await fails({ ...minimal, datasets: [{ kind: "math500", path: "x", difficulties: [] }] })).toMatchObject({ field: "datasets.0.difficulties" })
    // Labels are single lines (a line break broke the Markdown and terminal tables); a sweep names each value once.
    expect(await fails({ ...minimal, strategies: [{ kind: "best-of-n", label: "two\nlines" }] })).toMatchObject({ field: "strategies.0.label" })
    expect(await fails({ ...minimal, budgets: [{ label: "tab\there", limits: {} }] })).toMatchObject({ field: "budgets.0.label" })
    expect(await fails({ ...minimal, strategies: [{ kind: "best-of-n", sweep: [4, 4] }] })).toMatchObject({ field: "strategies.0.sweep" })
    // A budget of 0 runs nothing: refused (a resource left out is unlimited).
    expect(await fails({ ...minimal, budgets: [{ label: "zero", limits: { totalTokens: 0 } }] })).toMatchObject({ field: "budgets.0.limits" })
    // A generated set large enough to exhaust memory is refused before anything is made.
    expect(await fails({ ...minimal, datasets: [{ kind: "simulator", count: 1e9 }] })).toMatchObject({ field: "datasets.0.count" })
    expect((await fails({ ...minimal, datasets: [{ kind: "simulater", count: 5 }] })).message).toContain(
      'field "datasets.0.kind" must be one of "math500", "gsm8k", "aime", "game24", "simulator", got "simulater" (did you mean "simulator"?)'
    )
    expect(await fails({ ...minimal, backend: { kind: "vllm", options: { url: "not a url", model: "m" } } })).toMatchObject({ field: "backend.options.url" })
    expect(await fails({ ...minimal, backend: { kind: "vllm" } })).toMatchObject({ field: "backend.options" })
    expect(await fails({ ...minimal, backend: { kind: "simulator", preset: "easy" } })).toMatchObject({ field: "backend.preset" })
    expect(await fails({ ...minimal, verifier: { kind: "think-prm", options: { chain: 2 } } })).toMatchObject({ field: "verifier.options.chain" })
    expect(await fails({ ...minimal, costModel: { kind: "price", options: { inputPerMillion: -1, outputPerMillion: 1 } } })).toMatchObject({
      field: "costModel.options.inputPerMillion"
    })
    expect(await fails({ ...minimal, strategies: [] })).toMatchObject({ field: "strategies" })
    const error = await fails({ ...minimal, seeds: [-1] })
    expect(error.message).toContain('recipe.json: field "seeds.0"')
  })

  it("refuses duplicate labels, a repeated seed and budget overrides that name no budget", async () => {
    expect(await fails({ ...minimal, strategies: [{ kind: "beam-search" }, { kind: "beam-search" }] })).toMatchObject({ field: "strategies.1.label" })
    expect(await fails({ ...minimal, budgets: [minimal.budgets[0], minimal.budgets[0]] })).toMatchObject({ field: "budgets.1.label" })
    const repeated = await fails({ ...minimal, seeds: [0, 3, 0] })
    expect(repeated).toMatchObject({ field: "seeds.2" })
    expect(repeated.message).toContain("repeats seed 0")
    expect(
      await fails({ ...minimal, strategies: [{ kind: "beam-search", budgetOptions: { large: { beams: 8 } } }] })
    ).toMatchObject({ field: "strategies.0.budgetOptions.large" })
    expect(await fails({ ...minimal, datasets: [{ kind: "simulator", count: 1 }, { kind: "simulator", count: 2 }] })).toMatchObject({
      field: "datasets.1.name"
    })
  })

  it("merges a budget's option overrides over the strategy's options", () => {
    const strategy = { kind: "beam-search", options: { beams: 4, width: 2 }, budgetOptions: { large: { beams: 16 } } }
    expect(Recipe.optionsAt(strategy, "large")).toEqual({ beams: 16, width: 2 })
    expect(Recipe.optionsAt(strategy, "small")).toEqual({ beams: 4, width: 2 })
    expect(Recipe.strategyLabel({ ...strategy, label: "wide beam" })).toBe("wide beam")
  })

  it("publishes the JSON Schema it validates with (recipe.schema.json is up to date)", () => {
    const file = fileURLToPath(new URL("../recipe.schema.json", import.meta.url))
    // Regenerate with: npx tsx packages/harness/scripts/writeRecipeSchema.ts
    expect(readFileSync(file, "utf8")).toBe(Recipe.jsonSchemaText())
    const schema = Recipe.jsonSchema() as { required: ReadonlyArray<string>; properties: Record<string, unknown> }
    expect(schema.required).toEqual(expect.arrayContaining(["datasets", "strategies", "budgets", "backend"]))
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["pool", "concurrency", "backend", "verifier", "costModel", "seeds"]))
  })

  it("loads the shipped simulator recipe", async () => {
    const recipe = await Effect.runPromise(Recipe.load(fileURLToPath(new URL("../recipes/simulator.json", import.meta.url))))
    expect(recipe.strategies.map(Recipe.strategyLabel)).toEqual(expect.arrayContaining(["best-of-n", "beam-search", "particle-filtering", "a-star"]))
    expect(recipe.budgets).toHaveLength(3)
    const missing = await Effect.runPromise(Effect.flip(Recipe.load("/nowhere/recipe.json")))
    expect(missing.detail).toContain("cannot be read")
  })
})
