import { describe, expect, it } from "vitest"
import { NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import { InvalidOptions, Options, Registry } from "@stepwise/core"
import { CostModels } from "@stepwise/accountant"
import { Backends, Recipe, Registries } from "@stepwise/harness"
import * as Main from "../src/Main.js"

/**
 * For every registered verifier, backend and cost-model kind, three bad options derived from its own schema — a
 * misspelt key, a wrong type, an out-of-range value — each fail with `InvalidOptions` naming the field and the
 * allowed keys, through the API, a recipe, and the command line (one line). (The Promise API's `solve` takes the same
 * specs; packages/stepwise/test covers it.) Kinds whose options have
 * required fields get them from `valid` (a kind missing there, with required fields, fails the first test).
 */

type Axis = "verifiers" | "backends" | "costModels"

const shape = { parameters: 1e9, queryHeads: 16, kvHeads: 8, headDim: 64, layers: 16 }

/** The least valid options of the kinds whose options have required fields. */
const valid: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  vllm: { url: "http://127.0.0.1:1", model: "m" },
  sglang: { url: "http://127.0.0.1:1", model: "m" },
  tgi: { url: "http://127.0.0.1:1", model: "m" },
  "llama.cpp": { url: "http://127.0.0.1:1", model: "m" },
  ollama: { url: "http://127.0.0.1:1", model: "m" },
  "openai-compatible": { url: "http://127.0.0.1:1", model: "m" },
  openai: { model: "m" },
  provider: { model: "m" },
  gguf: { path: "model.gguf" },
  ensemble: { members: [{ kind: "exact-arithmetic" }] },
  "prefix-cache": { verifier: { kind: "exact-arithmetic" } },
  price: { inputPerMillion: 1, outputPerMillion: 2 },
  kinetics: { policy: shape }
}

interface Case {
  readonly axis: Axis
  readonly label: string
  readonly kind: string
  readonly options: Readonly<Record<string, unknown>>
  readonly field: string
  /** The keys the error must list (default: the kind's own options). */
  readonly allowed?: ReadonlyArray<string>
}

/** Kinds whose numbers are nested: their wrong-type and out-of-range cases are written out. */
const nested: ReadonlyArray<Case> = [
  {
    axis: "verifiers",
    label: "wrong type",
    kind: "ensemble",
    options: { members: [{ kind: "exact-arithmetic", weight: "heavy" }] },
    field: "members.0.weight",
    allowed: ["kind", "options", "weight"]
  },
  {
    axis: "verifiers",
    label: "out of range",
    kind: "ensemble",
    options: { members: [{ kind: "exact-arithmetic", weight: 0 }] },
    field: "members.0.weight",
    allowed: ["kind", "options", "weight"]
  }
]

type Property = { readonly type?: string; readonly minimum?: number; readonly exclusiveMinimum?: number }

const casesOf = (axis: Axis, entry: Registry.AnyEntry): ReadonlyArray<Case> => {
  const json = Options.jsonSchema(entry.options) as { readonly properties?: Record<string, Property> }
  const properties = Object.entries(json.properties ?? {})
  const base = valid[entry.kind] ?? {}
  const [firstName] = properties[0] ?? ["option"]
  const misspelt = firstName.length > 2 ? firstName.charAt(0) + firstName.charAt(2) + firstName.charAt(1) + firstName.slice(3) : `${firstName}x`
  const cases: Array<Case> = [{ axis, label: "misspelt key", kind: entry.kind, options: { ...base, [misspelt]: 1 }, field: misspelt }]
  const numeric = properties.find(([, property]) => property.type === "integer" || property.type === "number")
  if (numeric !== undefined) cases.push({ axis, label: "wrong type", kind: entry.kind, options: { ...base, [numeric[0]]: "many" }, field: numeric[0] })
  const bounded = properties.find(([, property]) => property.minimum !== undefined || property.exclusiveMinimum !== undefined)
  if (bounded !== undefined) {
    const [name, bound] = bounded
    cases.push({ axis, label: "out of range", kind: entry.kind, options: { ...base, [name]: bound.minimum !== undefined ? bound.minimum - 1 : (bound.exclusiveMinimum ?? 0) }, field: name })
  }
  return cases
}

