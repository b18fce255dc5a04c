import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { TestProject } from "vitest/node"
import { bundleSources } from "../scripts/bundleSources.mjs"

// Tests that run a program in a child process (the `stepwise` command, the runner's kill-and-resume fixture) run
// it as one ES module bundled from the workspace sources by scripts/bundleSources.mjs (as `pnpm stepwise` runs), once
// per test run: under tsx every child spent 4–14 s compiling the sources again before it did anything.

declare module "vitest" {
  export interface ProvidedContext {
    /** The `stepwise` command (packages/cli/src/bin.ts) as one ES module: `node <path> …`. */
    readonly stepwiseCommand: string
    /** The runner's child-process fixture (packages/harness/test/fixtures/runRecipe.ts) as one ES module. */
    readonly runRecipeScript: string
  }
}

const root = fileURLToPath(new URL("..", import.meta.url))

/** Bundles both programs into `folder`, replacing what an earlier build wrote there. */
const bundle = (folder: string): Promise<void> =>
  bundleSources({
    entryPoints: { stepwise: join(root, "packages/cli/src/bin.ts"), runRecipe: join(root, "packages/harness/test/fixtures/runRecipe.ts") },
    outdir: folder
  })

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = await mkdtemp(join(tmpdir(), "stepwise-test-bundles-"))
  await bundle(folder)
  // In watch mode the sources change between reruns: bundle them again before each.
  project.onTestsRerun(() => bundle(folder))
  project.provide("stepwiseCommand", join(folder, "stepwise.mjs"))
  project.provide("runRecipeScript", join(folder, "runRecipe.mjs"))
  return () => rm(folder, { recursive: true, force: true })
}
