import { Effect, Layer } from "effect"
import { Answer, InvalidOptions, LanguageModel, Problem, ProcessRewardModel, Trajectory, Usage, VerifierError } from "@stepwise/core"
import * as Environment from "./Environment.js"
import * as Latency from "./Latency.js"
import * as Latent from "./Latent.js"
import * as Policy from "./Policy.js"
import type { Preset } from "./Preset.js"
import * as Preset_ from "./Preset.js"
import * as RewardModel from "./RewardModel.js"
import * as Seeded from "./Seeded.js"
import * as Tokens from "./Tokens.js"
import * as WordProblem from "./WordProblem.js"

/**
 * A simulated reasoning world: seeded arithmetic word problems with known answers, a policy that solves them step
 * by step and errs like a small model (latent difficulty, traps, digressions), a discriminative PRM with a
 * configured AUROC and real PRMs' biases, and ThinkPRM-style verification. The default backend of stepwise's
 * tests, examples and benchmarks.
 *
 * @example
 * const world = World.make(Presets.calibrated, { seed: 7 })
 * const problems = World.problems(world, { count: 50, seed: 1 })
 * const result = yield* strategy.run(problems[0]).pipe(Effect.provide(World.layer(world)))
 */
export interface World {
  readonly preset: Preset
  readonly seed: number
  /** The policy: follows the step protocol and answers ThinkPRM verification prompts. */
  readonly languageModel: LanguageModel.Service
  /** The discriminative PRM. */
  readonly processRewardModel: ProcessRewardModel.Service
  /** Shared state of the world's parts (preset, seed, caches). */
  readonly environment: Environment.Environment
}

/** Options of `make`. */
export interface Options {
  /** The world's seed: a different seed is a different model over the same problems. Default 0. */
  readonly seed?: number
  /** Optional latency model (virtual time via `Clock`). */
  readonly latency?: Latency.Options
  /** Options of the policy's `LanguageModel.make` wrapper (retries, timeout). */
  readonly languageModel?: LanguageModel.MakeOptions
}

/** The model name the world reports (and the server serves). */
export const modelName = "stepwise-sim"

/**
 * Makes a world from a preset. Throws `InvalidOptions` (naming the field) when the preset or options are invalid;
 * use `makeEffect` to get that as a typed failure instead.
 */
export const make = (preset: Preset, options: Options = {}): World => {
  const problem = check(preset, options)
  if (problem !== undefined) throw problem
  const seed = options.seed ?? 0
  const environment = Environment.make(preset, seed)
  const timed = Latency.wrap(options.latency)
  const languageModel = LanguageModel.make(
    {
      info: { name: "simulator", model: modelName },
      countInputTokens: (request) => Tokens.prompt(request.messages, request.prefix),
      generate: (request) => timed(() => Policy.complete(environment, request))
    },
    options.languageModel ?? {}
  )
  const processRewardModel = ProcessRewardModel.make({
    info: { name: "simulator-prm" },
    maxTokens: (target, trajectory) => RewardModel.tokensOf(target.question, Trajectory.stepTexts(trajectory)),
    score: (target, trajectory) => {
      const known = WordProblem.recognize(target.question)
      if (known === undefined)
        return Effect.fail(new VerifierError({ verifier: "simulator-prm", detail: `not a problem of this world: ${target.id}` }))
      return Effect.sync(() => {
        const texts = Trajectory.stepTexts(trajectory)
        return {
          stepScores: RewardModel.scores(environment, known, texts),
          usage: Usage.make({ inputTokens: RewardModel.tokensOf(target.question, texts), outputTokens: 0, cachedInputTokens: 0 })
        }
      })
    }
  })
  return { preset, seed, languageModel, processRewardModel, environment }
}

const check = (preset: Preset, options: Options): InvalidOptions | undefined => {
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    return new InvalidOptions({ subject: "simulator world", field: "seed", detail: `must be an integer, got ${options.seed}` })
  return Preset_.validate(preset) ?? (options.latency === undefined ? undefined : Latency.validate(options.latency))
}

/** `make` as an effect that fails with `InvalidOptions` instead of throwing. */
export const makeEffect = (preset: Preset, options: Options = {}): Effect.Effect<World, InvalidOptions> =>
  Effect.suspend(() => {
    const problem = check(preset, options)
    return problem === undefined ? Effect.succeed(make(preset, options)) : Effect.fail(problem)
  })

/** Options of `problems`. */
export interface ProblemOptions {
  readonly count: number
  /** Seed of the problem set (independent of the world's seed). Default 0. */
  readonly seed?: number
  /** Only this difficulty level (1..5) instead of the preset's mix. */
  readonly difficulty?: number
}

