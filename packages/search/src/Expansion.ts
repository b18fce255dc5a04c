import { Effect } from "effect"
import type { BudgetExhausted, LanguageModelError, Problem } from "@stepwise/core"
import { Admission, Answer, LanguageModel, Step, Trajectory, Usage } from "@stepwise/core"
import * as Seed from "./internal/Seed.js"
import type { Sampling } from "./SearchOptions.js"
import * as TreeRecorder from "./TreeRecorder.js"

const delimiter = Step.delimiter

/** What a generation to the end needs of the sampling settings: the temperature and the token limit. */
export type RolloutSampling = Pick<Sampling, "temperature" | "maxTokens">

/**
 * The assistant prefix of a trajectory under the step protocol: the steps joined by the delimiter, plus a
 * trailing delimiter when there is at least one step.
 */
export const prefixOf = (trajectory: Trajectory.Trajectory): string =>
  trajectory.length === 0 ? "" : Trajectory.text(trajectory, delimiter) + delimiter

/** What a request for a trajectory's continuation is built from: the sample count, seed and sampling settings. */
export interface RequestOptions {
  readonly n: number
  readonly seed: number
  readonly temperature: number
  readonly maxTokens: number
  /** Ask for the sampled tokens' logprobs (MCTS's PUCT priors read them). */
  readonly logprobs?: boolean
}

// The request that continues a trajectory; with `stop`, generation stops at those sequences.
const continuationRequest = (
  problem: Problem.Problem,
  trajectory: Trajectory.Trajectory,
  options: RequestOptions,
  stop: ReadonlyArray<string> | undefined
): LanguageModel.GenerateRequest => ({
  messages: problem.messages,
  prefix: prefixOf(trajectory),
  ...(stop === undefined ? {} : { stop }),
  n: options.n,
  maxTokens: options.maxTokens,
  minTokens: options.maxTokens,
  temperature: options.temperature,
  seed: options.seed,
  ...(options.logprobs === true ? { logprobs: true } : {})
})

/** The request for the next step of a trajectory: stops at the delimiter. */
export const nextStepRequest = (
  problem: Problem.Problem,
  trajectory: Trajectory.Trajectory,
  options: RequestOptions
): LanguageModel.GenerateRequest => continuationRequest(problem, trajectory, options, [delimiter])

/** The request that generates a trajectory to its end (no stop sequence). */
export const rolloutRequest = (
  problem: Problem.Problem,
  trajectory: Trajectory.Trajectory,
  options: RequestOptions
): LanguageModel.GenerateRequest => continuationRequest(problem, trajectory, options, undefined)

/** What a budget-aware generation returns: the completions it got, and the budget error that stopped it, if any. */
export interface Generated {
  readonly completions: ReadonlyArray<LanguageModel.Completion>
  readonly exhausted: BudgetExhausted | undefined
}

/**
 * Runs a request; when its worst case does not fit the budget, splits it into two halves (the second under a
 * derived seed, so no sample repeats) and keeps what fits. A request reserves its whole worst case
 * (`minTokens = maxTokens`), so a sample is never cut short by the budget.
 */
export const generate = (
  request: LanguageModel.GenerateRequest
): Effect.Effect<Generated, LanguageModelError, LanguageModel.LanguageModel> =>
  LanguageModel.generate(request).pipe(
    Effect.map((completions): Generated => ({ completions, exhausted: undefined })),
    Effect.catchTag("BudgetExhausted", (error) => {
      if (request.n <= 1) return Effect.succeed<Generated>({ completions: [], exhausted: error })
      const first = Math.ceil(request.n / 2)
      return Effect.flatMap(generate({ ...request, n: first }), (head) =>
        head.exhausted !== undefined
          ? Effect.succeed(head)
          : Effect.map(
              generate({ ...request, n: request.n - first, seed: Seed.derive(request.seed ?? 0, "split") }),
              (tail): Generated => ({ completions: [...head.completions, ...tail.completions], exhausted: tail.exhausted })
            )
      )
    })
  )

/** The output tokens of a trajectory's steps (a step whose count was not reported counts 0). */
export const outputTokensOf = (trajectory: Trajectory.Trajectory): number => {
  let total = 0
  for (let current: Trajectory.Trajectory | undefined = trajectory; current !== undefined && current.step !== undefined; current = current.parent)
    total += current.step.usage.outputTokens ?? 0
  return total
}

