import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { Recipe, Registries } from "../src/index.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const skipped = new Set(["node_modules", ".git", "results", "reports", "test-results"])

/** Every recipe file in the repository: a JSON file with data sets, strategies and budgets. */
const recipeFiles = (folder: string): ReadonlyArray<string> =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return skipped.has(entry.name) || entry.name.startsWith(".") ? [] : recipeFiles(join(folder, entry.name))
    if (!entry.name.endsWith(".json")) return []
    const path = join(folder, entry.name)
    const value: unknown = JSON.parse(readFileSync(path, "utf8"))
    return typeof value === "object" && value !== null && "datasets" in value && "strategies" in value && "budgets" in value ? [path] : []
  })

// The published file itself, turned back into a validator: what an editor or another language would check with.
const published = z.fromJSONSchema(JSON.parse(readFileSync(join(root, "packages/harness/recipe.schema.json"), "utf8")) as Record<string, unknown>)

const files = recipeFiles(root)
const read = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>

describe("the generated recipe schema", () => {
  it("finds the repository's recipes", () => {
    expect(files.map((path) => path.slice(root.length))).toEqual(
      expect.arrayContaining(["packages/cli/recipes/default.json", "packages/harness/recipes/simulator.json", "examples/recipe.json"])
    )
  })

  it("has a recipe for every backend kind but the simulator, in recipes/servers, each naming its kind", () => {
    const servers = files.filter((path) => path.includes("/recipes/servers/"))
    const kinds = servers.map((path) => (read(path)["backend"] as { readonly kind: string }).kind).sort()
    expect(kinds).toEqual(Registries.builtIn.backends.kinds.filter((kind) => kind !== "simulator").sort())
  })

  for (const path of files)
    describe(path.slice(root.length), () => {
      const recipe = read(path)

      it("is valid for the published JSON Schema and for Recipe.parse", async () => {
        const checked = published.safeParse(recipe)
        expect(checked.success, checked.error?.message).toBe(true)
        await Effect.runPromise(Recipe.parse(recipe, path))
      })

      it("is refused with an unknown key at the top, in the backend's options and in a strategy's options", async () => {
        const backend = recipe["backend"] as { readonly kind: string; readonly options?: Record<string, unknown> }
        const strategies = recipe["strategies"] as ReadonlyArray<{ readonly kind: string; readonly options?: Record<string, unknown> }>
        const variants: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
          [{ ...recipe, concurrrency: 4 }, "concurrrency"],
          [{ ...recipe, backend: { ...backend, options: { ...backend.options, sed: 1 } } }, "backend.options.sed"],
          [{ ...recipe, strategies: [{ ...strategies[0], options: { ...strategies[0]?.options, widht: 2 } }, ...strategies.slice(1)] }, "strategies.0.options.widht"]
        ]
        for (const [variant, field] of variants) {
          expect(published.safeParse(variant).success).toBe(false)
          const error = await Effect.runPromise(Effect.flip(Recipe.parse(variant, path)))
          expect(error.field).toBe(field)
        }
      })
    })
})