const difficultyFrom = (mix: ReadonlyArray<number>, u: number): number => {
  const total = mix.reduce((sum, weight) => sum + weight, 0)
  let cumulative = 0
  for (let level = 0; level < mix.length; level++) {
    cumulative += (mix[level] ?? 0) / total
    if (u < cumulative) return level + 1
  }
  return mix.length
}

/** Turns a generated word problem into a core `Problem` with the world's system prompt. */
export const toProblem = (problem: WordProblem.WordProblem): Problem.Problem =>
  Problem.make({
    id: `sim-${problem.key.toString(16).padStart(8, "0")}`,
    question: problem.question,
    system: Policy.systemPrompt,
    reference: String(problem.answer),
    metadata: { difficulty: problem.difficulty, steps: problem.operations.length, source: "stepwise-sim" }
  })

/**
 * A seeded problem set, difficulty drawn from the preset's mix (or fixed). Difficulty is in
 * `problem.metadata.difficulty` (1..5), the answer in `problem.reference`. Throws `InvalidOptions` naming the
 * field for a bad count, seed or difficulty.
 *
 * @example
 * const problems = World.problems(world, { count: 50, seed: 1 })
 */
export const problems = (world: World, options: ProblemOptions): ReadonlyArray<Problem.Problem> => {
  const invalid = (field: string, detail: string) => new InvalidOptions({ subject: "World.problems", field, detail })
  if (!(Number.isSafeInteger(options.count) && options.count >= 0)) throw invalid("count", `must be an integer ≥ 0, got ${options.count}`)
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw invalid("seed", `must be an integer, got ${options.seed}`)
  if (options.difficulty !== undefined && !(Number.isInteger(options.difficulty) && options.difficulty >= 1 && options.difficulty <= 5))
    throw invalid("difficulty", `must be an integer in 1..5, got ${options.difficulty}`)
  const result: Array<Problem.Problem> = []
  const seed = options.seed ?? 0
  const seen = new Set<string>()
  for (let index = 0; result.length < options.count && index < options.count * 4 + 16; index++) {
    const draw = Seeded.uniform(Seeded.key(seed, index, "difficulty"))
    const level = options.difficulty ?? difficultyFrom(world.preset.difficultyMix, draw)
    const generated = WordProblem.generate(level, Seeded.key(seed, index))
    if (seen.has(generated.question)) continue
    seen.add(generated.question)
    result.push(toProblem(generated))
  }
  return result
}

/** The ground truth of a problem of this world (its operations, chain and trap), or `undefined` for others. */
export const groundTruth = (problem: Problem.Problem): WordProblem.WordProblem | undefined =>
  WordProblem.recognize(problem.question)

/**
 * True when an answer (the boxed content, or a text holding `\boxed{…}`) is the problem's right answer.
 *
 * @example
 * World.isCorrect(world, problem, "204")
 */
export const isCorrect = (_world: World, problem: Problem.Problem, answer: string | undefined): boolean => {
  if (answer === undefined) return false
  const truth = WordProblem.recognize(problem.question)?.answer ?? (problem.reference === undefined ? undefined : Number(problem.reference))
  if (truth === undefined || Number.isNaN(truth)) return false
  const boxed = Answer.hasBoxed(answer) ? Answer.extractBoxed(answer) : answer
  if (boxed === undefined) return false
  const normalized = Answer.normalize(boxed).replace(/,/g, "")
  if (normalized.length === 0) return false
  const value = Number(normalized)
  return Number.isFinite(value) && value === truth
}

/** The latent facts of a problem in this world (latent difficulty, trap, fooled verifiers, solve probability). */
export const latent = (
  world: World,
  problem: Problem.Problem,
  temperature = world.preset.policy.referenceTemperature
): (Latent.Latent & { readonly solveProbability: number; readonly trapStep: number | undefined }) | undefined => {
  const known = WordProblem.recognize(problem.question)
  if (known === undefined) return undefined
  const facts = Environment.latentOf(world.environment, known)
  return {
    ...facts,
    solveProbability: Latent.solveProbability(world.preset, known, facts, temperature),
    trapStep: facts.trapActive ? known.trap?.step : undefined
  }
}

/**
 * The world's policy and PRM as a layer.
 *
 * @example
 * Effect.provide(strategy.run(problem), World.layer(world))
 */
export const layer = (world: World): Layer.Layer<LanguageModel.LanguageModel | ProcessRewardModel.ProcessRewardModel> =>
  Layer.merge(
    Layer.succeed(LanguageModel.LanguageModel, world.languageModel),
    Layer.succeed(ProcessRewardModel.ProcessRewardModel, world.processRewardModel)
  )
