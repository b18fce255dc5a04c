/**
 * A tiny llama-architecture model, written as GGUF by our own code, that llama.cpp loads and runs: small random
 * `f32` weights plus a planted next-token table, so its greedy output is known in advance.
 *
 * Use it to test the llama.cpp backend (generation, tokenization, stop strings, logprobs) against a real engine
 * offline, or to demo the framework without downloading weights. The vocabulary is SentencePiece-style
 * (`tokenizer.ggml.model = "llama"`): `<unk>`, `<s>`, `</s>`, the 256 byte tokens `<0x00>`…`<0xFF>` (so any text
 * tokenizes), the space piece `▁`, and whole-word user-defined tokens that the tokenizer matches verbatim.
 *
 * How the table is planted: every token embedding is a random vector of RMS 1, and the output row of token `b`
 * holds `logit / embeddingLength` times the embedding of each token `a` that should be followed by `b`. After the
 * final RMS norm, the hidden state is close to the current token's embedding, so the logit of `b` is close to the
 * planted value while unrelated tokens score near 0 (the attention and feed-forward weights are small random
 * values: they run, but barely move the residual stream). The model is thus a bigram table with a margin of
 * ~30 logits, and two places with a close second choice (1 logit apart) for seeded sampling to find.
 *
 * @example
 * await fs.writeFile(path, TinyLlama.bytes())
 * // greedy answer to any chat prompt: TinyLlama.greedySteps.join("\n\n")
 */
import * as Gguf from "./Gguf.js"

/** A planted transition: after `from`, the model prefers `to` with these logits (highest first). */
export interface Transition {
  readonly from: string
  readonly to: ReadonlyArray<readonly [token: string, logit: number]>
}

/** The end-of-sequence token's text. */
export const endOfSequence = "</s>"

/** The chat template stored in the file (`tokenizer.chat_template`), a plain role-tag format. */
export const chatTemplate =
  "{% for message in messages %}<|{{ message.role }}|>{{ message.content }}\n{% endfor %}" +
  "{% if add_generation_prompt %}<|assistant|>{% endif %}"

/** The planted table: a two-step solution; at " get" and " is" the second choice is one logit behind. */
export const transitions: ReadonlyArray<Transition> = [
  { from: "<|assistant|>", to: [["First,", 32]] },
  { from: "First,", to: [[" add", 32]] },
  { from: " add", to: [[" 2", 32]] },
  { from: " 2", to: [[" and", 32]] },
  { from: " and", to: [[" 3", 32]] },
  { from: " 3", to: [[" to", 32]] },
  { from: " to", to: [[" get", 32]] },
  { from: " get", to: [[" 5.", 32], [" 6.", 31]] },
  { from: " 5.", to: [["\n\n", 32]] },
  { from: " 6.", to: [["\n\n", 32]] },
  { from: "\n\n", to: [["Therefore,", 32]] },
  { from: "Therefore,", to: [[" the", 32]] },
  { from: " the", to: [[" answer", 32]] },
  { from: " answer", to: [[" is", 32]] },
  { from: " is", to: [[" $\\boxed{5}$.", 32], [" $\\boxed{6}$.", 31]] },
  { from: " $\\boxed{5}$.", to: [[endOfSequence, 32]] },
  { from: " $\\boxed{6}$.", to: [[endOfSequence, 32]] }
]

/** The steps the model writes greedily after `<|assistant|>` (joined by "\n\n", then end of sequence). */
export const greedySteps: ReadonlyArray<string> = ["First, add 2 and 3 to get 5.", "Therefore, the answer is $\\boxed{5}$."]

/** Sizes and seed of the model. The defaults make a ~0.5 MB file that loads in milliseconds. */
export interface Options {
  readonly seed?: number
  readonly embeddingLength?: number
  readonly layers?: number
  readonly heads?: number
  readonly feedForwardLength?: number
  readonly contextLength?: number
  /** Standard deviation of the attention and feed-forward weights (default 0.02). */
  readonly weightScale?: number
}

const roleTags = ["<|system|>", "<|user|>", "<|assistant|>"]

