import { posix, win32 } from "node:path"
import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import * as Paths from "../src/Paths.js"

/** Names built to escape: separators, `..`, drive letters, control characters, reserved device names, long runs. */
const hostileParts = ["..", ".", "/", "\\", "../", "..\\", "C:", "C:\\", "//server/share/", "~", "\u0000", "\n", "\r", "\u202e", "\u200b",
  "CON", "nul", "com1", "LPT9", "aux.txt", " ", "\t", ":", "*", "?", "\"", "<", ">", "|", "tmp", "x", "é", "😀", "\ud800"] as const
const hostile = fc.array(fc.constantFrom(...hostileParts), { minLength: 1, maxLength: 24 }).map((parts) => parts.join(""))
const anyName = fc.oneof(hostile, fc.string({ unit: "binary", maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 300 }), fc.string())

/** Every output file of a name, under both path flavours. */
const filesOf = (name: string) => [Paths.resultsFileOf(name), Paths.reportFilesOf(name).html, Paths.reportFilesOf(name).markdown]

const reserved = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\.|$)/i

describe("output names", () => {
  property.prop([anyName], { numRuns: 3000 })("stay inside the output folder for every recipe name, on POSIX and Windows paths", (name) => {
    for (const file of filesOf(name)) {
      const folder = file.startsWith("results/") ? "results" : "reports"
      expect(posix.dirname(posix.resolve("/work", file))).toBe(posix.resolve("/work", folder))
      expect(win32.dirname(win32.resolve("C:\\work", file))).toBe(win32.resolve("C:\\work", folder))
    }
  })

  property.prop([anyName], { numRuns: 3000 })("are plain file names: no control characters, not reserved, at most 255 bytes", (name) => {
    const base = Paths.fileNameOf(name)
    expect(base).not.toMatch(/[/\\<>:"|?*\p{Cc}\p{Cf}\p{Cs}]/u)
    expect(base).not.toMatch(/^[.\s]|[.\s]$/u)
    expect(base).not.toMatch(reserved)
    expect(Buffer.byteLength(`${base}.jsonl`, "utf8")).toBeLessThanOrEqual(255)
  })

  property.prop([fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.,+=()\-]{0,60}[A-Za-z0-9]$/).filter((name) => !reserved.test(name))])(
    "keep a readable name as it is",
    (name) => {
      expect(Paths.fileNameOf(name)).toBe(name)
      expect(Paths.resultsFileOf(name)).toBe(`results/${name}.jsonl`)
    }
  )

  property.prop([hostile, hostile])("give two different rewritten names two different files", (first, second) => {
    fc.pre(first !== second)
    expect(Paths.fileNameOf(first)).not.toBe(Paths.fileNameOf(second))
  })

  it("rewrites a name that climbs out of the folder into a readable name inside it", () => {
    expect(Paths.resultsFileOf("../../../tmp/x")).toMatch(/^results\/tmp-x-[0-9a-f]{8}\.jsonl$/)
    expect(Paths.reportFilesOf("../../../tmp/x").html).toMatch(/^reports\/tmp-x-[0-9a-f]{8}\.html$/)
    expect(Paths.fileNameOf("a/b")).not.toBe(Paths.fileNameOf("a-b"))
    expect(Paths.fileNameOf("math500 quick")).toBe("math500 quick")
  })
})
