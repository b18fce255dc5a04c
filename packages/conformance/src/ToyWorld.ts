import { Duration, Effect } from "effect"
import { LanguageModel, Problem, ProcessRewardModel, Trajectory, Unavailable, Usage, VerifierError } from "@stepwise/core"

/**
 * The step world the strategy conformance suite searches: every solution has `depth` steps; each step is "good" or
 * "bad" with a chance set by a hash of (request seed, sample index, temperature, prefix); the last step boxes 42
 * when every step was good, else a wrong answer. The verifier scores good steps high and bad steps low (with a
 * little hashed noise). Everything is deterministic per request seed and metered through the real `make`s.
 *
 * @example
 * const model = ToyWorld.languageModel()
 * const verifier = ToyWorld.verifier()
 * strategy.run(ToyWorld.problem) // with both provided, and an accountant
 */

/** Steps in every solution. */
export const depth = 4

/** The right answer of `problem`. */
export const correct = "42"

/** The problem every case solves. */
export const problem = Problem.make({
  id: "toy-1",
  system: "Solve step by step. Separate steps by a blank line; end with \\boxed{answer}.",
  question: "What is six times seven?",
  reference: correct
})

/** A non-negative 31-bit hash of the parts (FNV-1a with a final avalanche): the world's only randomness. */
export const hash = (...parts: ReadonlyArray<number | string>): number => {
  let value = 0x811c9dc5
  for (const part of parts) {
    const text = typeof part === "number" ? `#${part}` : `$${part}`
    for (let index = 0; index < text.length; index++) {
      value ^= text.charCodeAt(index)
      value = Math.imul(value, 0x01000193) >>> 0
    }
    value ^= 0x2f
    value = Math.imul(value, 0x01000193) >>> 0
  }
  value ^= value >>> 16
  value = Math.imul(value, 0x85ebca6b) >>> 0
  value ^= value >>> 13
  value = Math.imul(value, 0xc2b2ae35) >>> 0
  value ^= value >>> 16
  return value & 0x7fffffff
}

const stepsOf = (prefix: string | undefined): ReadonlyArray<string> =>
  prefix === undefined || prefix === "" ? [] : prefix.split("\n\n").filter((piece) => piece !== "").map((piece) => piece.replace(/ \.+$/, ""))

const nextStep = (previous: ReadonlyArray<string>, draw: number, errorRate: number): string => {
  const index = previous.length + 1
  const good = draw >= errorRate
  const allGood = good && previous.every((step) => step.includes("good"))
  const quality = good ? "good" : "bad"
  if (index < depth) return `Step ${index}: ${quality} ${Math.floor(draw * 1000)}`
  const wrong = 40 + Math.floor(draw * 3)
  return `Step ${index}: ${quality} so \\boxed{${allGood ? correct : wrong}}`
}

// A step padded with dots to at least `length` characters (0: no padding).
const padded = (step: string, length: number): string => (step.length >= length ? step : step + " " + ".".repeat(length - step.length - 1))

// The next step (one) or every step to the end, each padded.
const restOf = (
  previous: ReadonlyArray<string>,
  request: LanguageModel.GenerateRequest,
  index: number,
  errorRate: number,
  stepLength: number,
  one = false
): ReadonlyArray<string> => {
  const steps = [...previous]
  const produced: Array<string> = []
  while (steps.length < depth && (produced.length === 0 || !one)) {
    const draw = hash(request.seed ?? 0, index, request.temperature ?? 1, steps.join("|")) / 0x7fffffff
    const step = nextStep(steps, request.temperature === 0 ? Math.max(draw, errorRate) : draw, errorRate)
    steps.push(step)
    produced.push(padded(step, stepLength))
  }
  return produced
}

/**
 * The policy's text for one sample of a request: one step (with stop) or the rest of the solution (without).
 * With `stepLength`, every step is padded to that many characters, so a step longer than a request's token limit
 * comes back cut (`length`); a request whose prefix ends inside a step gets that step's rest, as a model
 * continuing its own text would.
 */
