import { Effect, Result } from "effect"
import leven from "leven"
import { z } from "zod"
import { InvalidOptions } from "./Errors.js"

/**
 * Validation of what users write (strategy, verifier, backend and cost-model options, recipes, command-line
 * JSON) with zod schemas: strict objects (an unknown key is an error, never ignored) whose defaults are declared in
 * the schema. A failure becomes one `InvalidOptions` that names the field, says what was expected and what came,
 * and lists the option names allowed at that level (with a "did you mean" for a misspelt key).
 */

/** A zod schema of options: any zod type, in practice a strict object with defaults. */
export type Schema = z.ZodType

const describeValue = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === "function") return "a function"
  if (Array.isArray(value)) return value.length === 0 ? "an empty array" : `an array of ${value.length}`
  if (value === null) return "null"
  if (typeof value === "object") return "an object"
  return String(value)
}

const valueAt = (input: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let current = input
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

// Removes the wrappers around a schema (optional, default, nullable, …) to reach the type inside.
const unwrap = (schema: z.ZodType): z.ZodType => {
  let current: z.ZodType = schema
  for (let depth = 0; depth < 16; depth++) {
    const definition = (current as unknown as { readonly def: { readonly type: string; readonly innerType?: z.ZodType; readonly in?: z.ZodType } }).def
    if (definition.innerType !== undefined) current = definition.innerType
    else if (definition.type === "pipe" && definition.in !== undefined) current = definition.in
    else break
  }
  return current
}

// The object schemas among a union's members, nested unions included.
const objectMembers = (options: ReadonlyArray<z.ZodType>): ReadonlyArray<z.ZodType> =>
  options.flatMap((option) => {
    const inner = unwrap(option)
    if (inner instanceof z.ZodObject) return [inner]
    if (inner instanceof z.ZodUnion) return objectMembers((inner as unknown as { readonly def: { readonly options: ReadonlyArray<z.ZodType> } }).def.options)
    return []
  })

// The member of a union that the input at this point selects: by its discriminator when there is one, else the
// first member that accepts the input, else (an object that no member accepts, a misspelt key say) the union's one
// object member when it has exactly one.
const memberOf = (schema: z.ZodType, input: unknown): z.ZodType | undefined => {
  const definition = (schema as unknown as { readonly def: { readonly options?: ReadonlyArray<z.ZodType>; readonly discriminator?: string } }).def
  const options = definition.options ?? []
  const discriminator = definition.discriminator
  if (discriminator !== undefined && input !== null && typeof input === "object") {
    const wanted = (input as Record<string, unknown>)[discriminator]
    for (const option of options) {
      const inner = unwrap(option)
      if (!(inner instanceof z.ZodObject)) continue
      const tag = (inner.shape as Record<string, z.ZodType>)[discriminator]
      if (tag instanceof z.ZodLiteral && tag.values.has(wanted as never)) return inner
    }
    return undefined
  }
  const accepting = options.find((option) => option.safeParse(input).success)
  if (accepting !== undefined || input === null || typeof input !== "object") return accepting
  const objects = objectMembers(options)
  return objects.length === 1 ? objects[0] : undefined
}

/**
 * The option names accepted by the object schema at `path` inside `schema` (empty when that is no object).
 * Unions are resolved by the `input` at that point (a discriminated union by its discriminator).
 *
 * @example
 * Options.keysAt(z.object({ n: z.number() }), []) // ["n"]
 */
export const keysAt = (schema: z.ZodType, path: ReadonlyArray<PropertyKey>, input?: unknown): ReadonlyArray<string> => {
  let current = unwrap(schema)
  let value = input
  const resolveUnion = () => {
    for (let depth = 0; depth < 8 && current instanceof z.ZodUnion; depth++) {
      const member = memberOf(current, value)
      if (member === undefined) return
      current = unwrap(member)
    }
  }
  resolveUnion()
  for (const key of path) {
    if (current instanceof z.ZodObject) {
      const next = (current.shape as Record<string, z.ZodType>)[String(key)]
      if (next === undefined) return []
      current = unwrap(next)
    } else if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType)
    else if (current instanceof z.ZodRecord) current = unwrap(current.valueType as z.ZodType)
    else return []
    value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined
    resolveUnion()
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : []
}

/** The closest of `candidates` to a misspelt `key`, when one is near enough to be a likely typo. */
export const closest = (key: string, candidates: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    const distance = leven(key.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

/**
 * The name a near miss most likely meant: the `closest`, else the one that starts with the miss's stem (all but its
 * last three characters, at least four): `strategy` → `strategies`, `costModel` → `costModels`.
 */
export const nearest = (given: string, names: ReadonlyArray<string>): string | undefined =>
  closest(given, names) ?? names.find((name) => name.startsWith(given.slice(0, Math.max(4, given.length - 3))))

const bound = (issue: z.core.$ZodIssue & { readonly code: "too_small" | "too_big" }): string => {
  const limit = issue.code === "too_small" ? issue.minimum : issue.maximum
  const origin = issue.origin
  if (origin === "string") return `${issue.code === "too_small" ? "at least" : "at most"} ${String(limit)} characters long`
  if (origin === "array" || origin === "set") return `${issue.code === "too_small" ? "at least" : "at most"} ${String(limit)} entries long`
  const sign = issue.code === "too_small" ? (issue.inclusive === false ? ">" : "≥") : issue.inclusive === false ? "<" : "≤"
  return `a number ${sign} ${String(limit)}`
}

// "must be one of …, got …", with the likely intended choice when the value is a misspelt one of them.
const oneOf = (choices: ReadonlyArray<unknown>, value: unknown, got: string): string => {
  const suggestion = typeof value === "string" ? closest(value, choices.filter((each): each is string => typeof each === "string")) : undefined
  return `must be one of ${choices.map((each) => JSON.stringify(each)).join(", ")}${got}${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}`
}

const detailOf = (issue: z.core.$ZodIssue, input: unknown): string => {
  const got = `, got ${describeValue(valueAt(input, issue.path))}`
  switch (issue.code) {
    case "invalid_type":
      return `must be ${issue.expected === "int" ? "an integer" : `of type ${issue.expected}`}${got}`
    case "too_small":
    case "too_big":
      return `must be ${bound(issue)}${got}`
    case "invalid_value":
      return oneOf(issue.values, valueAt(input, issue.path), got)
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}${got}`
    case "invalid_format":
      return `must be a valid ${issue.format}${got}`
    case "invalid_union": {
      // A discriminated union names the discriminator's values (a recipe's dataset kind, say).
      const options = (issue as { readonly options?: ReadonlyArray<unknown> }).options
      return options === undefined || options.length === 0 ? `${issue.message}${got}` : oneOf(options, valueAt(input, issue.path), got)
    }
    default:
      return issue.message
  }
}

/**
 * The `InvalidOptions` of a failed parse (an unknown key first, else the first issue): the field path (dotted),
 * what was expected and what came, and the option names allowed at that level.
 */
export const errorOf = (subject: string, schema: z.ZodType, input: unknown, error: z.ZodError): InvalidOptions => {
  // A misspelt key explains the other issues it causes (a required field "missing"), so it is named first.
  const issue = error.issues.find((each) => each.code === "unrecognized_keys") ?? error.issues[0]
  if (issue === undefined) return new InvalidOptions({ subject, field: "", detail: "are invalid" })
  if (issue.code === "unrecognized_keys") {
    const allowed = keysAt(schema, issue.path, input)
    const key = issue.keys[0] ?? ""
    const suggestion = closest(key, allowed)
    return new InvalidOptions({
      subject,
      field: [...issue.path, key].map(String).join("."),
      detail: `is not an option${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`}`,
      allowed
    })
  }
  const field = issue.path.map(String).join(".")
  // A refinement's issue (a duplicate label, a width that does not divide the beams) is about a value, not a key:
  // the keys of its level would say nothing there.
  const allowed = issue.code === "custom" ? [] : keysAt(schema, issue.path.slice(0, -1), input)
  return new InvalidOptions({
    subject,
    field: field === "" ? "(options)" : field,
    detail: detailOf(issue, input),
    // An empty list would read "takes no options"; where the parent is not an object, say nothing instead.
    ...(allowed.length === 0 ? {} : { allowed })
  })
}

/**
 * Validates options against a schema, filling in its defaults; a failure is an `InvalidOptions` naming the
 * field and the allowed keys. Synchronous, for edges that are not Effect code.
 */
export const decode = <S extends z.ZodType>(schema: S, input: unknown, subject: string): Result.Result<z.output<S>, InvalidOptions> => {
  const parsed = schema.safeParse(input)
  return parsed.success ? Result.succeed(parsed.data) : Result.fail(errorOf(subject, schema, input, parsed.error))
}

/**
 * Validates options against a schema, filling in its defaults; fails with `InvalidOptions` naming the field and
 * the allowed keys.
 *
 * @example
 * const settings = yield* Options.parse(BestOfN.options, { n: 16 }, "best-of-n")
 */
export const parse = <S extends z.ZodType>(schema: S, input: unknown, subject: string): Effect.Effect<z.output<S>, InvalidOptions> =>
  Effect.fromResult(decode(schema, input, subject))

/** The JSON Schema (draft 2020-12) of options as a user writes them: types, ranges, defaults, descriptions. */
export const jsonSchema = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>

/** The defaults a schema fills in for empty options (`{}`), or `undefined` when empty options are not valid. */
export const defaultsOf = (schema: z.ZodType): Readonly<Record<string, unknown>> | undefined => {
  const parsed = schema.safeParse({})
  return parsed.success && typeof parsed.data === "object" && parsed.data !== null ? (parsed.data as Record<string, unknown>) : undefined
}

/**
 * A schema for a function-valued option (code only: recipes and the command line cannot give one).
 *
 * @example
 * const normalize = Options.code<(answer: string) => string>("a function from an answer to its vote key")
 */
export const code = <F extends (...parameters: ReadonlyArray<never>) => unknown>(description: string): z.ZodType<F, F> =>
  z.custom<F>((value) => typeof value === "function", { message: `must be ${description}` }).describe(`${description} (code only)`)