/**
 * True when a step ends its trajectory under the step protocol: the model's end of sequence, a final answer
 * (`\boxed`), an empty step (no progress), the step cap (`maxSteps`), or the trajectory's output tokens reaching
 * `maxTokens` (a whole solution's limit). A step cut by `stepTokens` does not end it (its generation is continued
 * before it is recorded, see `requestNextSteps`), unless `lengthEnds` (search-and-learn's beam search, whose step
 * limit is the whole solution's) is set.
 */
export const endsTrajectory = (
  step: Step.Step,
  depth: number,
  tokensSoFar: number,
  sampling: Sampling & { readonly lengthEnds?: boolean }
): boolean =>
  step.finishReason === "eos" ||
  (step.finishReason === "length" && sampling.lengthEnds === true) ||
  step.text.trim() === "" ||
  Answer.hasBoxed(step.text) ||
  depth >= sampling.maxSteps ||
  tokensSoFar + (step.usage.outputTokens ?? 0) >= sampling.maxTokens

/** A completion of a next-step request as a step. */
export const stepOf = (completion: LanguageModel.Completion): Step.Step =>
  Step.make({
    text: completion.text,
    usage: completion.usage,
    finishReason: completion.finishReason,
    ...(completion.logprobs === undefined ? {} : { logprobs: completion.logprobs })
  })

/**
 * Records one next-step completion under a node; returns the new node's id.
 * The step ends the trajectory per `endsTrajectory`.
 */
export const recordStep = (
  recorder: TreeRecorder.Recorder,
  parentId: number,
  completion: LanguageModel.Completion,
  sampling: Sampling & { readonly lengthEnds?: boolean }
): Effect.Effect<number> => {
  const step = stepOf(completion)
  const parent = TreeRecorder.node(recorder, parentId)
  const finished = endsTrajectory(step, parent.depth + 1, outputTokensOf(parent.trajectory), sampling)
  return TreeRecorder.add(recorder, parentId, step, { finished, usage: completion.usage })
}

/**
 * The pieces of a rollout as steps: split on the delimiter, and what follows the last piece with a `\boxed{}` (a
 * model's closing line, "I hope this helps!") kept with that piece, so the finished step holds the answer, as
 * search-and-learn reads the completion's last box.
 */
export const rolloutSteps = (text: string): ReadonlyArray<string> => {
  const pieces = text.split(delimiter).filter((piece) => piece.trim() !== "")
  if (pieces.length === 0) return [text]
  let boxed = pieces.length - 1
  while (boxed >= 0 && !Answer.hasBoxed(pieces[boxed]!)) boxed--
  return boxed < 0 || boxed === pieces.length - 1 ? pieces : [...pieces.slice(0, boxed), pieces.slice(boxed).join(delimiter)]
}

/**
 * Records a rollout (a completion generated to the end) under a node as a chain of steps (`rolloutSteps`); the
 * first step carries the call's usage, the last is finished. Returns the last node's id.
 */
export const recordRollout = (
  recorder: TreeRecorder.Recorder,
  parentId: number,
  completion: LanguageModel.Completion
): Effect.Effect<number> =>
  Effect.gen(function* () {
    const texts = rolloutSteps(completion.text)
    let current = parentId
    for (let index = 0; index < texts.length; index++) {
      const last = index === texts.length - 1
      const step = Step.make({
        text: texts[index] ?? "",
        usage: index === 0 ? completion.usage : Usage.zero,
        finishReason: last ? (completion.finishReason === "stop" ? "eos" : completion.finishReason) : "stop"
      })
      current = yield* TreeRecorder.add(recorder, current, step, { finished: last, usage: step.usage })
    }
    return current
  })

/** What a next-step generation takes: how many steps, the seed, the sampling, and a temperature overriding its own. */
export interface NextStepOptions {
  readonly n: number
  readonly seed: number
  readonly sampling: Sampling & { readonly lengthEnds?: boolean }
  readonly temperature?: number
  /** Ask for the sampled tokens' logprobs. */
  readonly logprobs?: boolean
}

/**
 * Generates `n` next steps of a node in one request (batched with `n`) and records them; returns the new ids.
 * Hitting the budget marks the recorder exhausted and returns what fitted.
 */
export const expandNode = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  options: NextStepOptions
): Effect.Effect<ReadonlyArray<number>, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const generated = yield* requestNextSteps(problem, recorder, parentId, options)
    return yield* recordNextSteps(recorder, parentId, generated, options.sampling)
  })

