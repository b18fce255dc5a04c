/**
 * Point stepwise at an OpenAI-compatible server (vLLM, TGI, llama.cpp server, Ollama): the policy through the
 * Hugging Face client, a discriminative PRM served at `/pooling`, and beam search between them.
 *
 *   STEPWISE_ENDPOINT=http://localhost:8000 STEPWISE_MODEL=Qwen/Qwen2.5-Math-1.5B-Instruct \
 *   STEPWISE_PRM=Qwen/Qwen2.5-Math-PRM-7B STEPWISE_PRM_ENDPOINT=http://localhost:8001 npx tsx examples/openai-endpoint.ts
 *
 * With no STEPWISE_ENDPOINT it starts the simulator's loopback server and uses that (this is how CI runs it).
 */
import { Effect, Layer } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, Problem, ProcessRewardModel } from "@stepwise/core"
import { HuggingFace } from "@stepwise/models"
import { BeamSearch } from "@stepwise/search"
import { Presets, Server, World } from "@stepwise/simulator"
import { PoolingPrm } from "@stepwise/verifiers"

const question = (world: World.World): string =>
  process.env["STEPWISE_QUESTION"] ?? World.problems(world, { count: 1, seed: 21, difficulty: 2 })[0]!.question

export const program = Effect.gen(function* () {
  const world = World.make(Presets.calibrated)
  const endpoint = process.env["STEPWISE_ENDPOINT"] ?? (yield* Server.serve(world, { port: 0 })).url
  const model = process.env["STEPWISE_MODEL"] ?? World.modelName

  const policy = yield* HuggingFace.make({ endpointUrl: endpoint, model, kind: "vllm" })
  const verifier = yield* PoolingPrm.make({
    url: process.env["STEPWISE_PRM_ENDPOINT"] ?? endpoint,
    model: process.env["STEPWISE_PRM"] ?? model
  })
  const beam = yield* BeamSearch.make({ beams: 8, width: 4, stepTokens: 256, maxTokens: 1024, seed: 1 })
  const problem = Problem.make({
    id: "endpoint-example",
    question: question(world),
    system: "Solve step by step, separating steps with a blank line, and end with \\boxed{answer}."
  })

  const result = yield* beam.run(problem).pipe(
    Effect.provide(
      Layer.mergeAll(
        Layer.succeed(LanguageModel.LanguageModel, policy),
        Layer.succeed(ProcessRewardModel.ProcessRewardModel, verifier),
        Accountant.layer({ totalTokens: 20_000, verifierCalls: 200 })
      )
    )
  )
  console.log(`endpoint: ${endpoint} (${model})`)
  console.log(`answer:   ${result.answer ?? "none"}`)
  console.log(`spent:    ${result.spend.totalTokens} tokens, ${result.spend.verifierCalls} verifier calls`)
  return result
}).pipe(Effect.scoped)

if (import.meta.url === `file://${process.argv[1]}`) Effect.runPromise(program).catch((error) => {
  console.error(String(error))
  process.exit(1)
})
