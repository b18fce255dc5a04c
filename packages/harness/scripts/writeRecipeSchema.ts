/** Writes packages/harness/recipe.schema.json from the zod recipe schema: `npx tsx packages/harness/scripts/writeRecipeSchema.ts`. */
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Recipe } from "../src/index.js"

const file = fileURLToPath(new URL("../recipe.schema.json", import.meta.url))
writeFileSync(file, Recipe.jsonSchemaText())
process.stdout.write(`wrote ${file}\n`)
