import { Effect, Result } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import type { InvalidOptions } from "@stepwise/core"
import { Options, Registry } from "@stepwise/core"
import type { Strategies, Strategy } from "@stepwise/search"
import * as ApiError from "./ApiError.js"
import type * as ChatRequest from "./ChatRequest.js"
import * as Limits from "./Limits.js"

/**
 * What one request runs: the strategy kind and its validated options (defaults filled in), the strategy made from
 * them, and the budget it runs under (capped by the server's limits). Chosen by the model name
 * (`a-star:<model>`), the body's `stepwise` field or `X-Stepwise-*` headers; whichever names a thing, two that
 * disagree are a 400.
 */
export interface Choice {
  readonly kind: string
  readonly options: Readonly<Record<string, unknown>>
  readonly strategy: Strategy.Strategy
  readonly budget: Limits.Effective
  /** The model name as the client wrote it (echoed in responses). */
  readonly model: string
}

/** The server's side of a choice: the registry, the default strategy, the upstream's model name and the limits. */
export interface Defaults {
  readonly strategies: Strategies.Any
  readonly kind: string
  readonly options: Readonly<Record<string, unknown>>
  readonly model: string
  readonly limits: Limits.Resolved["request"]
}

/**
 * The `X-Stepwise-*` headers a request may send, by name (lower case), with what each sets: each budget field has
 * `x-stepwise-budget-<field>` (`deadlineMillis` too), and the deadline also the shorter `x-stepwise-deadline-ms`.
 */
export const headers = {
  "x-stepwise-strategy": "strategy",
  "x-stepwise-options": "options",
  "x-stepwise-budget-total-tokens": "totalTokens",
  "x-stepwise-budget-input-tokens": "inputTokens",
  "x-stepwise-budget-output-tokens": "outputTokens",
  "x-stepwise-budget-verifier-calls": "verifierCalls",
  "x-stepwise-budget-verifier-tokens": "verifierTokens",
  "x-stepwise-budget-cost": "cost",
  "x-stepwise-budget-deadline-millis": "deadlineMillis",
  "x-stepwise-deadline-ms": "deadlineMillis"
} as const

/** What the headers say, before it is merged with the body. */
interface FromHeaders {
  readonly strategy?: string
  readonly options?: Readonly<Record<string, unknown>>
  readonly budget: Limits.Written
  /** The header that set each budget field (for messages naming it). */
  readonly budgetFrom: Readonly<Partial<Record<keyof Limits.Written, string>>>
}

/** A JSON object from text, or `undefined` when the text is not one. */
const jsonObject = (text: string): Readonly<Record<string, unknown>> | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

