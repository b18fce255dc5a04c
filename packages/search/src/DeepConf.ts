import { Effect } from "effect"
import { z } from "zod"
import type { LanguageModelError, Logprob, LogprobsUnavailable, Problem, SearchResult } from "@stepwise/core"
import { LanguageModel, SearchEvent, Step, Usage } from "@stepwise/core"
import * as Confidence from "./Confidence.js"
import * as Expansion from "./Expansion.js"
import * as Seed from "./internal/Seed.js"
import * as LogprobSampling from "./LogprobSampling.js"
import * as Run from "./Run.js"
import * as SearchOptions from "./SearchOptions.js"
import * as Selection from "./Selection.js"
import * as Strategy from "./Strategy.js"
import * as TreeRecorder from "./TreeRecorder.js"

/** The two ways DeepConf runs: all traces then filter and vote, or a warm-up then early-stopped traces. */
export const modes = ["online", "offline"] as const

/** The options of DeepConf (strict; defaults as the paper and its reference code, except where noted). */
export const options = z
  .object({
    mode: z
      .enum(modes)
      .default("online")
      .describe("offline: generate every trace, keep the most confident, vote; online: a warm-up sets a threshold, later traces stop when their confidence falls below it."),
    traces: Strategy.sizeOption()
      .default(64)
      .describe("N: traces in all, the warm-up included (the paper: 512 offline, 256 online; smaller here, the size knob)."),
    warmup: z
      .number()
      .int()
      .min(1)
      .default(16)
      .describe("Online: warm-up traces generated whole to set the threshold (the paper's N_init: 16); at most `traces` are used."),
    keep: z
      .number()
      .gt(0)
      .max(1)
      .default(0.1)
      .describe("η: the share of most confident traces kept (0.1: DeepConf-low, the reference default; 0.9: DeepConf-high)."),
    window: z
      .number()
      .int()
      .min(1)
      .default(2048)
      .describe("Tokens per group, the sliding window of group confidence (the paper: 2048; use a fraction of your traces' length)."),
    measure: z
      .enum(Confidence.measures)
      .default("lowest-group")
      .describe("Offline: the trace confidence that filters and weighs the vote (online always uses the lowest group, as the reference)."),
    bottomPercent: z.number().gt(0).max(1).default(0.1).describe("The share of lowest groups the `bottom-percent` measure averages (the paper: 10%)."),
    tailTokens: z.number().int().min(1).default(2048).describe("The last tokens the `tail` measure averages (the paper: 2048)."),
    consensus: z
      .union([z.number().gt(0).max(1), z.literal(false)])
      .default(0.95)
      .describe("Online: stop sampling new traces once the leading answer holds this share of the vote weight (the paper's τ: 0.95); false: never."),
    chunkTokens: z
      .number()
      .int()
      .min(1)
      .default(64)
      .describe("Online: a trace after the warm-up is generated in requests of this many tokens, checked after each (the reference stops inside the server, token by token)."),
    topLogprobs: z.number().int().min(1).max(20).default(20).describe("k: top alternatives per token that confidence averages (the reference: 20)."),
    batch: z.number().int().min(1).default(8).describe("Samples per request, batched with n; online, also the traces started together after the warm-up."),
    equivalence: Selection.equivalenceOption,
    ...SearchOptions.sampling,
    ...SearchOptions.running
  })
  .strict()

/** Options of DeepConf as a user writes them. */
export type Options = z.input<typeof options>

/** DeepConf's settings with defaults filled in. */
export type Settings = z.output<typeof options>

/** Emitted online once the warm-up has set the threshold: the threshold and the warm-up traces' lowest group confidences. */
export const thresholdSet = SearchEvent.define<{ readonly threshold: number; readonly warmup: ReadonlyArray<number> }>()("confidence-threshold")

/** Emitted online when a trace is stopped: its last node, the tokens it had, and the group confidence that fell below the threshold. */
export const traceStopped = SearchEvent.define<{ readonly nodeId: number; readonly tokens: number; readonly groupConfidence: number }>()("trace-stop")

/** What the body hands to the selection: the traces that vote (their confidences are their nodes' aggregates). */
interface State {
  readonly voters: ReadonlyArray<number>
}

