// Bundles programs of this workspace from their TypeScript sources into ES modules, with the same esbuild that tsx
// uses: the workspace's own sources (packages/*/src) are compiled into the bundle, installed packages and Node
// built-ins stay imports (so each loads as one copy, from its installed files, exactly as from the sources), and
// every source module keeps its own `import.meta.url`, so paths read beside a module (the CLI's recipes, package
// versions, the view page's scripts) are the ones a run from the sources reads. Lazily imported modules (the CLI's
// subcommands) stay separate chunks, loaded when used. Used by the `pnpm stepwise` launcher and by the tests that
// run a program in a child process.
import { readFile } from "node:fs/promises"
import { builtinModules } from "node:module"
import { pathToFileURL } from "node:url"
import { build } from "esbuild"

const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])

/** @type {import("esbuild").Plugin} */
const workspaceSources = {
  name: "workspace-sources",
  setup(context) {
    context.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === "resolving") return undefined
      if (builtins.has(args.path)) return { path: args.path, external: true }
      const resolved = await context.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "resolving" })
      // An optional package that is not installed stays a bare import and fails at run time, as from the sources.
      if (resolved.errors.length > 0) return { path: args.path, external: true }
      // Workspace packages resolve to their TypeScript sources (packages/*/src) and are bundled; installed
      // packages are imported by their resolved file.
      return resolved.path.includes("/node_modules/") ? { path: pathToFileURL(resolved.path).href, external: true } : { path: resolved.path }
    })
    context.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, "utf8")).replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)),
      loader: "ts"
    }))
  }
}

/**
 * Bundles `entryPoints` (output name → source file) into `outdir` as `<name>.mjs` plus shared chunks.
 *
 * @param {{ readonly entryPoints: Record<string, string>, readonly outdir: string }} options
 * @returns {Promise<void>}
 */
export const bundleSources = async ({ entryPoints, outdir }) => {
  await build({
    entryPoints,
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    plugins: [workspaceSources]
  })
}
