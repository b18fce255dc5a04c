import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, it } from "vitest"
import { Backend, Vitest } from "@stepwise/conformance"
import { Message } from "@stepwise/core"
import { Presets, Server, World } from "@stepwise/simulator"
import { HuggingFace, LlamaCpp, Replay, TinyLlama } from "../src/index.js"

// Every built-in backend runs the backend conformance suite.

const world = World.make(Presets.calibrated, { seed: 7 })
const [problem] = World.problems(world, { count: 1, seed: 1 })
if (problem === undefined) throw new Error("the world made no problem")
const chatMl =
  "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}" +
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
const noRetry = { times: 0, baseMillis: 1, capMillis: 1 }

/** A loopback server over the world for the length of a case. */
const served = Effect.map(Server.serve(world, { port: 0 }), (address) => address.url)

for (const kind of ["vllm", "tgi", "llama.cpp", "openai-compatible"] as const)
  Vitest.register(
    { describe, it },
    `HuggingFace (${kind}) over the simulator's loopback server`,
    Backend.cases({
      name: `huggingface-${kind}`,
      make: Effect.flatMap(served, (url) => HuggingFace.make({ endpointUrl: url, model: World.modelName, kind, chatTemplate: chatMl })),
      messages: problem.messages,
      seeded: true,
      failing: [
        {
          label: "the server is not there",
          make: HuggingFace.make({ endpointUrl: "http://127.0.0.1:1", model: World.modelName, kind, chatTemplate: chatMl, retry: noRetry }),
          error: "Unavailable"
        }
      ]
    })
  )

const modelPath = join(mkdtempSync(join(tmpdir(), "stepwise-conformance-")), "tiny.gguf")
writeFileSync(modelPath, TinyLlama.bytes())

Vitest.register(
  { describe, it },
  "LlamaCpp (real engine, the tiny GGUF written by TinyLlama)",
  Backend.cases({
    name: "llama.cpp",
    make: LlamaCpp.make({ modelPath, sequences: 2, contextSize: 512, threads: 1 }),
    messages: [Message.system("Solve step by step."), Message.user("What is 2 + 3?")],
    endsWithin: 64,
    logprobs: true,
    seeded: true
  }),
  60_000
)

Vitest.register(
  { describe, it },
  "Replay over the simulator's policy",
  Backend.cases({
    name: "replay",
    make: Replay.make(world.languageModel, { path: ":memory:" }),
    messages: problem.messages,
    seeded: true
  })
)
