/**
 * A benchmark from a recipe, through the Promise API: three strategies at two equal budgets on a simulated
 * world, with eFLOPs from a model shape, printed as a table. Results go to a JSON Lines file; a rerun resumes.
 *
 *   npx tsx examples/benchmark-recipe.ts [results-file]
 *   (the same recipe runs from the command line: pnpm stepwise bench examples/recipe.json)
 */
import { fileURLToPath } from "node:url"
import { bench } from "stepwise-decoding"

export const main = async (results = "results/example.jsonl") => {
  const { outcome, report } = await bench({ recipe: fileURLToPath(new URL("recipe.json", import.meta.url)), results })
  console.log(report.terminal)
  console.log(`${outcome.ran} runs now, ${outcome.skipped} resumed; results in ${results}`)
  return { outcome, report }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv[2]).catch((error) => {
  console.error(String(error))
  process.exit(1)
})
