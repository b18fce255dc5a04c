import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { Message, Registry } from "@stepwise/core"
import { itEffect } from "@stepwise/testing"
import { Backends, Tokenizer } from "../src/index.js"
import * as ServerShapes from "./fixtures/ServerShapes.js"

/**
 * A byte-pair tokenizer.json written here (a character vocabulary, three merges, whitespace pre-tokenizer), read by
 * `@huggingface/tokenizers` exactly as a model's own would be.
 */
const characters = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,"]
const merges = [["a", "d"], ["ad", "d"], ["t", "o"]] as const
const vocabulary: Record<string, number> = { "<unk>": 0 }
for (const piece of [...characters, ...merges.map(([left, right]) => left + right)]) vocabulary[piece] = Object.keys(vocabulary).length
const tokenizerJson = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [{ id: 0, content: "<unk>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
  normalizer: null,
  pre_tokenizer: { type: "Whitespace" },
  post_processor: null,
  decoder: null,
  model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab: vocabulary, merges: merges.map((pair) => pair.join(" ")) }
}
const folder = mkdtempSync(join(tmpdir(), "stepwise-tokenizer-"))
const model = join(folder, "model")
mkdirSync(model)
writeFileSync(join(model, "tokenizer.json"), JSON.stringify(tokenizerJson))
writeFileSync(join(model, "tokenizer_config.json"), JSON.stringify({ model_max_length: 4096 }))

describe("Tokenizer.fromTokenizerJson and fromPath", () => {
  itEffect("counts with a tokenizer.json: merges count once, other words by character", () =>
    Effect.gen(function* () {
      const tokenizer = yield* Tokenizer.fromTokenizerJson(join(model, "tokenizer.json"))
      // add | to | F i r s t | , | 2 → 1 + 1 + 5 + 1 + 1
      expect(tokenizer.count("add to First, 2")).toBe(9)
      const fromFolder = yield* Effect.scoped(Tokenizer.fromPath(model))
      expect(fromFolder.count("add to First, 2")).toBe(9)
    })
  )

  itEffect("names tokenizer and the path for a file it cannot read", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(Effect.scoped(Tokenizer.fromPath(join(folder, "none"))))
      expect(missing).toMatchObject({ _tag: "InvalidOptions", field: "tokenizer" })
      writeFileSync(join(folder, "broken.json"), "{ not json")
      expect(yield* Effect.flip(Tokenizer.fromTokenizerJson(join(folder, "broken.json")))).toMatchObject({ field: "tokenizer" })
    })
  )

  itEffect("a server that reports no usage is counted with the backend's tokenizer, marked estimated", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const url = yield* ServerShapes.serveText(
          JSON.stringify({ id: "x", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "add to 2" }, finish_reason: "stop" }] })
        )
        const made = yield* Registry.make(Backends.registry, "openai-compatible", { url, model: "m", tokenizer: "model" }, { baseDirectory: folder, environment: () => undefined })
        const [completion] = yield* made.languageModel.generate({ messages: [Message.user("hi")], n: 1, maxTokens: 8 })
        expect(completion?.usage).toMatchObject({ outputTokens: 3, estimated: true })
      })
    )
  )
})