/** The vocabulary in id order with each token's GGUF type (1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte). */
export const vocabulary = (): ReadonlyArray<{ readonly text: string; readonly type: number }> => {
  const tokens: Array<{ text: string; type: number }> = [
    { text: "<unk>", type: 2 },
    { text: "<s>", type: 3 },
    { text: endOfSequence, type: 3 }
  ]
  for (let byte = 0; byte < 256; byte++)
    tokens.push({ text: `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, type: 6 })
  // SentencePiece writes a space as "▁" before falling back to bytes; a normal "▁" token turns it back into a space.
  tokens.push({ text: "\u2581", type: 1 })
  const words = new Set<string>(roleTags)
  for (const transition of transitions) {
    words.add(transition.from)
    for (const [token] of transition.to) words.add(token)
  }
  words.delete(endOfSequence)
  for (const word of words) tokens.push({ text: word, type: 4 })
  return tokens
}

/** A small seeded generator (splitmix32) with Box–Muller normals: the weights are a pure function of the seed. */
const normals = (seed: number) => {
  let state = seed >>> 0
  const uniform = () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    z = (z ^ (z >>> 16)) >>> 0
    return (z + 0.5) / 4294967296
  }
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
}

/** The metadata and tensors of the model (pass to `Gguf.write`). */
export const contents = (options: Options = {}): Gguf.Contents => {
  const embedding = options.embeddingLength ?? 64
  const layers = options.layers ?? 2
  const heads = options.heads ?? 4
  const feedForward = options.feedForwardLength ?? 128
  const scale = options.weightScale ?? 0.02
  const normal = normals(options.seed ?? 1)
  const tokens = vocabulary()
  const idOf = new Map(tokens.map((token, id) => [token.text, id]))
  const vocabularySize = tokens.length

  const randomMatrix = (columns: number, rows: number, deviation: number) => {
    const data = new Float32Array(columns * rows)
    for (let index = 0; index < data.length; index++) data[index] = normal() * deviation
    return data
  }
  const ones = (length: number) => new Float32Array(length).fill(1)

  const embeddings = randomMatrix(embedding, vocabularySize, 1)
  for (let token = 0; token < vocabularySize; token++) {
    const row = embeddings.subarray(token * embedding, (token + 1) * embedding)
    const rms = Math.sqrt(row.reduce((total, value) => total + value * value, 0) / embedding)
    for (let index = 0; index < embedding; index++) row[index] = (row[index] ?? 0) / rms
  }
  const output = randomMatrix(embedding, vocabularySize, 0.01)
  for (const transition of transitions) {
    const from = idOf.get(transition.from)
    if (from === undefined) continue
    for (const [token, logit] of transition.to) {
      const to = idOf.get(token)
      if (to === undefined) continue
      for (let index = 0; index < embedding; index++)
        output[to * embedding + index] =
          (output[to * embedding + index] ?? 0) + (logit / embedding) * (embeddings[from * embedding + index] ?? 0)
    }
  }

  const tensors: Array<Gguf.Tensor> = [
    { name: "token_embd.weight", dimensions: [embedding, vocabularySize], data: embeddings },
    { name: "output_norm.weight", dimensions: [embedding], data: ones(embedding) },
    { name: "output.weight", dimensions: [embedding, vocabularySize], data: output }
  ]
  for (let layer = 0; layer < layers; layer++) {
    const prefix = `blk.${layer}.`
    tensors.push(
      { name: `${prefix}attn_norm.weight`, dimensions: [embedding], data: ones(embedding) },
      { name: `${prefix}attn_q.weight`, dimensions: [embedding, embedding], data: randomMatrix(embedding, embedding, scale) },
      { name: `${prefix}attn_k.weight`, dimensions: [embedding, embedding], data: randomMatrix(embedding, embedding, scale) },
      { name: `${prefix}attn_v.weight`, dimensions: [embedding, embedding], data: randomMatrix(embedding, embedding, scale) },
      { name: `${prefix}attn_output.weight`, dimensions: [embedding, embedding], data: randomMatrix(embedding, embedding, scale) },
      { name: `${prefix}ffn_norm.weight`, dimensions: [embedding], data: ones(embedding) },
      { name: `${prefix}ffn_gate.weight`, dimensions: [embedding, feedForward], data: randomMatrix(embedding, feedForward, scale) },
      { name: `${prefix}ffn_up.weight`, dimensions: [embedding, feedForward], data: randomMatrix(embedding, feedForward, scale) },
      { name: `${prefix}ffn_down.weight`, dimensions: [feedForward, embedding], data: randomMatrix(feedForward, embedding, scale) }
    )
  }

  const metadata: Array<readonly [string, Gguf.Value]> = [
    ["general.architecture", Gguf.string("llama")],
    ["general.name", Gguf.string("stepwise-tiny-llama")],
    ["general.alignment", Gguf.uint32(Gguf.defaultAlignment)],
    ["llama.context_length", Gguf.uint32(options.contextLength ?? 1024)],
    ["llama.embedding_length", Gguf.uint32(embedding)],
    ["llama.block_count", Gguf.uint32(layers)],
    ["llama.feed_forward_length", Gguf.uint32(feedForward)],
    ["llama.attention.head_count", Gguf.uint32(heads)],
    ["llama.attention.head_count_kv", Gguf.uint32(heads)],
    ["llama.attention.layer_norm_rms_epsilon", Gguf.float32(1e-5)],
    ["llama.rope.dimension_count", Gguf.uint32(embedding / heads)],
    ["llama.rope.freq_base", Gguf.float32(10000)],
    ["llama.vocab_size", Gguf.uint32(vocabularySize)],
    ["tokenizer.ggml.model", Gguf.string("llama")],
    ["tokenizer.ggml.tokens", Gguf.array("string", tokens.map((token) => token.text))],
    ["tokenizer.ggml.scores", Gguf.array("float32", tokens.map(() => 0))],
    ["tokenizer.ggml.token_type", Gguf.array("int32", tokens.map((token) => token.type))],
    ["tokenizer.ggml.bos_token_id", Gguf.uint32(1)],
    ["tokenizer.ggml.eos_token_id", Gguf.uint32(2)],
    ["tokenizer.ggml.unknown_token_id", Gguf.uint32(0)],
    ["tokenizer.ggml.add_bos_token", Gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", Gguf.bool(false)],
    ["tokenizer.ggml.add_space_prefix", Gguf.bool(false)],
    ["tokenizer.chat_template", Gguf.string(chatTemplate)]
  ]
  return { metadata, tensors }
}

/** The bytes of the model's GGUF file. */
export const bytes = (options: Options = {}): Uint8Array => Gguf.write(contents(options))