// Marks a node expanded by `options.n` children and generates with the request `build` makes from its trajectory.
const requestFrom = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  build: (problem: Problem.Problem, trajectory: Trajectory.Trajectory, options: RequestOptions) => LanguageModel.GenerateRequest,
  options: RequestOptions
): Effect.Effect<Generated, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.andThen(
    TreeRecorder.expand(recorder, parentId, options.n),
    generate(build(problem, TreeRecorder.node(recorder, parentId).trajectory, options))
  )

// Marks the recorder exhausted when the generation hit the budget, then records each completion in order.
const recordEach = (
  recorder: TreeRecorder.Recorder,
  generated: Generated,
  record: (completion: LanguageModel.Completion) => Effect.Effect<number>
): Effect.Effect<ReadonlyArray<number>> =>
  Effect.gen(function* () {
    if (generated.exhausted !== undefined) yield* TreeRecorder.markExhausted(recorder, generated.exhausted)
    const ids: Array<number> = []
    for (const completion of generated.completions) ids.push(yield* record(completion))
    return ids
  })

// One more piece of a step cut by its token limit: the same step continued (no delimiter inserted), stopping at the
// delimiter, within what is left of the trajectory's token cap. The pieces' texts, logprobs and usages are joined.
const continueStep = (
  problem: Problem.Problem,
  trajectory: Trajectory.Trajectory,
  completion: LanguageModel.Completion,
  options: { readonly seed: number; readonly temperature: number; readonly stepTokens: number; readonly left: number; readonly logprobs?: boolean }
): Effect.Effect<{ readonly completion: LanguageModel.Completion; readonly exhausted: BudgetExhausted | undefined }, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    let current = completion
    let spent = completion.usage.outputTokens ?? options.stepTokens
    for (let round = 0; current.finishReason === "length" && spent < options.left; round++) {
      const maxTokens = Math.min(options.stepTokens, options.left - spent)
      const request: LanguageModel.GenerateRequest = {
        messages: problem.messages,
        prefix: prefixOf(trajectory) + current.text,
        stop: [delimiter],
        n: 1,
        maxTokens,
        minTokens: maxTokens,
        temperature: options.temperature,
        seed: Seed.derive(options.seed, "continue", completion.index, round),
        ...(options.logprobs === true ? { logprobs: true } : {})
      }
      const generated = yield* generate(request)
      const piece = generated.completions[0]
      if (piece === undefined) return { completion: current, exhausted: generated.exhausted }
      spent += piece.usage.outputTokens ?? maxTokens
      current = {
        index: current.index,
        text: current.text + piece.text,
        finishReason: piece.finishReason,
        usage: Usage.add(current.usage, piece.usage),
        ...(current.logprobs === undefined || piece.logprobs === undefined ? {} : { logprobs: [...current.logprobs, ...piece.logprobs] })
      }
    }
    return { completion: current, exhausted: undefined }
  })

/**
 * The generation half of `expandNode` (no recording): safe to run concurrently, record in a fixed order after.
 * A step cut by `stepTokens` is continued (the same step, no delimiter inserted) until it stops, ends, or the
 * trajectory reaches `maxTokens`, so a cut step never ends a trajectory by itself.
 */
export const requestNextSteps = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  options: NextStepOptions
): Effect.Effect<Generated, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const temperature = options.temperature ?? options.sampling.temperature
    const trajectory = TreeRecorder.node(recorder, parentId).trajectory
    // What is left of the trajectory's token cap (at least one token: a trajectory at its cap is already finished).
    const left = Math.max(1, options.sampling.maxTokens - outputTokensOf(trajectory))
    const generated = yield* requestFrom(problem, recorder, parentId, nextStepRequest, {
      n: options.n,
      seed: options.seed,
      temperature,
      maxTokens: Math.min(options.sampling.stepTokens, left),
      ...(options.logprobs === true ? { logprobs: true } : {})
    })
    if (options.sampling.lengthEnds === true || generated.completions.every((completion) => completion.finishReason !== "length"))
      return generated
    let exhausted = generated.exhausted
    const completions: Array<LanguageModel.Completion> = []
    for (const completion of generated.completions) {
      if (completion.finishReason !== "length" || exhausted !== undefined) {
        completions.push(completion)
        continue
      }
      const continued = yield* continueStep(problem, trajectory, completion, {
        seed: options.seed,
        temperature,
        stepTokens: options.sampling.stepTokens,
        left,
        ...(options.logprobs === true ? { logprobs: true } : {})
      })
      completions.push(continued.completion)
      exhausted = exhausted ?? continued.exhausted
    }
    return { completions, exhausted }
  })