const axes: ReadonlyArray<Axis> = ["verifiers", "backends", "costModels"]
const entriesOf = (axis: Axis): ReadonlyArray<Registry.AnyEntry> => Registry.list(Registries.builtIn[axis] as Registry.AnyRegistry)
const cases = [...axes.flatMap((axis) => entriesOf(axis).map((entry) => casesOf(axis, entry)).flat()), ...nested]

const allowedOf = (testCase: Case): ReadonlyArray<string> =>
  testCase.allowed ??
  Registry.describeOptions((Registries.builtIn[testCase.axis].entries as Record<string, Registry.AnyEntry>)[testCase.kind]!.options).map((option) => option.name)

const recipeField = { verifiers: "verifier", backends: "backend", costModels: "costModel" } as const

const recipeWith = (testCase: Case) => ({
  datasets: [{ kind: "simulator", count: 1 }],
  strategies: [{ kind: "best-of-n" }],
  budgets: [{ label: "b", limits: { totalTokens: 1000 } }],
  backend: { kind: "simulator" },
  [recipeField[testCase.axis]]: { kind: testCase.kind, options: testCase.options }
})

/** Makes the kind through the library: the harness's `Backends.make` (backend, or verifier over the simulator), `CostModels.make`. */
const throughApi = (testCase: Case): Effect.Effect<unknown, unknown> => {
  const spec = { kind: testCase.kind, options: testCase.options }
  if (testCase.axis === "costModels") return CostModels.make(spec, Registries.builtIn.costModels)
  return Effect.scoped(
    Backends.make(testCase.axis === "verifiers" ? { backend: { kind: "simulator" }, verifier: spec } : { backend: spec }, Registries.builtIn)
  )
}

const cliFlags = (testCase: Case): ReadonlyArray<string> => {
  const flag = { verifiers: "verifier", backends: "backend", costModels: "cost-model" }[testCase.axis]
  return [`--${flag}`, testCase.kind, `--${flag}-options`, JSON.stringify(testCase.options)]
}

describe("verifier, backend and cost-model options, for every registered kind", () => {
  it("derives a misspelt key for every kind, and a wrong type and an out-of-range value for every kind with a bounded number", () => {
    for (const axis of axes)
      for (const entry of entriesOf(axis)) {
        const own = cases.filter((testCase) => testCase.axis === axis && testCase.kind === entry.kind)
        expect(own.map((testCase) => testCase.label)[0]).toBe("misspelt key")
        const required = (Options.jsonSchema(entry.options) as { readonly required?: ReadonlyArray<string> }).required ?? []
        if (required.length > 0) expect(valid[entry.kind], `${entry.kind} needs valid options in the test`).toBeDefined()
      }
    // Every kind but the option-less "tokens" has all three.
    expect(cases.filter((testCase) => testCase.kind !== "tokens").every((testCase, _, all) => all.filter((other) => other.kind === testCase.kind).length === 3)).toBe(true)
  })

  for (const testCase of cases)
    describe(`${testCase.axis} ${testCase.kind}: ${testCase.label}`, () => {
      it("fails through the API with InvalidOptions naming the field and the allowed keys", async () => {
        const error = await Effect.runPromise(Effect.flip(throughApi(testCase)))
        expect(error).toBeInstanceOf(InvalidOptions)
        expect(error).toMatchObject({ subject: testCase.kind, field: testCase.field })
        expect((error as InvalidOptions).allowed).toEqual(allowedOf(testCase))
      })

      it("fails through a recipe naming the field path", async () => {
        const error = await Effect.runPromise(Effect.flip(Recipe.parse(recipeWith(testCase), "recipe.json")))
        expect(error._tag).toBe("RecipeError")
        expect(error.field).toBe(`${recipeField[testCase.axis]}.options.${testCase.field}`)
        if (testCase.label === "misspelt key") expect(error.detail).toContain(allowedOf(testCase).join(", "))
      })

      it("fails through the command line with one line naming the field and the allowed keys", async () => {
        const error = await Effect.runPromise(Effect.flip(Main.run(["solve", "2 + 2?", ...cliFlags(testCase)]).pipe(Effect.provide(NodeServices.layer))))
        const line = Main.failureLine(error)
        expect(line).toBeDefined()
        expect(line).not.toContain("\n")
        expect(line).toContain(`option "${testCase.field}"`)
        expect(line).toContain(allowedOf(testCase).length === 0 ? "takes no options" : `allowed: ${allowedOf(testCase).join(", ")}`)
      })
    })
})

