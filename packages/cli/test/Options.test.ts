import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, inject, it } from "vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { InvalidOptions, Options, Registry } from "@stepwise/core"
import { Recipe } from "@stepwise/harness"
import { Strategies } from "@stepwise/search"
import * as Main from "../src/Main.js"

/**
 * For every registered strategy kind, three bad options derived from its own schema — a misspelt key, a wrong
 * type, an out-of-range value — must each fail with `InvalidOptions` naming the field and the allowed keys,
 * through the API, a recipe, and the command line (one line, non-zero exit).
 */

interface Case {
  readonly label: string
  readonly kind: string
  readonly options: Readonly<Record<string, unknown>>
  /** The field the error must name. */
  readonly field: string
}

type Property = { readonly type?: string; readonly minimum?: number; readonly exclusiveMinimum?: number; readonly enum?: ReadonlyArray<unknown> }

const casesOf = (entry: Registry.AnyEntry): ReadonlyArray<Case> => {
  const json = Options.jsonSchema(entry.options) as { readonly properties: Record<string, Property> }
  const properties = Object.entries(json.properties)
  const [firstName] = properties[0] ?? [""]
  // A typo: two neighbouring letters swapped.
  const misspelt = firstName.length > 2 ? firstName.charAt(0) + firstName.charAt(2) + firstName.charAt(1) + firstName.slice(3) : `${firstName}x`
  const numeric = properties.find(([, property]) => property.type === "integer" || property.type === "number")
  const bounded = properties.find(([, property]) => property.minimum !== undefined || property.exclusiveMinimum !== undefined)
  if (numeric === undefined || bounded === undefined) throw new Error(`${entry.kind} has no numeric bounded option to test`)
  const [boundedName, bound] = bounded
  const below = bound.minimum !== undefined ? bound.minimum - 1 : (bound.exclusiveMinimum ?? 0)
  return [
    { label: "misspelt key", kind: entry.kind, options: { [misspelt]: 1 }, field: misspelt },
    { label: "wrong type", kind: entry.kind, options: { [numeric[0]]: "many" }, field: numeric[0] },
    { label: "out of range", kind: entry.kind, options: { [boundedName]: below }, field: boundedName }
  ]
}

const cases = Registry.list(Strategies.registry).flatMap(casesOf)

const recipeWith = (testCase: Case) => ({
  datasets: [{ kind: "simulator", count: 1 }],
  strategies: [{ kind: testCase.kind, options: testCase.options }],
  budgets: [{ label: "b", limits: { totalTokens: 1000 } }],
  backend: { kind: "simulator" }
})

const allowedOf = (kind: string): ReadonlyArray<string> =>
  Registry.describeOptions((Strategies.registry.entries as Record<string, Registry.AnyEntry>)[kind]!.options).map((option) => option.name)

describe("strategy options, for every registered kind", () => {
  it("derives three cases for every kind", () => {
    expect(cases).toHaveLength(3 * Strategies.registry.kinds.length)
  })

  for (const testCase of cases)
    describe(`${testCase.kind}: ${testCase.label}`, () => {
      it("fails through the API with InvalidOptions naming the field and the allowed keys", async () => {
        const error = await Effect.runPromise(Effect.flip(Registry.make(Strategies.registry, testCase.kind, testCase.options, undefined)))
        expect(error).toBeInstanceOf(InvalidOptions)
        expect(error).toMatchObject({ subject: testCase.kind, field: testCase.field })
        expect(error.allowed).toEqual(allowedOf(testCase.kind))
      })

      it("fails through a recipe naming the field path", async () => {
        const error = await Effect.runPromise(Effect.flip(Recipe.parse(recipeWith(testCase), "recipe.json")))
        expect(error._tag).toBe("RecipeError")
        expect(error.field).toBe(`strategies.0.options.${testCase.field}`)
        if (testCase.label === "misspelt key") expect(error.detail).toContain(allowedOf(testCase.kind).join(", "))
      })

      it("fails through the command line with one line naming the field and the allowed keys", async () => {
        const error = await Effect.runPromise(
          Effect.flip(
            Main.run(["solve", "--strategy", testCase.kind, "--options", JSON.stringify(testCase.options)]).pipe(Effect.provide(NodeServices.layer))
          )
        )
        const line = Main.failureLine(error)
        expect(line).toBeDefined()
        expect(line).not.toContain("\n")
        expect(line).toContain(`option "${testCase.field}"`)
        expect(line).toContain(`allowed: ${allowedOf(testCase.kind).join(", ")}`)
      })
    })
})

describe("the stepwise process", () => {
  // The command from its sources, bundled once per test run by test/globalSetup.ts (a child starts in a second
  // where tsx took 4–14 s); the built command is run by the consumer test.
  const bin = inject("stepwiseCommand")
  const run = promisify(execFile)

  it("exits non-zero with one line for a misspelt option", async () => {
    const failed = await run(process.execPath, [bin, "solve", "--options", '{"foo":1,"expansion":99}'], { env: { ...process.env, NO_COLOR: "1" } }).then(
      () => undefined,
      (error: { readonly code?: number; readonly stderr?: string }) => error
    )
    expect(failed?.code).toBe(1)
    const lines = (failed?.stderr ?? "").trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^stepwise: a-star: option "foo" is not an option \(allowed: expansions, .*\)$/)
  })
})
