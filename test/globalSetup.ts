import { mkdtemp, readFile, rm } from "node:fs/promises"
import { builtinModules } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { build, type Plugin } from "esbuild"
import type { TestProject } from "vitest/node"

// Tests that run a program in a child process (the `stepwise` command, the runner's kill-and-resume fixture) run
// it as one ES module bundled here from the workspace sources, once per test run: under tsx every child spent
// 4–14 s compiling the sources again before it did anything. The bundle is the same TypeScript sources, compiled by
// the same esbuild that tsx uses; third-party packages stay outside it, imported from their installed files, and
// every source module keeps its own `import.meta.url`, so paths read beside a module (the recipes, package
// versions, the view page's scripts) are the ones a run from the sources reads.

declare module "vitest" {
  export interface ProvidedContext {
    /** The `stepwise` command (packages/cli/src/bin.ts) as one ES module: `node <path> …`. */
    readonly stepwiseCommand: string
    /** The runner's child-process fixture (packages/harness/test/fixtures/runRecipe.ts) as one ES module. */
    readonly runRecipeScript: string
  }
}

const root = fileURLToPath(new URL("..", import.meta.url))

const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])

/** Bundles the workspace's own sources; imports of installed packages and Node built-ins stay imports. */
const workspaceSources: Plugin = {
  name: "workspace-sources",
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === "resolving") return undefined
      if (builtins.has(args.path)) return { path: args.path, external: true }
      const resolved = await context.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "resolving" })
      // An optional package that is not installed stays a bare import and fails at run time, as from the sources.
      if (resolved.errors.length > 0) return { path: args.path, external: true }
      // Workspace packages resolve to their TypeScript sources (packages/*/src) and are bundled; installed
      // packages are imported by their resolved file, so they load as one copy, exactly as from the sources.
      return resolved.path.includes("/node_modules/") ? { path: pathToFileURL(resolved.path).href, external: true } : { path: resolved.path }
    })
    context.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, "utf8")).replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
      loader: "ts"
    }))
  }
}

/** Bundles both programs into `folder`, replacing what an earlier build wrote there. */
const bundle = async (folder: string): Promise<void> => {
  await build({
    entryPoints: { stepwise: join(root, "packages/cli/src/bin.ts"), runRecipe: join(root, "packages/harness/test/fixtures/runRecipe.ts") },
    outdir: folder,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    // The command's lazily imported subcommands stay separate chunks, loaded when used, as from the sources.
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    plugins: [workspaceSources]
  })
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = await mkdtemp(join(tmpdir(), "stepwise-test-bundles-"))
  await bundle(folder)
  // In watch mode the sources change between reruns: bundle them again before each.
  project.onTestsRerun(() => bundle(folder))
  project.provide("stepwiseCommand", join(folder, "stepwise.mjs"))
  project.provide("runRecipeScript", join(folder, "runRecipe.mjs"))
  return () => rm(folder, { recursive: true, force: true })
}