describe("stepwise list", () => {
  it("shows every axis and every registered kind with its options", async () => {
    const printed: Array<string> = []
    const log = console.log
    console.log = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.join(" "))
    try {
      await Effect.runPromise(Main.run(["list"]).pipe(Effect.provide(NodeServices.layer)))
    } finally {
      console.log = log
    }
    const text = printed.join("\n")
    for (const axis of Registries.axes) {
      // Each heading as the command line spells the axis (`cost-models`, as `stepwise list cost-models` takes it).
      expect(text).toContain(`${axis.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}:`)
      for (const kind of (Registries.builtIn[axis] as Registry.AnyRegistry).kinds) expect(text).toContain(`  ${kind} — `)
    }
    expect(text).toMatch(/apiKeyEnv\s+string\s+default "OPENAI_API_KEY"/)
  })

  const listed = async (axis: string): Promise<string> => {
    const printed: Array<string> = []
    const log = console.log
    console.log = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.join(" "))
    try {
      await Effect.runPromise(Main.run(["list", axis]).pipe(Effect.provide(NodeServices.layer)))
    } finally {
      console.log = log
    }
    return printed.join("\n")
  }

  it("takes an axis as the README and the flags spell it (cost-models) or as the registries do (costModels)", async () => {
    for (const axis of ["cost-models", "costModels"]) {
      const text = await listed(axis)
      for (const kind of (Registries.builtIn.costModels as Registry.AnyRegistry).kinds) expect(text).toContain(`  ${kind} — `)
      for (const strategy of (Registries.builtIn.strategies as Registry.AnyRegistry).kinds) expect(text).not.toContain(`  ${strategy} — `)
    }
  })

  it("refuses an unknown axis, naming the axes as the command line spells them", async () => {
    const error = await Effect.runPromise(Effect.flip(Main.run(["list", "costmodels"]).pipe(Effect.provide(NodeServices.layer))))
    const line = Main.failureLine(error)
    expect(line).toContain("strategies, verifiers, backends, cost-models")
    expect(line).toContain('got "costmodels"')
  })
})

describe("stepwise solve on the simulator with a question of one's own", () => {
  it("refuses one the simulator cannot read as a word problem with the simulator's own reason, not a verifier's", async () => {
    const error = await Effect.runPromise(Effect.flip(Main.run(["solve", "What is 2+3?"]).pipe(Effect.provide(NodeServices.layer))))
    const line = Main.failureLine(error) ?? ""
    expect(line).toMatch(/^the simulator cannot model this problem: the question "What is 2\+3\?" itself holds a number/)
    expect(line).not.toContain("verifier")
  })
})

describe("stepwise solve --gguf", () => {
  it("works with default flags on the test GGUF written by TinyLlama: the policy and a ThinkPRM over it fit its context", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs")
    const { tmpdir } = await import("node:os")
    const { join } = await import("node:path")
    const { TinyLlama } = await import("@stepwise/models")
    const path = join(mkdtempSync(join(tmpdir(), "stepwise-gguf-")), "tiny.gguf")
    writeFileSync(path, TinyLlama.bytes())
    const printed: Array<string> = []
    const log = console.log
    console.log = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.join(" "))
    try {
      await Effect.runPromise(Main.run(["solve", "What is 2 + 3?", "--gguf", path]).pipe(Effect.provide(NodeServices.layer)))
    } finally {
      console.log = log
    }
    const text = printed.join("\n")
    expect(text).toMatch(/answer: {3}5/)
    expect(text).toMatch(/on gguf\/tiny\.gguf with think-prm/)
    expect(text).toMatch(/[1-9]\d* verifier calls/)
  }, 240_000)
})
