import { execFile } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { promisify } from "node:util"
import ts from "typescript"
import { afterAll, describe, expect, it, vi } from "vitest"

// Every TypeScript snippet in README.md and the package READMEs is a whole program: it is extracted, typechecked
// with the project's strict settings, and run (it must print what it shows). A snippet that needs something this
// machine does not have (a model server, a GGUF file) is preceded by `<!-- snippet: typecheck only: REASON -->` and
// is typechecked but not run.

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const run = promisify(execFile)
// Inside examples/ so the workspace packages resolve as they do for the examples; a dot folder, so the project's
// own typecheck does not include it.
const folder = join(root, "examples", ".snippets")

interface Snippet {
  readonly readme: string
  readonly line: number
  readonly code: string
  /** Why it is not run, when it is typechecked only. */
  readonly typecheckOnly: string | undefined
  readonly file: string
}

const readmes = [join(root, "README.md"), ...readdirSync(join(root, "packages")).map((name) => join(root, "packages", name, "README.md"))].filter(
  (path) => {
    try {
      readFileSync(path)
      return true
    } catch {
      return false
    }
  }
)

const snippets: ReadonlyArray<Snippet> = readmes.flatMap((readme) => {
  const text = readFileSync(readme, "utf8")
  const found: Array<Snippet> = []
  const pattern = /(?:<!-- snippet: typecheck only: ([^>]+?) -->\n)?^```(?:ts|typescript)\n([\s\S]*?)^```/gm
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const line = text.slice(0, match.index).split("\n").length
    const name = `${relative(root, readme).replace(/[/.]/g, "-")}-${line}.ts`
    found.push({ readme: relative(root, readme), line, code: match[2]!, typecheckOnly: match[1], file: join(folder, name) })
  }
  return found
})

rmSync(folder, { recursive: true, force: true })
mkdirSync(folder, { recursive: true })
// `export {}` makes each snippet a module (top-level await, its own scope).
for (const snippet of snippets) writeFileSync(snippet.file, `${snippet.code}\nexport {}\n`)
afterAll(() => rmSync(folder, { recursive: true, force: true }))

describe("README snippets", () => {
  it("are found in the READMEs (each one a whole program)", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(15)
    for (const snippet of snippets) expect(snippet.code, `${snippet.readme}:${snippet.line} has no import`).toMatch(/^import /m)
  })

  it("typecheck with the project's strict settings", () => {
    const configPath = join(root, "tsconfig.base.json")
    const config = ts.readConfigFile(configPath, ts.sys.readFile)
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
    const program = ts.createProgram(
      snippets.map((snippet) => snippet.file),
      { ...parsed.options, noEmit: true, noUnusedLocals: false }
    )
    // Only the snippets are checked (what they use from the workspace is checked as far as they use it); the
    // workspace's own sources are checked by `pnpm typecheck`, and checking them all again here took most of this
    // file's time. The same diagnostics as the whole program's, for the snippet files.
    const snippetFiles = program.getSourceFiles().filter((file) => file.fileName.includes(".snippets"))
    const diagnostics = [
      ...program.getConfigFileParsingDiagnostics(),
      ...program.getOptionsDiagnostics(),
      ...snippetFiles.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]),
      ...program.getGlobalDiagnostics()
    ]
    const problems = diagnostics
      .filter((diagnostic) => diagnostic.file === undefined || diagnostic.file.fileName.includes(".snippets"))
      .map((diagnostic) => {
        const where = diagnostic.file === undefined ? "" : `${relative(folder, diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}: `
        return `${where}${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`
      })
    expect(problems).toEqual([])
  }, 300_000)

  for (const snippet of snippets.filter((each) => each.typecheckOnly === undefined))
    it(`${snippet.readme}:${snippet.line} runs and prints what it shows`, async () => {
      const printed: Array<string> = []
      const spy = vi.spyOn(console, "log").mockImplementation((...parts: ReadonlyArray<unknown>) => void printed.push(parts.map(String).join(" ")))
      const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk))
        return true
      })
      const directory = process.cwd()
      process.chdir(root)
      try {
        await import(pathToFileURL(snippet.file).href)
      } finally {
        process.chdir(directory)
        spy.mockRestore()
        write.mockRestore()
      }
      expect(printed.join("").trim(), "the snippet printed nothing").not.toBe("")
    }, 120_000)

  it("say why a snippet is not run", () => {
    for (const snippet of snippets.filter((each) => each.typecheckOnly !== undefined)) expect(snippet.typecheckOnly!.trim().length).toBeGreaterThan(10)
  })
})

// The README says a script of one's own runs from the repository's root: the root depends on `stepwise-decoding`
// and `effect`, so both resolve there as Node resolves them (not through the test runner's resolver).
describe("a script at the repository root", () => {
  it("imports effect and stepwise-decoding and runs under tsx", async () => {
    const file = join(root, `.root-script-${process.pid}.ts`)
    writeFileSync(
      file,
      [
        'import { Effect } from "effect"',
        'import { Presets, World } from "stepwise-decoding"',
        "const [problem] = World.problems(World.make(Presets.calibrated), { count: 1, seed: 3 })",
        "console.log(JSON.stringify({ id: problem!.id, sum: Effect.runSync(Effect.succeed(2 + 3)) }))",
        "export {}",
        ""
      ].join("\n")
    )
    try {
      const { stdout } = await run(process.execPath, ["--import", "tsx", file], { cwd: root })
      const printed = JSON.parse(stdout.trim().split("\n").at(-1)!) as { readonly id: string; readonly sum: number }
      expect(printed.sum).toBe(5)
      expect(printed.id.length).toBeGreaterThan(0)
    } finally {
      rmSync(file, { force: true })
    }
  }, 120_000)
})
