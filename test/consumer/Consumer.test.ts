/**
 * The consumer test: the packages as a user outside this repository gets them. Every publishable package is packed
 * (`pnpm pack`, which builds it first), the tarballs are installed with npm into a fresh temporary project, and
 * that project (1) runs a plain ESM JavaScript file calling `solve`, (2) typechecks a strict `nodenext` TypeScript
 * file with `skipLibCheck: false`, and (3) runs the installed `stepwise` command.
 *
 * It needs the npm registry (for the packages' own dependencies), so it is not part of `pnpm test`: run it with
 * `pnpm test:consumer` (CI runs it after `pnpm test`).
 */
import { execFile } from "node:child_process"
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Presets, solve, World } from "stepwise-decoding"

const exec = promisify(execFile)
const repository = fileURLToPath(new URL("../..", import.meta.url))
const fixtures = fileURLToPath(new URL("./project", import.meta.url))

/** The effect versions the consumer project is checked against: the lowest of the peer range and the newest 4.x. */
const effectLowest = "4.0.6"
const effectNewest = "4.1.0"

let folder = ""
let project = ""

/** Runs a command; resolves with its exit code and output instead of throwing, so a failure shows what it printed. */
const run = async (command: string, args: ReadonlyArray<string>, cwd: string) => {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd, timeout: 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1" } })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof failed.code === "number" ? failed.code : 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? String(error) }
  }
}

