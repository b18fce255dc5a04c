#!/usr/bin/env node
// `pnpm stepwise` and `pnpm bench` in a checkout: the `stepwise` command bundled from the TypeScript sources
// (scripts/bundleSources.mjs) and run from that bundle. The bundle is kept under node_modules/.cache/stepwise-cli,
// named by a fingerprint of the sources (each file's path, size and modification time under packages/*/src, the
// packages' package.json and tsconfig files, the root tsconfig, the lockfile and the bundler itself), and made
// again whenever that changes: a command starts in well under a second instead of the seconds tsx spends compiling
// the sources on every start. With `--plugin` it runs from the sources under tsx instead (below).
import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { bundleSources } from "./bundleSources.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

// With `--plugin`, the command runs from its TypeScript sources under tsx instead: a plugin imports the workspace's
// packages (their sources, in a checkout) and may itself be TypeScript, and it must meet the same module instances
// as the command (a bundle holds copies of its own, whose registries and metering marks a plugin's entries would
// not share).
if (process.argv.includes("--plugin") || process.argv.some((argument) => argument.startsWith("--plugin="))) {
  const { register } = await import("tsx/esm/api")
  register()
  await import(pathToFileURL(join(root, "packages", "cli", "src", "bin.ts")).href)
} else {

  /** Every file under `folder`, recursively (sorted, for a stable fingerprint). */
  const filesUnder = (folder) =>
    readdirSync(folder, { withFileTypes: true })
      .sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0))
      .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(folder, entry.name)) : [join(folder, entry.name)]))

  const fingerprint = () => {
    const hash = createHash("sha256")
    const packages = join(root, "packages")
    const files = [join(root, "pnpm-lock.yaml"), join(root, "tsconfig.json"), fileURLToPath(new URL("./bundleSources.mjs", import.meta.url))]
    for (const name of readdirSync(packages).sort()) {
      const source = join(packages, name, "src")
      for (const file of ["package.json", "tsconfig.json"]) if (existsSync(join(packages, name, file))) files.push(join(packages, name, file))
      if (existsSync(source)) files.push(...filesUnder(source))
    }
    for (const file of files) {
      const stats = statSync(file, { throwIfNoEntry: false })
      hash.update(`${file}\0${stats?.size ?? -1}\0${stats?.mtimeMs ?? -1}\n`)
    }
    return hash.digest("hex").slice(0, 16)
  }

  const cache = join(root, "node_modules", ".cache", "stepwise-cli")
  const key = fingerprint()
  const folder = join(cache, key)
  if (!existsSync(join(folder, "stepwise.mjs"))) {
    // Built beside its final place and renamed into it, so a command started meanwhile never sees half a bundle.
    const building = `${folder}.${process.pid}.building`
    mkdirSync(cache, { recursive: true })
    try {
      await bundleSources({ entryPoints: { stepwise: join(root, "packages/cli/src/bin.ts") }, outdir: building })
    } catch {
      // esbuild has printed what failed, with file and line; its own stack trace would say nothing more.
      rmSync(building, { recursive: true, force: true })
      console.error("stepwise: the sources did not compile (see above)")
      process.exit(1)
    }
    try {
      renameSync(building, folder)
    } catch {
      rmSync(building, { recursive: true, force: true }) // another command put the same bundle there first
    }
    // Older bundles go; so does a build an interrupted command left behind (one still running is minutes younger).
    const hourAgo = Date.now() - 3_600_000
    for (const stale of readdirSync(cache))
      if (stale !== key && (!stale.endsWith(".building") || statSync(join(cache, stale)).mtimeMs < hourAgo)) rmSync(join(cache, stale), { recursive: true, force: true })
  }
  await import(pathToFileURL(join(folder, "stepwise.mjs")).href)
}