/** A trace of the online phase while it is generated: its text so far, usage, logprobs, monitor. */
interface Trace {
  readonly index: number
  text: string
  usage: Usage.Usage
  logprobs: Array<Logprob.TokenLogprob>
  finishReason: Step.FinishReason
  outputTokens: number
  /** Set when the budget ended before this trace could go on. */
  cut: boolean
  readonly monitor: Confidence.Monitor
}

const measureSettings = (settings: Settings): Confidence.MeasureSettings => ({
  window: settings.window,
  bottomPercent: settings.bottomPercent,
  tailTokens: settings.tailTokens
})

// The voters' leading answer's share of the vote weight (0 when nobody votes).
const leadingShare = (recorder: TreeRecorder.Recorder, voters: ReadonlyArray<number>, equivalence: Selection.Equivalence): number => {
  const candidates = voters.map((id) => TreeRecorder.candidateOf(TreeRecorder.node(recorder, id)))
  const groups = Selection.groups(candidates, equivalence)
  const total = groups.reduce((sum, group) => sum + group.weight, 0)
  if (!(total > 0)) return 0
  return Math.max(...groups.map((group) => group.weight)) / total
}

const hasAnswer = (recorder: TreeRecorder.Recorder, id: number): boolean =>
  TreeRecorder.answerOf(TreeRecorder.node(recorder, id).trajectory) !== undefined

// Records the text of a trace that did not finish (stopped, or cut by the budget) as unfinished steps; the first carries the usage.
const recordUnfinished = (recorder: TreeRecorder.Recorder, trace: Trace): Effect.Effect<number> =>
  Effect.gen(function* () {
    const pieces = trace.text.split(Step.delimiter).filter((piece) => piece.trim() !== "")
    const texts = pieces.length === 0 ? [trace.text] : pieces
    let current = 0
    for (let index = 0; index < texts.length; index++) {
      const usage = index === 0 ? trace.usage : Usage.zero
      const step = Step.make({ text: texts[index] ?? "", usage, finishReason: index === texts.length - 1 ? trace.finishReason : "stop" })
      current = yield* TreeRecorder.add(recorder, current, step, { finished: false, usage })
    }
    return current
  })

const finished = (trace: Trace, maxTokens: number): boolean =>
  trace.finishReason !== "length" || trace.outputTokens >= maxTokens

// One wave of the online phase: `size` traces started in one request, then each continued in chunks while its
// window stays at or above the threshold. Returns the finished traces' leaves.
const wave = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  settings: Settings,
  name: string,
  number: number,
  size: number,
  threshold: number
): Effect.Effect<ReadonlyArray<number>, LanguageModelError | LogprobsUnavailable, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const chunk = Math.min(settings.chunkTokens, settings.maxTokens)
    yield* TreeRecorder.expand(recorder, 0, size)
    const first = yield* Expansion.generate(
      LogprobSampling.asking(
        Expansion.rolloutRequest(problem, TreeRecorder.node(recorder, 0).trajectory, {
          n: size,
          seed: Seed.derive(settings.seed, "wave", number),
          temperature: settings.temperature,
          maxTokens: chunk
        }),
        settings.topLogprobs
      )
    )
    yield* LogprobSampling.check(name, first.completions, settings.topLogprobs)
    if (first.exhausted !== undefined) yield* TreeRecorder.markExhausted(recorder, first.exhausted)
    const traces: Array<Trace> = first.completions.map((completion, index) => {
      const trace: Trace = {
        index,
        text: completion.text,
        usage: completion.usage,
        logprobs: [...(completion.logprobs ?? [])],
        finishReason: completion.finishReason,
        outputTokens: completion.usage.outputTokens ?? chunk,
        cut: false,
        monitor: Confidence.monitor(settings.window, threshold)
      }
      Confidence.observe(trace.monitor, Confidence.tokenConfidences(completion.logprobs ?? []))
      return trace
    })
    for (let round = 0; !TreeRecorder.isExhausted(recorder); round++) {
      // Only a trace whose window never fell below the threshold is continued.
      const pending = traces.filter((trace) => trace.monitor.stoppedAfter === undefined && !finished(trace, settings.maxTokens))
      if (pending.length === 0) break
      const results = yield* Effect.forEach(
        pending,
        (trace) => {
          const maxTokens = Math.min(chunk, settings.maxTokens - trace.outputTokens)
          return Effect.andThen(
            TreeRecorder.expand(recorder, 0, 1),
            Expansion.generate(
              LogprobSampling.asking(
                {
                  messages: problem.messages,
                  prefix: trace.text,
                  n: 1,
                  maxTokens,
                  minTokens: maxTokens,
                  temperature: settings.temperature,
                  seed: Seed.derive(settings.seed, "chunk", number, trace.index, round)
                },
                settings.topLogprobs
              )
            )
          )
        },
        { concurrency: settings.concurrency }
      )
      for (let index = 0; index < pending.length; index++) {
        const trace = pending[index]!
        const generated = results[index]!
        yield* LogprobSampling.check(name, generated.completions, settings.topLogprobs)
        const piece = generated.completions[0]
        if (piece === undefined) {
          trace.cut = true
          if (generated.exhausted !== undefined) yield* TreeRecorder.markExhausted(recorder, generated.exhausted)
          continue
        }
        trace.text += piece.text
        trace.usage = Usage.add(trace.usage, piece.usage)
        trace.logprobs.push(...(piece.logprobs ?? []))
        trace.finishReason = piece.finishReason
        trace.outputTokens += piece.usage.outputTokens ?? chunk
        Confidence.observe(trace.monitor, Confidence.tokenConfidences(piece.logprobs ?? []))
      }
    }
    const leaves: Array<number> = []
    for (const trace of traces) {
      const { stoppedAfter, stoppedAt } = trace.monitor
      if (stoppedAfter !== undefined && stoppedAt !== undefined) {
        const nodeId = yield* recordUnfinished(recorder, trace)
        yield* traceStopped.emit({ nodeId, tokens: trace.logprobs.length, groupConfidence: stoppedAt })
      } else if (trace.cut || !finished(trace, settings.maxTokens)) {
        yield* recordUnfinished(recorder, trace)
      } else {
        const leaf = yield* Expansion.recordRollout(recorder, 0, {
          index: trace.index,
          text: trace.text,
          finishReason: trace.finishReason,
          usage: trace.usage,
          logprobs: trace.logprobs
        })
        TreeRecorder.node(recorder, leaf).aggregate = Confidence.lowestGroup(Confidence.tokenConfidences(trace.logprobs), settings.window)
        leaves.push(leaf)
      }
    }
    return leaves
  })

