import { execFile } from "node:child_process"
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, inject, it } from "vitest"

// `pnpm stepwise` / `pnpm bench` run scripts/stepwise.mjs: the command bundled from the sources, cached by a
// fingerprint of them, and made again when they change.
const root = fileURLToPath(new URL("..", import.meta.url))
const launcher = join(root, "scripts", "stepwise.mjs")
const cache = join(root, "node_modules", ".cache", "stepwise-cli")
const run = promisify(execFile)
const bundles = () => (existsSync(cache) ? readdirSync(cache).filter((name) => !name.endsWith(".building")) : [])

describe("the pnpm stepwise launcher", () => {
  it("runs a TypeScript plugin, as the README's examples use it, from the sources under tsx", async () => {
    const listed = await run(process.execPath, [launcher, "list", "strategies", "--plugin", join(root, "examples", "third-party-strategy.ts")], { cwd: root })
    expect(listed.stdout).toContain("temperature-ladder")
    const solved = await run(
      process.execPath,
      [launcher, "solve", "What is 2 + 3?", "--plugin", join(root, "examples", "third-party-kinds.ts"), "--backend", "canned", "--verifier", "brevity", "--cost-model", "per-call"],
      { cwd: root }
    )
    expect(solved.stdout).toMatch(/answer: {3}5/)
    expect(solved.stdout).toMatch(/cost \d+ calls/)
  }, 120_000)

  it("prints what the command prints, keeps one cached bundle, and bundles again when a source changes", async () => {
    const expected = await run(process.execPath, [inject("stepwiseCommand"), "list", "strategies"], { cwd: root })
    expect(expected.stdout).toContain("best-of-n")
    const first = await run(process.execPath, [launcher, "list", "strategies"], { cwd: root })
    expect(first.stdout).toBe(expected.stdout)
    const [key] = bundles()
    expect(bundles()).toHaveLength(1)
    // A second start reuses the bundle.
    const built = statSync(join(cache, key!, "stepwise.mjs")).mtimeMs
    await run(process.execPath, [launcher, "list", "strategies"], { cwd: root })
    expect([bundles(), statSync(join(cache, key!, "stepwise.mjs")).mtimeMs]).toEqual([[key], built])
    // A source file touched: a new fingerprint, a new bundle, the old one removed.
    const source = join(root, "packages", "cli", "src", "bin.ts")
    const before = statSync(source)
    try {
      utimesSync(source, before.atime, new Date(before.mtimeMs + 1_000))
      const again = await run(process.execPath, [launcher, "list", "strategies"], { cwd: root })
      expect(again.stdout).toBe(expected.stdout)
      expect(bundles()).toHaveLength(1)
      expect(bundles()[0]).not.toBe(key)
    } finally {
      utimesSync(source, before.atime, before.mtime)
    }
  })
})
