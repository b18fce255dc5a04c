import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Accountant } from "@stepwise/accountant"
import type { ProcessRewardModel } from "@stepwise/core"
import { LanguageModel, Problem, ProcessRewardModel as PRM } from "@stepwise/core"
import { BeamSearch, BestOfN } from "@stepwise/search"
import type { Strategy } from "@stepwise/search"
import { Presets, Server, World } from "@stepwise/simulator"
import { itEffect, Scripted } from "@stepwise/testing"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { HuggingFace, LlamaCpp, Replay, TinyLlama } from "../src/index.js"

const world = World.make(Presets.calibrated, { seed: 11 })
const [problem] = World.problems(world, { count: 1, seed: 4 })
if (problem === undefined) throw new Error("the world made no problem")

let server: Server.Handle
beforeAll(async () => {
  server = await Server.listen(world, { port: 0 })
})
afterAll(() => server.close())

const directory = mkdtempSync(join(tmpdir(), "stepwise-strategy-"))

/** Runs a strategy, unchanged, over a given policy and verifier under a fresh accountant. */
const runOver = (
  strategy: Strategy.Strategy,
  target: Problem.Problem,
  model: LanguageModel.Service,
  verifier: ProcessRewardModel.Service
) =>
  Effect.gen(function* () {
    const accountant = yield* Accountant.make({ totalTokens: 200_000 })
    const result = yield* strategy.run(target).pipe(
      Effect.provideService(LanguageModel.LanguageModel, model),
      Effect.provideService(PRM.ProcessRewardModel, verifier),
      Accountant.provide(accountant)
    )
    const snapshot = yield* accountant.snapshot
    return { result, spent: snapshot.spent }
  })

const summary = (outcome: { readonly result: { readonly answer: string | undefined; readonly spend: unknown; readonly tree: { readonly nodes: ReadonlyArray<{ readonly id: number; readonly parentId?: number | undefined; readonly text?: string }> } }; readonly spent: unknown }) => ({
  answer: outcome.result.answer,
  spend: outcome.result.spend,
  spent: outcome.spent,
  tree: outcome.result.tree.nodes.map((node) => [node.id, node.parentId, node.text])
})

describe("a search strategy runs unchanged over each backend", () => {
  itEffect("beam search over the Hugging Face backend equals beam search over the world itself", () =>
    Effect.gen(function* () {
      const strategy = yield* BeamSearch.make({ beams: 4, width: 2, stepTokens: 256, maxTokens: 2048, seed: 5 })
      const direct = yield* runOver(strategy, problem, world.languageModel, world.processRewardModel)
      const model = yield* HuggingFace.make({ endpointUrl: server.url, model: World.modelName, kind: "vllm" })
      const remote = yield* runOver(strategy, problem, model, world.processRewardModel)
      expect(direct.result.answer).toBeDefined()
      expect(summary(remote)).toEqual(summary(direct))
    })
  )

  itEffect("replaying a recorded beam search gives the identical result and spend, with no server", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const path = join(directory, "beam.sqlite")
        const strategy = yield* BeamSearch.make({ beams: 4, width: 2, stepTokens: 256, maxTokens: 2048, seed: 9 })
        const live = yield* HuggingFace.make({ endpointUrl: server.url, model: World.modelName, kind: "vllm" })
        const recorder = yield* Replay.make(live, { path })
        const recorded = yield* runOver(strategy, problem, recorder, world.processRewardModel)
        expect(recorder.stats().recorded).toBeGreaterThan(2)
        // the same backend pointed at a port where nothing listens: every request must come from the recording
        const offline = yield* HuggingFace.make({ endpointUrl: "http://127.0.0.1:9", model: World.modelName, kind: "vllm", retry: { times: 0, baseMillis: 1, capMillis: 1 } })
        const player = yield* Replay.make(offline, { path, mode: "replay" })
        const replayed = yield* runOver(strategy, problem, player, world.processRewardModel)
        expect(player.stats()).toEqual({ replayed: recorder.stats().recorded, recorded: 0 })
        expect(summary(replayed)).toEqual(summary(recorded))
        expect(replayed.result).toEqual(recorded.result)
      })
    )
  )

  itEffect("best-of-N over the llama.cpp backend (the tiny GGUF model) finds its boxed answer", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const modelPath = join(directory, "tiny.gguf")
        writeFileSync(modelPath, TinyLlama.bytes())
        const model = yield* LlamaCpp.make({ modelPath, sequences: 2, contextSize: 512, threads: 1 })
        const strategy = yield* BestOfN.make({ n: 4, maxTokens: 64, seed: 3 })
        const target = Problem.make({ id: "tiny", question: "What is 2 + 3?" })
        const verifier = Scripted.verifier((_, texts, index) => ((texts[index] ?? "").includes("5") ? 0.9 : 0.2))
        const outcome = yield* runOver(strategy, target, model, verifier)
        expect(["5", "6"]).toContain(outcome.result.answer)
        expect(outcome.result.candidates.length).toBe(4)
        expect(outcome.spent.outputTokens).toBeGreaterThan(4 * 10)
      })
    )
  )
})