const offline = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  settings: Settings,
  name: string
): Effect.Effect<State, LanguageModelError | LogprobsUnavailable, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const sampled = yield* LogprobSampling.sampleRollouts(problem, recorder, 0, {
      strategy: name,
      n: settings.traces,
      batch: settings.batch,
      seed: settings.seed,
      sampling: settings,
      concurrency: settings.concurrency,
      topLogprobs: settings.topLogprobs
    })
    for (const { leaf, completion } of sampled)
      TreeRecorder.node(recorder, leaf).aggregate = Confidence.traceConfidence(
        settings.measure,
        Confidence.tokenConfidences(completion.logprobs ?? []),
        measureSettings(settings)
      )
    // The reference filters among the traces with an answer: keep those at or above the (1 − η) percentile.
    const answered = sampled.map(({ leaf }) => leaf).filter((leaf) => hasAnswer(recorder, leaf))
    const confidenceOf = (leaf: number) => TreeRecorder.node(recorder, leaf).aggregate ?? 0
    const bar = Confidence.percentile(answered.map(confidenceOf), 100 * (1 - settings.keep))
    return { voters: answered.filter((leaf) => confidenceOf(leaf) >= bar) }
  })

const online = (
  problem: Problem.Problem,
  recorder: TreeRecorder.Recorder,
  settings: Settings,
  name: string,
  equivalence: Selection.Equivalence
): Effect.Effect<State, LanguageModelError | LogprobsUnavailable, LanguageModel.LanguageModel> =>
  Effect.gen(function* () {
    const warmup = Math.min(settings.warmup, settings.traces)
    const sampled = yield* LogprobSampling.sampleRollouts(problem, recorder, 0, {
      strategy: name,
      n: warmup,
      batch: settings.batch,
      seed: settings.seed,
      sampling: settings,
      concurrency: settings.concurrency,
      topLogprobs: settings.topLogprobs
    })
    if (sampled.length === 0) return { voters: [] }
    const warmupConfidences = sampled.map(({ leaf, completion }) => {
      const confidence = Confidence.lowestGroup(Confidence.tokenConfidences(completion.logprobs ?? []), settings.window)
      TreeRecorder.node(recorder, leaf).aggregate = confidence
      return confidence
    })
    // The reference: the (1 − η) percentile of every warm-up trace's lowest group confidence.
    const threshold = Confidence.percentile(warmupConfidences, 100 * (1 - settings.keep))
    yield* thresholdSet.emit({ threshold, warmup: warmupConfidences })
    const voters: Array<number> = sampled
      .filter(({ leaf }, index) => hasAnswer(recorder, leaf) && (warmupConfidences[index] ?? 0) >= threshold)
      .map(({ leaf }) => leaf)
    let remaining = settings.traces - warmup
    for (let number = 0; remaining > 0 && !TreeRecorder.isExhausted(recorder); number++) {
      if (settings.consensus !== false && leadingShare(recorder, voters, equivalence) >= settings.consensus) break
      const size = Math.min(settings.batch, remaining)
      remaining -= size
      const leaves = yield* wave(problem, recorder, settings, name, number, size, threshold)
      voters.push(...leaves.filter((leaf) => hasAnswer(recorder, leaf)))
    }
    return { voters }
  })

