import { Effect } from "effect"
import type { LanguageModelError, Problem } from "@stepwise/core"
import { LanguageModel, LogprobsUnavailable } from "@stepwise/core"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as TreeRecorder from "./TreeRecorder.js"

/**
 * Sampling with token logprobs, for the strategies that read token confidence (DeepConf, Self-Certainty).
 *
 * Whether a backend gives logprobs is decided by asking, not declared: the first request of a strategy runs alone
 * and its answer is checked before anything else is sent, so a backend that cannot give them fails the strategy at
 * its first call with `LogprobsUnavailable` (no probe request is spent: that first request is one the strategy
 * needs anyway). Every later answer is checked too, so a backend that drops them midway fails the same way instead
 * of feeding the strategy empty confidences.
 */

/** A request that asks for the sampled tokens' logprobs and `topLogprobs` alternatives per token. */
export const asking = (request: LanguageModel.GenerateRequest, topLogprobs: number): LanguageModel.GenerateRequest => ({
  ...request,
  logprobs: true,
  topLogprobs
})

/**
 * Fails with `LogprobsUnavailable` (naming the strategy and the backend) when a completion with text came back
 * without token logprobs, or, when alternatives were asked for, with none at any position.
 */
export const check = (
  strategy: string,
  completions: ReadonlyArray<LanguageModel.Completion>,
  topLogprobs: number
): Effect.Effect<void, LogprobsUnavailable, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    for (const completion of completions) {
      if (completion.text === "") continue
      const positions = completion.logprobs
      const detail =
        positions === undefined || positions.length === 0
          ? "the response has no token logprobs"
          : topLogprobs > 0 && positions.every((position) => position.top.length === 0)
            ? `the response has token logprobs but no top-${topLogprobs} alternatives`
            : undefined
      if (detail === undefined) continue
      const model = yield* LanguageModel.LanguageModel
      return yield* Effect.fail(new LogprobsUnavailable({ strategy, backend: model.info.name, detail }))
    }
  })

/** One rollout sampled with logprobs: its finished leaf in the tree and the completion (text, logprobs, usage). */
export interface Sampled {
  readonly leaf: number
  readonly completion: LanguageModel.Completion
}

/** What `sampleRollouts` takes. */
export interface SampleOptions {
  /** The strategy's name, for the error. */
  readonly strategy: string
  readonly n: number
  /** Samples per request (batched with `n`). */
  readonly batch: number
  readonly seed: number
  readonly sampling: Expansion.RolloutSampling
  readonly concurrency: number
  readonly topLogprobs: number
}

/**
 * Generates `n` rollouts of a node with token logprobs, in requests of at most `batch` samples under the seeds
 * `Seed.derive(seed, "rollout", i)` (those of `Expansion.sampleRollouts`, so the texts are the ones self-consistency
 * draws with the same batch and seed). The first request runs alone and is checked (`check`); the rest run up to
 * `concurrency` at once and are checked; then all are recorded in request order. Under a short budget it keeps
 * what fitted and marks the recorder exhausted.
 */
export const sampleRollouts = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  parentId: number,
  options: SampleOptions
): Effect.Effect<ReadonlyArray<Sampled>, LanguageModelError | LogprobsUnavailable, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const sizes: Array<number> = []
    for (let left = options.n; left > 0; left -= options.batch) sizes.push(Math.min(options.batch, left))
    const trajectory = TreeRecorder.node(recorder, parentId).trajectory
    const request = (size: number, index: number) =>
      Effect.andThen(
        TreeRecorder.expand(recorder, parentId, size),
        Expansion.generate(
          asking(
            Expansion.rolloutRequest(problem, trajectory, {
              n: size,
              seed: Seed.derive(options.seed, "rollout", index),
              temperature: options.sampling.temperature,
              maxTokens: options.sampling.maxTokens
            }),
            options.topLogprobs
          )
        )
      ).pipe(Effect.tap((generated) => check(options.strategy, generated.completions, options.topLogprobs)))
    const first = yield* request(sizes[0] ?? 0, 0)
    const rest =
      first.exhausted !== undefined
        ? []
        : yield* Effect.forEach(sizes.slice(1), (size, index) => request(size, index + 1), { concurrency: options.concurrency })
    const sampled: Array<Sampled> = []
    for (const generated of [first, ...rest]) {
      const leaves = yield* Expansion.recordRollouts(recorder, parentId, generated)
      leaves.forEach((leaf, index) => {
        const completion = generated.completions[index]
        if (completion !== undefined) sampled.push({ leaf, completion })
      })
    }
    return sampled
  })