/** Like `run`, but a non-zero exit fails the test with the command's output. */
const runOk = async (command: string, args: ReadonlyArray<string>, cwd: string) => {
  const result = await run(command, args, cwd)
  if (result.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.code}\n${result.stdout}\n${result.stderr}`)
  return result
}

const folderSize = async (path: string): Promise<number> => {
  let total = 0
  for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}

const exists = (path: string) => stat(path).then(() => true, () => false)

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "stepwise-consumer-"))
  const tarballs = join(folder, "tarballs")
  project = join(folder, "app")
  // Packing runs each package's `prepack` (an incremental `tsc -b`), so the tarballs hold a fresh build.
  await runOk("pnpm", ["--recursive", "--filter", "./packages/*", "--filter", "!@stepwise/testing", "--filter", "!@stepwise/testing-base", "pack", "--pack-destination", tarballs], repository)
  const packed = (await readdir(tarballs)).filter((name) => name.endsWith(".tgz"))
  const nameOf = (file: string) => (file.startsWith("stepwise-decoding") ? "stepwise-decoding" : `@stepwise/${file.replace(/^stepwise-/, "").replace(/-\d.*$/, "")}`)
  const local = Object.fromEntries(packed.map((file) => [nameOf(file), `file:../tarballs/${file}`]))
  await mkdir(project)
  await writeFile(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "stepwise-consumer",
        private: true,
        type: "module",
        dependencies: { ...local, effect: effectLowest, zod: "4.6.7" },
        devDependencies: { typescript: "5.9.3", "@types/node": "20.19.43" },
        // The packages depend on one another by version; these point those versions at the local tarballs.
        overrides: local
      },
      null,
      2
    )
  )
  for (const file of ["app.mjs", "app.ts", "tsconfig.json"]) await copyFile(join(fixtures, file), join(project, file))
  await runOk("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], project)
}, 900_000)

afterAll(async () => {
  if (folder !== "") await rm(folder, { recursive: true, force: true })
})

describe("the packed packages in a fresh npm project", () => {
  it("installs without node-llama-cpp or any of its GPU builds (an optional peer)", async () => {
    const modules = join(project, "node_modules")
    expect(await exists(join(modules, "stepwise-decoding", "dist", "index.js"))).toBe(true)
    expect(await exists(join(modules, "node-llama-cpp"))).toBe(false)
    expect(await exists(join(modules, "@node-llama-cpp"))).toBe(false)
    const manifest = JSON.parse(await readFile(join(modules, "@stepwise", "core", "package.json"), "utf8")) as Record<string, unknown>
    expect(manifest["exports"]).toEqual({ ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } })
    expect(manifest["peerDependencies"]).toEqual({ effect: "^4.0.6" })
    console.log(`consumer node_modules: ${((await folderSize(modules)) / 2 ** 20).toFixed(0)} MiB`)
  })

  it("runs a plain ESM JavaScript file calling solve, with the same result as the sources", async () => {
    const { stdout } = await runOk(process.execPath, ["app.mjs"], project)
    const installed = JSON.parse(stdout.trim()) as { outcome: string; answer: string | null; spend: Record<string, unknown> }
    const [problem] = World.problems(World.make(Presets.calibrated), { count: 1, seed: 3 })
    if (problem === undefined) throw new Error("the simulator generated no problem")
    const fromSources = await solve({ problem, strategy: { kind: "best-of-n", options: { n: 8, seed: 1 } }, budget: { totalTokens: 6000 } })
    expect(installed.outcome).toBe("Answered")
    expect(installed.answer).toBe(fromSources.answer ?? null)
    expect(installed.spend).toEqual(JSON.parse(JSON.stringify(fromSources.spend)))
  })

  it("typechecks a strict nodenext TypeScript file with skipLibCheck false", async () => {
    const result = await run(process.execPath, [join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project)
    expect(result.stdout + result.stderr).toBe("")
    expect(result.code).toBe(0)
  })

  it("runs the installed stepwise command: --version, and solve on the simulator", async () => {
    const bin = join(project, "node_modules", ".bin", "stepwise")
    const version = await runOk(bin, ["--version"], project)
    expect(version.stdout.trim()).toBe("stepwise v0.1.0")
    const solved = await runOk(bin, ["solve", "--strategy", "best-of-n", "--options", '{"n":4}', "--budget", "3000", "--seed", "2"], project)
    expect(solved.stdout).toMatch(/answer: {3}\S/)
    expect(solved.stdout).toMatch(/spend: {4}\d+ input \+ \d+ output tokens/)
  })

  it("says how to load a TypeScript plugin, which Node imports only through a loader", async () => {
    await writeFile(join(project, "plugin.ts"), "export default { strategies: [] as Array<never> }\n")
    const result = await run(join(project, "node_modules", ".bin", "stepwise"), ["list", "strategies", "--plugin", "plugin.ts"], project)
    // Node 20 has no type stripping (a Node that strips types by default imports such a file itself, and it loads).
    if (Boolean((process.features as { typescript?: unknown }).typescript)) expect(result.code).toBe(0)
    else {
      expect(result.code).not.toBe(0)
      expect(result.stderr).toContain("--import tsx")
    }
  })

  it("says which package to install when a GGUF model is asked for without node-llama-cpp", async () => {
    const result = await run(join(project, "node_modules", ".bin", "stepwise"), ["solve", "What is 2 + 2?", "--gguf", "model.gguf"], project)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("node-llama-cpp is not installed")
    expect(result.stderr).toContain("npm install node-llama-cpp")
  })

  it(`the command's peer range stops at effect 4.1, which its @effect/platform-node 4.0.6 does not start on`, async () => {
    const manifest = JSON.parse(await readFile(join(project, "node_modules", "@stepwise", "cli", "package.json"), "utf8")) as Record<string, unknown>
    expect(manifest["peerDependencies"]).toEqual({ effect: ">=4.0.6 <4.1.0" })
    expect((manifest["dependencies"] as Record<string, string>)["@effect/platform-node"]).toBe("4.0.6")
  })

  it(`typechecks and runs the library against the newest effect of its peer range (${effectNewest})`, async () => {
    // npm warns that the command's range is passed (ERESOLVE overriding peer dependency); the library runs.
    await runOk("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `effect@${effectNewest}`], project)
    const typecheck = await run(process.execPath, [join(project, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], project)
    expect(typecheck.stdout + typecheck.stderr).toBe("")
    const { stdout } = await runOk(process.execPath, ["app.mjs"], project)
    expect(JSON.parse(stdout.trim())).toMatchObject({ outcome: "Answered" })
  })
})
