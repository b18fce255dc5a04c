import { fileURLToPath } from "node:url"

/** The recipe `stepwise bench` runs when none is given: four strategies at three equal budgets on the simulator. */
export const defaultRecipe: string = fileURLToPath(new URL("../recipes/default.json", import.meta.url))

/** Where a recipe's results go by default: `results/<recipe name>.jsonl` under the working folder. */
export const resultsFileOf = (recipeName: string): string => `results/${recipeName}.jsonl`

/** Where a recipe's report goes by default: `reports/<recipe name>.html` (and `.md`) under the working folder. */
export const reportFilesOf = (recipeName: string): { readonly html: string; readonly markdown: string } => ({
  html: `reports/${recipeName}.html`,
  markdown: `reports/${recipeName}.md`
})