export const respond = (request: LanguageModel.GenerateRequest, index: number, errorRate = 0.3, stepLength = 0): string => {
  const prefix = request.prefix ?? ""
  const steps = [...stepsOf(prefix)]
  if (prefix !== "" && !prefix.endsWith("\n\n")) {
    steps.pop()
    const partial = prefix.slice(prefix.lastIndexOf("\n\n") + 2)
    const header = partial.replace(/ \.*$/, "").trim()
    const rest = padded(header, stepLength).slice(partial.length)
    return request.stop === undefined ? [rest, ...restOf([...steps, header], request, index, errorRate, stepLength)].join("\n\n") : rest
  }
  return restOf(steps, request, index, errorRate, stepLength, request.stop !== undefined).join("\n\n")
}

const noRetry = { retry: { times: 0, baseMillis: 1, capMillis: 1 } }

// One token per character of the messages and prefix.
const inputTokens = (request: LanguageModel.GenerateRequest): number =>
  request.messages.reduce((total, message) => total + message.content.length, 0) + (request.prefix?.length ?? 0)

// A sample's text cut at the request's token limit (one token per character), with its finish reason.
const sample = (request: LanguageModel.GenerateRequest, index: number, text: string, first: boolean): LanguageModel.Completion => {
  const cut = text.length > request.maxTokens
  const kept = cut ? text.slice(0, request.maxTokens) : text
  return {
    index,
    text: kept,
    finishReason: cut ? "length" : "stop",
    usage: Usage.make({ inputTokens: first ? inputTokens(request) : 0, outputTokens: kept.length, cachedInputTokens: 0 })
  }
}

/** Options of the toy policy. */
export interface ModelSettings {
  /** Chance that a step is bad (default 0.3). */
  readonly errorRate?: number
  /** Pads every step to this many characters, so steps come back cut by small token limits (default 0: none). */
  readonly stepLength?: number
  /** Waits this long in each call (default 0), so a search can be interrupted mid-call. */
  readonly delayMillis?: number
}

/** The toy policy through the real `LanguageModel.make` (one token per character). */
export const languageModel = (settings: ModelSettings = {}): LanguageModel.Service => {
  const generate = (request: LanguageModel.GenerateRequest) =>
    Effect.sync(() =>
      Array.from({ length: request.n }, (_, index) =>
        sample(request, index, respond(request, index, settings.errorRate ?? 0.3, settings.stepLength ?? 0), index === 0)
      )
    )
  const delay = settings.delayMillis ?? 0
  return LanguageModel.make(
    {
      info: { name: "toy-world" },
      countInputTokens: inputTokens,
      generate: delay > 0 ? (request) => Effect.andThen(Effect.sleep(Duration.millis(delay)), generate(request)) : generate
    },
    noRetry
  )
}

/**
 * The toy verifier: good steps ≈ 0.85, bad ≈ 0.25, hashed noise ±0.1; one verifier call per scoring, reporting
 * `tokensPerCall` input tokens (default 0).
 */
export const verifier = (tokensPerCall = 0): ProcessRewardModel.Service =>
  ProcessRewardModel.make({
    info: { name: "toy-world" },
    maxTokens: () => tokensPerCall,
    score: (_problem, trajectory) =>
      Effect.sync(() => ({
        stepScores: Trajectory.stepTexts(trajectory).map((text) => {
          const noise = (hash(text) / 0x7fffffff - 0.5) * 0.2
          return Math.min(1, Math.max(0, (text.includes("good") ? 0.85 : 0.25) + noise))
        }),
        usage: Usage.make({ inputTokens: tokensPerCall, outputTokens: 0 })
      }))
  })

/** A policy that always fails with `Unavailable` (no retries). */
export const failingModel = (): LanguageModel.Service =>
  LanguageModel.make(
    {
      info: { name: "toy-world-down" },
      countInputTokens: inputTokens,
      generate: () => Effect.fail(new Unavailable({ backend: "toy-world-down", detail: "down" }))
    },
    noRetry
  )

/** A verifier that always fails with `VerifierError`. */
export const failingVerifier = (): ProcessRewardModel.Service =>
  ProcessRewardModel.make({
    info: { name: "toy-world-down" },
    score: () => Effect.fail(new VerifierError({ verifier: "toy-world-down", detail: "always fails" }))
  })
