import { execFile, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { beforeAll, describe, expect, inject, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { BadResponse } from "@stepwise/core"
import { Credentials } from "@stepwise/testing"
import * as Main from "../src/Main.js"
import * as Solve from "../src/Solve.js"

// The command from its sources, bundled once per test run by test/globalSetup.ts (a child starts in a second
// where tsx took 4–14 s); the built command is run by the consumer test.
// It imports installed packages by their full addresses, so it also runs from a folder outside the workspace.
const bin = inject("stepwiseCommand")
const execute = promisify(execFile)

/** Runs the real `stepwise` command; never throws, returns the exit code and output. */
const stepwise = async (args: ReadonlyArray<string>, cwd?: string) => {
  try {
    const { stdout, stderr } = await execute(process.execPath, [bin, ...args], { timeout: 120_000, env: { ...process.env, NO_COLOR: "1" }, ...(cwd === undefined ? {} : { cwd }) })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" }
  }
}

/** Runs the command line in this process, capturing what it prints. */
const runHere = async (args: ReadonlyArray<string>) => {
  const printed: Array<string> = []
  const capture = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.map(String).join(" "))
  const console = { ...globalThis.console, log: capture, error: capture, info: capture, warn: capture } as unknown as Console.Console
  const result = await Effect.runPromise(
    Effect.result(Main.run(args).pipe(Effect.provide(NodeServices.layer), Effect.provideService(Console.Console, console)))
  )
  return { result, printed: printed.join("\n") }
}

/** Runs the command line in this process and returns its failure, the failure's one line, and what it printed. */
const failureOf = async (args: ReadonlyArray<string>) => {
  const { result, printed } = await runHere(args)
  if (result._tag === "Success") throw new Error(`stepwise ${args.join(" ")} succeeded`)
  return { error: result.failure, line: Main.failureLine(result.failure), printed }
}

const commands = ["bench", "solve", "list", "report", "serve", "serve-sim"] as const

interface NumericFlag {
  readonly command: string
  readonly name: string
  readonly minimum: number
  readonly maximum: number
}

/** Every numeric flag of every command, read from each command's help, with the range the help states. */
let numericFlags: ReadonlyArray<NumericFlag> = []

beforeAll(async () => {
  const found: Array<NumericFlag> = []
  for (const command of commands) {
    const help = (await runHere([command, "--help"])).printed
    const flags = help.slice(help.indexOf("FLAGS"), help.indexOf("GLOBAL FLAGS"))
    for (const line of flags.split("\n")) {
      const flag = /^\s+--([\w-]+) (integer|number|float)\b/.exec(line)
      if (flag === null) continue
      const range = /\(an integer from (-?\d+) to (\d+)/.exec(line)
      // A numeric flag whose help states no range is not checked by IntegerFlag: fail on it.
      expect(range, `${command} --${flag[1]}: the help states no range`).not.toBeNull()
      found.push({ command, name: flag[1]!, minimum: Number(range![1]), maximum: Number(range![2]) })
    }
  }
  numericFlags = found
})

describe("numeric flags of every command", () => {
  it("are found in the help of bench, solve, serve and serve-sim (list and report have none)", () => {
    expect(numericFlags.map((flag) => `${flag.command} --${flag.name}`).sort()).toEqual([
      "bench --concurrency",
      "serve --concurrency",
      "serve --context-size",
      "serve --max-requests",
      "serve --port",
      "serve --verifier-max-tokens",
      "serve-sim --fault-percent",
      "serve-sim --fault-seed",
      "serve-sim --latency-ms",
      "serve-sim --port",
      "serve-sim --seed",
      "solve --budget",
      "solve --context-size",
      "solve --difficulty",
      "solve --seed",
      "solve --verifier-calls",
      "solve --verifier-max-tokens",
      "solve --view-port"
    ])
  })

  it("each fails in-process with one line naming the flag and its range, for every kind of bad value", async () => {
    for (const flag of numericFlags) {
      const outside = [flag.minimum - 1, ...(flag.maximum < Number.MAX_SAFE_INTEGER ? [flag.maximum + 1] : [])].map(String)
      for (const value of ["abc", "NaN", "1.5", "1e3", "", "Infinity", "99999999999999999999", ...outside]) {
        const { error, line, printed } = await failureOf([flag.command, `--${flag.name}`, value])
        expect(printed, "no help page, only the one line").toBe("")
        expect(error, `${flag.command} --${flag.name} ${value}`).toMatchObject({ _tag: "InvalidOptions", subject: flag.command, field: `--${flag.name}` })
        expect(line).toBe(
          `${flag.command}: option "--${flag.name}" must be an integer from ${flag.minimum} to ${flag.maximum}, got ${JSON.stringify(value)}`
        )
      }
    }
  })
})

describe("a flag given twice", () => {
  it("fails naming it, where the parser kept one of the two silently; --plugin may repeat, and what follows -- is no flag", async () => {
    for (const input of [
      ["serve", "--port", "0", "--port", "8095"],
      ["solve", "--budget=10", "--budget", "20"],
      ["bench", "--fresh", "--fresh"]
    ]) {
      const { error, printed } = await failureOf(input)
      expect(printed).toBe("")
      expect(error, input.join(" ")).toMatchObject({ _tag: "InvalidOptions", field: input[1]!.split("=")[0] })
      expect(Main.failureLine(error)).toContain("is given more than once")
    }
    expect(Main.repeatedFlag(["list", "strategies", "--plugin", "a.mjs", "--plugin", "b.mjs"])).toBeUndefined()
    expect(Main.repeatedFlag(["solve", "--budget", "1", "--", "--budget"])).toBeUndefined()
  })
})

describe("a command line the parser refuses", () => {
  it("shows the command's usage and the error with its suggestion, not the whole help; --help and no arguments still show it", async () => {
    const misspelt = await runHere(["solve", "--budgt", "100", "What is 2 + 3?"])
    expect(misspelt.result._tag).toBe("Failure")
    expect(misspelt.printed).toContain("stepwise solve [flags] [<problem>]")
    expect(misspelt.printed).toContain("(stepwise solve --help shows the whole help)")
    expect(misspelt.printed).toContain("Unrecognized flag: --budgt")
    expect(misspelt.printed).toContain("--budget")
    expect(misspelt.printed).not.toContain("--verifier-options")
    expect(misspelt.printed.split("\n").length).toBeLessThan(15)
    const unknown = await runHere(["solv"])
    expect(unknown.printed).toContain("(stepwise --help shows the whole help)")
    expect(unknown.printed).toContain('Unknown subcommand "solv"')
    expect(unknown.printed).not.toContain("serve-sim ")
    expect((await runHere(["solve", "--budgt", "1", "--help"])).printed).toContain("--verifier-options")
    expect((await runHere([])).printed).toContain("serve-sim")
  })

  it("asks for help only with --help or -h before --, or with no arguments", () => {
    expect(Main.asksForHelp([])).toBe(true)
    expect(Main.asksForHelp(["solve", "-h"])).toBe(true)
    expect(Main.asksForHelp(["solve", "--", "--help"])).toBe(false)
    expect(Main.asksForHelp(["solve", "--budgt", "1"])).toBe(false)
  })
})

describe("the stepwise process", () => {
  it.each([
    ["solve", "--budget", "NaN"],
    ["bench", "--concurrency", "-4"]
  ])("%s %s %s: exits 1 with one line on stderr and nothing on stdout", async (command, flag, value) => {
    const result = await stepwise([command, flag, value])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    const lines = result.stderr.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`^stepwise: ${command}: option "${flag}" must be an integer from \\d+ to \\d+, got "${value}"$`))
  })

  it("solve prints a cost without float noise", () => {
    expect(Solve.formatCost(0.006973999999999999)).toBe("0.006974")
    expect(Solve.formatCost(643)).toBe("643")
    expect(Solve.formatCost(1.5e13)).toBe("15000000000000")
    expect(Solve.formatCost(3.3094e12 + 0.5)).toBe("3309400000000")
  })

  it("solve refuses a --tree it cannot write before searching (a finished search was thrown away), and reads the problem from standard input with -", async () => {
    const unwritable = await stepwise(["solve", "--strategy", "best-of-n", "--tree", "/nonexistent/folder/tree.json"])
    expect(unwritable.code).toBe(1)
    expect(unwritable.stdout).toBe("")
    expect(unwritable.stderr.trim()).toBe('stepwise: solve: option "--tree" cannot be written: its folder /nonexistent/folder does not exist')
    const piped = (input: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(process.execPath, [bin, "solve", "-", "--strategy", "best-of-n"], { env: { ...process.env, NO_COLOR: "1" } })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
        child.on("close", (code) => done({ code, stdout, stderr }))
        child.stdin.end(input)
      })
    const question = "A farmer has 17 sheep and buys 5 more. How many sheep does the farmer have?"
    const read = await piped(`${question}\n`)
    expect(read.code).toBe(0)
    expect(read.stdout).toContain(`problem:  ${question}\n`)
    const empty = await piped("")
    expect(empty.code).toBe(1)
    expect(empty.stderr.trim()).toBe('stepwise: solve: option "problem" - reads standard input, which was empty')
  })

  it("writes a recipe named to climb out of results/ and reports/ inside them", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stepwise-paths-"))
    const work = join(folder, "a", "b", "c")
    const recipe = {
      name: "../../../escaped",
      datasets: [{ kind: "simulator", count: 1, seed: 3 }],
      strategies: [{ kind: "best-of-n", options: { n: 2 } }],
      budgets: [{ label: "1k", limits: { totalTokens: 1000 } }],
      backend: { kind: "simulator" }
    }
    await execute("mkdir", ["-p", work])
    writeFileSync(join(work, "recipe.json"), JSON.stringify(recipe))
    const result = await stepwise(["bench", "recipe.json", "--progress", "none"], work)
    expect(result.code).toBe(0)
    expect(readdirSync(join(work, "results"))).toEqual([expect.stringMatching(/^escaped-[0-9a-f]{8}\.jsonl$/)])
    expect(readdirSync(join(work, "reports")).sort()).toEqual([expect.stringMatching(/^escaped-[0-9a-f]{8}\.html$/), expect.stringMatching(/^escaped-[0-9a-f]{8}\.md$/)])
    for (const outside of ["results", "reports", "escaped.jsonl", "escaped.html"]) expect(existsSync(join(folder, outside))).toBe(false)
  })

  it("never prints the first bytes of a secret file given as a recipe", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stepwise-secret-"))
    writeFileSync(join(folder, "id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n")
    const result = await stepwise(["bench", join(folder, "id_rsa")])
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(`stepwise: ${join(folder, "id_rsa")}: is not JSON: a recipe is one JSON object`)
  })
})

describe("Main.failureLine", () => {
  property.prop([Credentials.embedded, fc.constantFrom("error", "tagged", "text")])(
    "never prints a credential a failure's text carried",
    ({ text, secrets }, kind) => {
      const failure = kind === "error" ? new Error(text) : kind === "tagged" ? new BadResponse({ backend: "server", detail: text }) : text
      const line = Main.failureLine(failure)
      expect(line).toBeDefined()
      expect(line).not.toContain("\n")
      for (const secret of secrets) expect(line).not.toContain(secret)
    }
  )
})