const headerValue = (value: string | ReadonlyArray<string> | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : value.join(",")

/** Plain decimal digits, as a budget header's integer is written (no sign, exponent, hex or separators). */
const decimalInteger = /^[0-9]+$/

/** A plain decimal number, as the cost header is written: digits, then a point and digits when it has a fraction. */
const decimalNumber = /^[0-9]+(?:\.[0-9]+)?$/

/**
 * A budget header's value: a plain decimal integer (the cost a plain decimal number), ≥ 0 (the deadline ≥ 1), or a
 * 400 naming the header. `0x10`, `1e3` and `+5` are refused, not read as numbers.
 */
const budgetValue = (name: string, target: keyof Limits.Written, value: string): Result.Result<number, ApiError.ApiError> => {
  const integer = target !== "cost"
  const least = target === "deadlineMillis" ? 1 : 0
  const number = Number(value)
  const plain = integer ? decimalInteger.test(value) && Number.isSafeInteger(number) : decimalNumber.test(value) && Number.isFinite(number)
  return plain && number >= least
    ? Result.succeed(number)
    : Result.fail(
        ApiError.invalid(name, `${name} must be ${integer ? "an integer" : "a number"} ≥ ${least} in plain decimal digits, got ${JSON.stringify(value)}`)
      )
}

/**
 * Reads the `X-Stepwise-*` headers. An unknown `X-Stepwise-` header (a misspelling) is a 400 naming it and the
 * known ones; a budget header must be a plain decimal number ≥ 0 (an integer but for the cost; the deadline ≥ 1),
 * the options header a JSON object. Two headers that set the deadline differently are a 400.
 */
export const fromHeaders = (incoming: IncomingHttpHeaders): Result.Result<FromHeaders, ApiError.ApiError> => {
  const budget: Partial<Record<keyof Limits.Written, number>> = {}
  const budgetFrom: Partial<Record<keyof Limits.Written, string>> = {}
  let strategy: string | undefined
  let options: Readonly<Record<string, unknown>> | undefined
  for (const [name, raw] of Object.entries(incoming)) {
    if (!name.startsWith("x-stepwise-")) continue
    const value = headerValue(raw)?.trim() ?? ""
    if (!Object.hasOwn(headers, name)) {
      const suggestion = Options.closest(name, Object.keys(headers))
      return Result.fail(
        ApiError.invalid(name, `${name} is not a stepwise header${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`} (allowed: ${Object.keys(headers).join(", ")})`)
      )
    }
    const target = headers[name as keyof typeof headers]
    if (target === "strategy") strategy = value
    else if (target === "options") {
      const object = jsonObject(value)
      if (object === undefined) return Result.fail(ApiError.invalid(name, `${name} must be a JSON object of the strategy's options`))
      options = object
    } else {
      const number = budgetValue(name, target, value)
      if (Result.isFailure(number)) return Result.fail(number.failure)
      const earlier = budgetFrom[target]
      if (earlier !== undefined && budget[target] !== number.success)
        return Result.fail(ApiError.invalid(name, `${name} and ${earlier} both set the ${target === "deadlineMillis" ? "deadline" : `${target} limit`}, differently: give it once`))
      budget[target] = number.success
      budgetFrom[target] = earlier ?? name
    }
  }
  return Result.succeed({ ...(strategy === undefined ? {} : { strategy }), ...(options === undefined ? {} : { options }), budget, budgetFrom })
}

/** Which field named what, for messages about conflicts. */
interface Named<A> {
  readonly value: A
  readonly from: string
}

const one = <A>(what: string, candidates: ReadonlyArray<Named<A> | undefined>, same: (left: A, right: A) => boolean): Result.Result<Named<A> | undefined, ApiError.ApiError> => {
  const given = candidates.filter((candidate): candidate is Named<A> => candidate !== undefined)
  const [first, ...rest] = given
  const other = rest.find((candidate) => first !== undefined && !same(candidate.value, first.value))
  if (first !== undefined && other !== undefined)
    return Result.fail(ApiError.invalid(other.from, `${other.from} and ${first.from} both set the ${what}, differently: give it once`))
  return Result.succeed(first)
}

/**
 * Splits a model name into the strategy kind and the upstream model: the upstream's name alone (the default
 * strategy), or `<kind>:<upstream model>`. Another model is OpenAI's 404 (`invalid_request_error`,
 * `model_not_found`); an unknown kind a 400 naming the registered ones.
 */
export const parseModel = (model: string, defaults: Pick<Defaults, "strategies" | "model">): Result.Result<{ readonly kind: string | undefined }, ApiError.ApiError> => {
  if (model === defaults.model) return Result.succeed({ kind: undefined })
  const colon = model.indexOf(":")
  const rest = colon < 0 ? undefined : model.slice(colon + 1)
  if (colon < 0 || rest !== defaults.model)
    return Result.fail(
      new ApiError.ApiError({
        status: 404,
        type: "invalid_request_error",
        param: "model",
        code: "model_not_found",
        detail: `model ${JSON.stringify(model)} does not exist: use ${JSON.stringify(defaults.model)} or "<strategy>:${defaults.model}" (see GET /v1/models)`
      })
    )
  const kind = model.slice(0, colon)
  if (!Object.hasOwn(defaults.strategies.entries, kind)) {
    const suggestion = Options.closest(kind, defaults.strategies.kinds)
    return Result.fail(
      ApiError.invalid(
        "model",
        `${JSON.stringify(kind)} is not a registered strategy${suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`} (allowed: ${defaults.strategies.kinds.join(", ")})`
      )
    )
  }
  return Result.succeed({ kind })
}

const sameJson = (left: unknown, right: unknown) => JSON.stringify(left) === JSON.stringify(right)

/**
 * Resolves what a request runs from its body and headers: the strategy (model prefix, `stepwise.strategy` or
 * `X-Stepwise-Strategy`, else the server's default), its options validated by the registry (a misspelt option is a
 * 400 naming the field and the allowed keys), the request's `seed` as the strategy's seed when it takes one and
 * the options give none, and the budget (`stepwise.budget` and `X-Stepwise-Budget-*` headers, `max_tokens` as the
 * output-token limit when neither sets one) capped by the server's limits.
 */
export const resolve = (request: ChatRequest.Body, incoming: IncomingHttpHeaders, defaults: Defaults): Effect.Effect<Choice, ApiError.ApiError> =>
  Effect.gen(function* () {
    const fromModel = yield* Effect.fromResult(parseModel(request.model, defaults))
    const fromHeader = yield* Effect.fromResult(fromHeaders(incoming))
    const extension = request.stepwise ?? {}
    const kindNamed = yield* Effect.fromResult(one<string>(
      "strategy",
      [
        fromModel.kind === undefined ? undefined : { value: fromModel.kind, from: "model" },
        extension.strategy === undefined ? undefined : { value: extension.strategy, from: "stepwise.strategy" },
        fromHeader.strategy === undefined ? undefined : { value: fromHeader.strategy, from: "x-stepwise-strategy" }
      ],
      (left, right) => left === right
    ))
    const optionsNamed = yield* Effect.fromResult(one<Readonly<Record<string, unknown>>>(
      "strategy options",
      [
        extension.options === undefined ? undefined : { value: extension.options, from: "stepwise.options" },
        fromHeader.options === undefined ? undefined : { value: fromHeader.options, from: "x-stepwise-options" }
      ],
      sameJson
    ))
    const kind = kindNamed?.value ?? defaults.kind
    const kindFrom = kindNamed?.from ?? "stepwise.strategy"
    const entry = yield* Registry.lookup(defaults.strategies, kind).pipe(
      Effect.mapError((error) => ApiError.invalid(kindFrom, `${kindFrom} ${error.detail} (allowed: ${(error.allowed ?? []).join(", ")})`))
    )
    const given = optionsNamed?.value ?? (kind === defaults.kind ? defaults.options : {})
    const seed = request.seed ?? undefined
    const seeded = seed !== undefined && Options.keysAt(entry.options, []).includes("seed") && !("seed" in given) ? { ...given, seed } : given
    const optionsFrom = optionsNamed?.from ?? "stepwise.options"
    const parsed = yield* Registry.parse(defaults.strategies, kind, seeded).pipe(Effect.mapError((error) => ApiError.fromInvalidOptions(optionsFrom, error)))
    // Typed here: the registry's entries make strategies (an `Any` registry's entry type is too loose to say so).
    // Through `Registry.make`, which fails a plugin's make that throws or returns no Effect with InvalidOptions.
    const made = Registry.make(defaults.strategies, kind, seeded, undefined) as Effect.Effect<Strategy.Strategy, InvalidOptions>
    const strategy = yield* made.pipe(Effect.mapError((error) => ApiError.fromInvalidOptions(optionsFrom, error)))

    const written: Record<string, number> = {}
    const bodyBudget = extension.budget ?? {}
    for (const key of Object.keys(Limits.budget.shape) as ReadonlyArray<keyof Limits.Written>) {
      const header = fromHeader.budgetFrom[key] ?? key
      const value = yield* Effect.fromResult(one<number>(
        `${key} limit`,
        [
          bodyBudget[key] === undefined ? undefined : { value: bodyBudget[key], from: `stepwise.budget.${key}` },
          fromHeader.budget[key] === undefined ? undefined : { value: fromHeader.budget[key], from: header }
        ],
        (left, right) => left === right
      ))
      if (value !== undefined) written[key] = value.value
    }
    const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined
    if (written["outputTokens"] === undefined && maxTokens !== undefined) written["outputTokens"] = maxTokens
    return {
      kind,
      options: parsed.options,
      strategy,
      budget: Limits.effective(written as Limits.Written, defaults.limits),
      model: request.model
    }
  })
