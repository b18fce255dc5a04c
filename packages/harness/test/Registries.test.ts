import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Registries } from "../src/index.js"

const moduleFile = (text: string) => {
  const directory = mkdtempSync(join(tmpdir(), "stepwise-plugin-"))
  const file = join(directory, "plugin.mjs")
  writeFileSync(file, text)
  return file
}

describe("Registries.load", () => {
  it("names what is wrong with an export that is no plugin: a misspelt axis, or entries that are no array", async () => {
    const misspelt = await Effect.runPromise(Effect.flip(Registries.load([moduleFile("export default { strategy: [] }")])))
    expect(misspelt).toMatchObject({ _tag: "PluginError" })
    expect(misspelt.message).toContain('"strategy" is none of strategies, verifiers, backends, costModels (did you mean "strategies"?)')
    const single = await Effect.runPromise(Effect.flip(Registries.load([moduleFile("export default { verifiers: {} }")])))
    expect(single.message).toContain('"verifiers" must be an array of entries')
    const nothing = await Effect.runPromise(Effect.flip(Registries.load([moduleFile("export const x = 1")])))
    expect(nothing.message).toContain("exports no plugin")
    expect(nothing.message).not.toContain("is none of")
  })
})
