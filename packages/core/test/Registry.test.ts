import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Result } from "effect"
import { z } from "zod"
import { InvalidOptions, Options, Registry } from "@stepwise/core"

const schema = z
  .object({
    samples: z.number().int().min(1).default(4).describe("How many samples."),
    mode: z.enum(["fast", "careful"]).default("fast"),
    nested: z.object({ depth: z.number().int().min(0) }).strict().optional(),
    weight: z.number().positive().optional().describe("A weight.")
  })
  .strict()

const entry = Registry.entry({
  kind: "toy",
  description: "A toy kind.",
  options: schema,
  make: (settings: z.output<typeof schema>) => Effect.succeed(`toy ${settings.samples} ${settings.mode}`)
})

const registry = Registry.add(Registry.empty<string>("widget"), entry)

const failure = (input: unknown): InvalidOptions => {
  const decoded = Options.decode(schema, input, "toy")
  if (Result.isSuccess(decoded)) throw new Error(`expected a failure for ${JSON.stringify(input)}`)
  return decoded.failure
}

describe("Options", () => {
  it("fills the defaults declared in the schema", () => {
    expect(Result.getOrThrow(Options.decode(schema, {}, "toy"))).toEqual({ samples: 4, mode: "fast" })
  })

  it("rejects an unknown key, naming it, the allowed keys, and the likely intended one", () => {
    const error = failure({ sampels: 3 })
    expect(error).toMatchObject({ subject: "toy", field: "sampels", allowed: ["samples", "mode", "nested", "weight"] })
    expect(error.message).toContain('did you mean "samples"?')
    expect(error.message).toContain("allowed: samples, mode, nested, weight")
  })

  it("names a wrong type, an out-of-range value and a bad choice, with what came", () => {
    expect(failure({ samples: "four" })).toMatchObject({ field: "samples", detail: 'must be of type number, got "four"' })
    expect(failure({ samples: 0 })).toMatchObject({ field: "samples", detail: "must be a number ≥ 1, got 0" })
    expect(failure({ samples: 2.5 })).toMatchObject({ field: "samples" })
    expect(failure({ mode: "slow" })).toMatchObject({ field: "mode", detail: 'must be one of "fast", "careful", got "slow"' })
    expect(failure({ mode: "carefull" })).toMatchObject({ field: "mode", detail: 'must be one of "fast", "careful", got "carefull" (did you mean "careful"?)' })
    expect(failure({ weight: 0 })).toMatchObject({ field: "weight", detail: "must be a number > 0, got 0" })
    expect(failure({ samples: Number.NaN }).field).toBe("samples")
    expect(failure({ samples: Number.POSITIVE_INFINITY }).field).toBe("samples")
  })

  it("names nested fields by their dotted path and lists the keys allowed there", () => {
    expect(failure({ nested: { depth: -1 } })).toMatchObject({ field: "nested.depth", allowed: ["depth"] })
    expect(failure({ nested: { deep: 1 } })).toMatchObject({ field: "nested.deep", allowed: ["depth"] })
  })

  it("names a refinement's field without the keys of its level (its issue is about a value, not a key)", () => {
    const refined = schema.superRefine((settings, context) => {
      if (settings.samples % 2 === 1) context.addIssue({ code: "custom", path: ["samples"], message: "must be even" })
    })
    const decoded = Options.decode(refined, { samples: 3 }, "toy")
    if (Result.isSuccess(decoded)) throw new Error("expected a failure")
    expect(decoded.failure).toMatchObject({ field: "samples", detail: "must be even" })
    expect(decoded.failure.allowed).toBeUndefined()
    expect(decoded.failure.message).not.toContain("allowed:")
  })

  it("rejects options that are not an object", () => {
    expect(failure("samples=3").field).toBe("(options)")
    expect(failure([1, 2]).field).toBe("(options)")
    expect(failure([1, 2]).detail).toBe("must be of type object, got an array of 2")
    expect(failure([]).detail).toBe("must be of type object, got an empty array")
  })

  property.prop([fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !["samples", "mode", "nested", "weight"].includes(key)), fc.jsonValue()])(
    "any key the schema does not declare fails, naming that key (never silently ignored)",
    (key, value) => {
      const error = failure({ [key]: value })
      expect(error.field).toBe(key)
      expect(error.allowed).toEqual(["samples", "mode", "nested", "weight"])
    }
  )

  property.prop([fc.record({ samples: fc.integer({ min: 1, max: 1000 }), mode: fc.constantFrom("fast" as const, "careful" as const) }, { requiredKeys: [] })])(
    "validation is idempotent: validated options validate to themselves",
    (input) => {
      const once = Result.getOrThrow(Options.decode(schema, input, "toy"))
      expect(Result.getOrThrow(Options.decode(schema, once, "toy"))).toEqual(once)
    }
  )
})

