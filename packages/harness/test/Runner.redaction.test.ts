import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Data, Effect, pipe } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { z } from "zod"
import { InvalidRequest, Registry } from "@stepwise/core"
import type { SearchError } from "@stepwise/core"
import { Strategy } from "@stepwise/search"
import { Credentials, Scripted } from "@stepwise/testing"
import { Backend } from "@stepwise/models"
import { Recipe, Registries, Runner } from "../src/index.js"
import * as OneShot from "./fixtures/OneShot.js"

/** An error of a third-party strategy whose message carries a server's text as it came. */
class LeakyError extends Data.TaggedError("LeakyError")<{ readonly text: string }> {
  override get message(): string {
    return `the server said: ${this.text}`
  }
}

const leaky = (text: string) =>
  Strategy.define({
    kind: "leaky",
    description: "Fails with the server's text (a test strategy).",
    options: z.object({}).strict(),
    build: () => ({ name: "leaky", options: {}, run: () => Effect.fail(new LeakyError({ text }) as unknown as SearchError) })
  })

/** Runs one problem with the strategy kind over a backend whose calls fail with `text`; returns the results file's text. */
const resultsOf = (kind: "leaky" | "one-shot", text: string): Promise<string> => {
  const directory = mkdtempSync(join(tmpdir(), "stepwise-redaction-"))
  writeFileSync(join(directory, "problems.jsonl"), OneShot.problemsFile(1))
  const strategies = pipe(OneShot.strategies, (registry) => Registry.add(registry, leaky(text)))
  // A backend registered for the test whose every call fails with `text`.
  const failing = Backend.define({
    kind: "failing",
    description: "Every call fails with the given text (a test backend).",
    options: z.object({}).strict(),
    build: () =>
      Effect.succeed({
        label: "scripted",
        languageModel: Scripted.languageModel(() => new InvalidRequest({ backend: "scripted", detail: text })),
        defaultVerifier: { kind: "scripted-half" }
      })
  })
  const registries = Registries.extend({ ...OneShot.registries, strategies }, { backends: [failing] })
  const recipe = {
    datasets: [{ kind: "aime", path: "problems.jsonl" }],
    strategies: [{ kind }],
    budgets: [{ label: "b", limits: {} }],
    backend: { kind: "failing" }
  }
  const results = join(directory, "results.jsonl")
  return Effect.runPromise(
    Effect.flatMap(Recipe.parse(recipe as never, undefined, registries), (parsed) =>
      Runner.run(parsed, { results, baseDirectory: directory, registries, progress: "none" })
    )
  ).then(() => readFileSync(results, "utf8"))
}

describe("Runner error records", () => {
  it("never store a credential that a server's error text carried, whatever error class carries it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("leaky" as const, "one-shot" as const), Credentials.embedded, async (kind, { text, secrets }) => {
        const stored = await resultsOf(kind, text)
        expect(stored).toContain('"error":')
        for (const secret of secrets) {
          expect(stored).not.toContain(secret)
          expect(stored).not.toContain(JSON.stringify(secret).slice(1, -1))
        }
      }),
      { numRuns: 40 }
    )
  })
})