/** The recording half of `expandNode`. */
export const recordNextSteps = (
  recorder: TreeRecorder.Recorder,
  parentId: number,
  generated: Generated,
  sampling: Sampling & { readonly lengthEnds?: boolean }
): Effect.Effect<ReadonlyArray<number>> =>
  recordEach(recorder, generated, (completion) => recordStep(recorder, parentId, completion, sampling))

/** Generates `n` rollouts of a node (no recording). */
export const requestRollouts = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  options: { readonly n: number; readonly seed: number; readonly sampling: RolloutSampling }
): Effect.Effect<Generated, LanguageModelError, LanguageModel.LanguageModel> =>
  requestFrom(problem, recorder, parentId, rolloutRequest, {
    n: options.n,
    seed: options.seed,
    temperature: options.sampling.temperature,
    maxTokens: options.sampling.maxTokens
  })

/** Records rollouts; returns the ids of their finished leaves. */
export const recordRollouts = (
  recorder: TreeRecorder.Recorder,
  parentId: number,
  generated: Generated
): Effect.Effect<ReadonlyArray<number>> =>
  recordEach(recorder, generated, (completion) => recordRollout(recorder, parentId, completion))

/**
 * Generates `n` rollouts of a node in requests of at most `batch` samples (request i under the seed
 * `Seed.derive(seed, "rollout", i)`), up to `concurrency` requests at once, then records them in request order;
 * returns the ids of their finished leaves. Use for sample-then-select strategies (best-of-N, self-consistency).
 *
 * @example
 * const leaves = yield* Expansion.sampleRollouts(problem, recorder, 0, { n: 16, batch: 8, seed: 0, sampling, concurrency: 8 })
 */
export const sampleRollouts = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  options: {
    readonly n: number
    readonly batch: number
    readonly seed: number
    readonly sampling: RolloutSampling
    readonly concurrency: number
  }
): Effect.Effect<ReadonlyArray<number>, LanguageModelError, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const sizes: Array<number> = []
    for (let left = options.n; left > 0; left -= options.batch) sizes.push(Math.min(options.batch, left))
    const generated = yield* Admission.forEach(
      sizes,
      (size, index) =>
        requestRollouts(problem, recorder, parentId, {
          n: size,
          seed: Seed.derive(options.seed, "rollout", index),
          sampling: options.sampling
        }),
      { concurrency: options.concurrency }
    )
    const leaves: Array<number> = []
    for (const each of generated) leaves.push(...(yield* recordRollouts(recorder, parentId, each)))
    return leaves
  })

/** One round of `sampleRolloutsUntil`, as its `stop` sees it. */
export interface Round {
  /** The round's number, from 0. */
  readonly index: number
  /** The finished leaves this round recorded. */
  readonly leaves: ReadonlyArray<number>
  /** The finished leaves of every round so far, this one included. */
  readonly all: ReadonlyArray<number>
}

/**
 * Generates rollouts of a node in rounds of at most `batch` samples, one after another (round i under the seed
 * `Seed.derive(seed, "rollout", i)`, as `sampleRollouts`' requests), recording each round before the next, until
 * `maxSamples` leaves are drawn, the budget ends, or `stop`, asked after each round, says so. Returns every leaf,
 * and the last round's leaves when `stop` ended it. Use for strategies that decide between rounds whether to sample
 * more (early-stopping self-consistency, adaptive-consistency).
 */
export const sampleRolloutsUntil = <E, R>(
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  options: { readonly maxSamples: number; readonly batch: number; readonly seed: number; readonly sampling: RolloutSampling },
  stop: (round: Round) => Effect.Effect<boolean, E, R>
): Effect.Effect<
  { readonly leaves: ReadonlyArray<number>; readonly stoppedAt: ReadonlyArray<number> | undefined },
  LanguageModelError | E,
  LanguageModel.LanguageModel | R
> =>
  Effect.gen(function* () {
    const all: Array<number> = []
    for (let index = 0; all.length < options.maxSamples; index++) {
      const generated = yield* requestRollouts(problem, recorder, parentId, {
        n: Math.min(options.batch, options.maxSamples - all.length),
        seed: Seed.derive(options.seed, "rollout", index),
        sampling: options.sampling
      })
      const leaves = yield* recordRollouts(recorder, parentId, generated)
      all.push(...leaves)
      if (generated.exhausted !== undefined) break
      if (yield* stop({ index, leaves, all })) return { leaves: all, stoppedAt: leaves }
    }
    return { leaves: all, stoppedAt: undefined }
  })