// The weighted vote among the voters; when none has an answer, among every finished trace with one.
const choose = (candidates: ReadonlyArray<SearchResult.Candidate>, state: State | undefined, equivalence: Selection.Equivalence) => {
  const voters = new Set(state?.voters ?? candidates.map((candidate) => candidate.nodeId))
  const voting = candidates.filter((candidate) => voters.has(candidate.nodeId) && candidate.answer !== undefined)
  return Selection.select(voting.length > 0 ? voting : candidates, "weighted", equivalence)
}

/**
 * DeepConf (Fu, Wang, Tian, Zhao 2025, "Deep Think with Confidence", arXiv 2508.15260; reference code
 * facebookresearch/deepconf: `deepconf-offline.py`, `deepconf-online.py`, `helper.py`, `analysis_offline.py`, and the
 * confidence-stop logits processor of its vLLM branch). Reward-free: it reads token confidence from the backend's
 * top-k logprobs (`Confidence`) and makes no verifier call. A backend without logprobs fails it at its first call
 * with `LogprobsUnavailable` (`LogprobSampling`).
 *
 * - Offline: N traces; each trace's confidence by `measure`; among the traces with an answer, those at or above the
 *   (1 − η) percentile vote, weighted by their confidence.
 * - Online: a warm-up of `warmup` whole traces; the threshold s is the (1 − η) percentile of their lowest group
 *   confidences; warm-up traces at or above s vote. Then traces start in waves of `batch`; each is generated in
 *   chunks of `chunkTokens` tokens and, as in the reference's logits processor, stops at the first token where the
 *   mean of its last `window` token confidences (a full window) falls below s — it is never continued after, and
 *   does not vote. Finished traces vote with their lowest group confidence. Before each wave, sampling ends when
 *   the leading answer holds `consensus` of the vote weight (the paper's adaptive sampling; with few voters
 *   that agree this is at once), or after N traces.
 *
 * Each finished trace's confidence is its candidate score. Chunking costs what the server-side stop does not: a
 * stopped trace may have run up to `chunkTokens − 1` tokens past the stop, and each chunk re-sends the prompt and
 * the trace so far (input tokens, cached by a server with prefix caching).
 */
export const entry = Strategy.define({
  kind: "deepconf",
  description: "Confidence-filtered, confidence-weighted vote over traces (offline) or early-stopped traces after a warm-up (online); needs token logprobs (arXiv 2508.15260).",
  options,
  size: { option: "traces", fromBudget: (budget, perSolution) => Strategy.solutionsIn(budget, perSolution) },
  build: (settings) => {
    const name = `deepconf-${settings.mode}-${settings.traces}`
    const equivalence = settings.equivalence ?? Selection.defaultEquivalence
    return {
      name,
      options: Strategy.describe(settings),
      run: (problem: Problem.Problem) =>
        Run.search<State>({
          strategy: name,
          problem,
          body: (recorder) =>
            settings.mode === "offline" ? offline(problem, recorder, settings, name) : online(problem, recorder, settings, name, equivalence),
          select: ({ candidates, state }) => choose(candidates, state, equivalence)
        })
    }
  }
})

/**
 * Makes DeepConf from options (validated; defaults filled in).
 *
 * @example
 * const strategy = yield* DeepConf.make({ mode: "online", traces: 32, warmup: 8, window: 32 })
 */
export const make = Strategy.maker(entry)