describe("Registry", () => {
  it("makes a kind from options as a user writes them, validated", async () => {
    expect(await Effect.runPromise(Registry.make(registry, "toy", { samples: 2 }, undefined))).toBe("toy 2 fast")
    const error = await Effect.runPromise(Effect.flip(Registry.make(registry, "toy", { samples: -2 }, undefined)))
    expect(error).toMatchObject({ _tag: "InvalidOptions", subject: "toy", field: "samples" })
  })

  it("names an unknown kind with the registered ones and a suggestion", async () => {
    const error = await Effect.runPromise(Effect.flip(Registry.lookup(registry, "tyo")))
    expect(error).toMatchObject({ subject: "widget", field: "kind", allowed: ["toy"] })
    expect(error.message).toContain('did you mean "toy"?')
  })

  it("is a value: adding returns a new registry and never changes the old one", () => {
    const more = Registry.add(registry, { ...entry, kind: "other" })
    expect(more.kinds).toEqual(["toy", "other"])
    expect(registry.kinds).toEqual(["toy"])
    expect(() => Registry.add(more, entry)).toThrow(Registry.DuplicateKind)
    expect(Registry.replace(more, { ...entry, description: "patched" }).entries.toy.description).toBe("patched")
  })

  it("describes each option with its type, default and description, from the schema", () => {
    expect(Registry.describeOptions(schema)).toEqual([
      { name: "samples", type: "integer ≥ 1", default: 4, description: "How many samples.", required: false },
      { name: "mode", type: '"fast" | "careful"', default: "fast", description: undefined, required: false },
      { name: "nested", type: "object", default: undefined, description: undefined, required: false },
      { name: "weight", type: "number > 0", default: undefined, description: "A weight.", required: false }
    ])
  })

  it("builds a spec schema over every kind that rejects unknown kinds and keys", () => {
    const spec = Registry.specSchema(Registry.add(registry, { ...entry, kind: "other" }))
    expect(spec.safeParse({ kind: "toy", options: { samples: 3 } }).success).toBe(true)
    expect(spec.safeParse({ kind: "other" }).success).toBe(true)
    expect(spec.safeParse({ kind: "nope" }).success).toBe(false)
    expect(spec.safeParse({ kind: "toy", options: { sampels: 3 } }).success).toBe(false)
    expect(spec.safeParse({ kind: "toy", extra: 1 }).success).toBe(false)
  })
})

describe("Registry entries from outside", () => {
  it("refuses an entry that is not one, naming the axis and the kind: a kind that is no name, options that are no schema, a make that is no function", () => {
    const good = { kind: "third", description: "A third party's kind.", options: z.object({}).strict(), make: () => Effect.succeed("made") }
    expect(() => Registry.add(registry, good as never)).not.toThrow()
    for (const kind of ["acme/beam", "@acme/beam", "ns:kind", "llama.cpp"]) expect(() => Registry.add(registry, { ...good, kind } as never)).not.toThrow()
    const broken: ReadonlyArray<readonly [Record<string, unknown>, RegExp]> = [
      [{ ...good, kind: "Bad Kind!" }, /widget entry "Bad Kind!": its kind must be a non-empty name without whitespace/],
      [{ ...good, kind: "" }, /its kind must be a non-empty name/],
      [{ ...good, kind: 5 }, /its kind must be a non-empty name/],
      [{ ...good, description: undefined }, /needs a description/],
      [{ ...good, options: { samples: 1 } }, /its options must be a zod schema/],
      // A zod 3 schema: it has safeParse, but none of zod 4's internals that option checks and JSON Schemas read.
      [{ ...good, options: { safeParse: () => ({ success: true }), _def: { typeName: "ZodObject" } } }, /its options must be a zod 4 schema .*this is a zod 3 schema/],
      [{ ...good, make: "make" }, /its make must be a function/]
    ]
    for (const [entry, message] of broken) {
      expect(() => Registry.add(registry, entry as never)).toThrow(Registry.InvalidEntry)
      expect(() => Registry.add(registry, entry as never)).toThrow(message)
      expect(() => Registry.replace(registry, entry as never)).toThrow(message)
    }
  })

  it("fails a make that throws or returns no Effect with InvalidOptions naming the kind, not a defect", async () => {
    const options = z.object({}).strict()
    const throwing = Registry.add(Registry.empty<string>("widget"), { kind: "throws", description: "", options, make: () => { throw new Error("boom") } } as never)
    const plain = Registry.add(Registry.empty<string>("widget"), { kind: "plain", description: "", options, make: () => "made" } as never)
    const threw = await Effect.runPromise(Effect.flip(Registry.make(throwing as Registry.AnyRegistry, "throws", {}, undefined)))
    expect(threw).toMatchObject({ _tag: "InvalidOptions", subject: "widget throws", field: "(make)", detail: "threw: boom" })
    const returned = await Effect.runPromise(Effect.flip(Registry.make(plain as Registry.AnyRegistry, "plain", {}, undefined)))
    expect(returned).toMatchObject({ _tag: "InvalidOptions", subject: "widget plain", detail: "returned string, not an Effect" })
    // A builder that throws inside the Effect its make returns (as the define helpers run a build in Effect.sync).
    const inside = Registry.add(Registry.empty<string>("widget"), { kind: "inside", description: "", options, make: () => Effect.sync(() => { throw new Error("build failed") }) } as never)
    const died = await Effect.runPromise(Effect.flip(Registry.make(inside as Registry.AnyRegistry, "inside", {}, undefined)))
    expect(died).toMatchObject({ _tag: "InvalidOptions", subject: "widget inside", field: "(make)", detail: "threw: build failed" })
  })
})
