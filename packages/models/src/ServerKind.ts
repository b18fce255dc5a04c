/**
 * What stepwise knows about each kind of inference server it talks to through `HuggingFace`: how it continues a
 * partial answer, whether it honours `n`, which extra fields it accepts, what its `/v1/completions` logprobs look
 * like, and its usual address and API-key variable. One row per kind; the `HuggingFace` backend and the backend
 * registry (`Endpoints`) read from here, so a new server kind is one row plus one registry entry.
 */

/** The kinds of server. */
export const kinds = ["vllm", "sglang", "tgi", "llama.cpp", "ollama", "openai", "openai-compatible", "provider"] as const

/** A kind of server. */
export type ServerKind = (typeof kinds)[number]

/** How a partial assistant answer is continued (see `HuggingFace`). */
export type Continuation = "continue-final-message" | "prefill" | "completions"

/** How `n` samples are obtained: one request with `n`, or `n` parallel requests. */
export type Sampling = "n" | "parallel"

/** The shape of `/v1/completions` logprobs: OpenAI's legacy arrays, the chat-style `{ content: [...] }`, or none. */
export type CompletionLogprobs = "legacy" | "chat-style" | "none"

/** What a server kind does. */
export interface Facts {
  readonly description: string
  /** How it continues a partial answer by default. */
  readonly continuation: Continuation
  /** How it gives `n` samples by default. */
  readonly sampling: Sampling
  /** Accepts vLLM's `continue_final_message` and `add_generation_prompt` chat fields. */
  readonly continueFinalMessage: boolean
  /** Honours `n` > 1 in one request (otherwise `n` is never sent: samples are parallel requests). */
  readonly n: boolean
  /** Returns token logprobs from chat completions (`logprobs`, `top_logprobs`); otherwise they are never asked for. */
  readonly chatLogprobs: boolean
  /** Serves `/v1/completions` (raw text continuation with a client-side chat template). */
  readonly completions: boolean
  /** What its `/v1/completions` returns as logprobs. */
  readonly completionLogprobs: CompletionLogprobs
  /**
   * How many HTTP requests a backend keeps in flight by default: a server that batches requests itself (vLLM,
   * SGLang, TGI) gets every independent call of a search's round at once; others, and hosted APIs with rate limits,
   * a few.
   */
  readonly concurrency: number
  /** Its usual base URL, when it has one (a hosted API). */
  readonly url?: string
  /** The environment variable its API key usually lives in. */
  readonly apiKeyEnv?: string
}

/** The facts of every kind. */
export const facts: Readonly<Record<ServerKind, Facts>> = {
  vllm: {
    description: "vLLM's OpenAI-compatible server: n, logprobs, continue_final_message.",
    continuation: "continue-final-message",
    sampling: "n",
    continueFinalMessage: true,
    n: true,
    chatLogprobs: true,
    completions: true,
    completionLogprobs: "legacy",
    concurrency: 64
  },
  sglang: {
    description: "SGLang's OpenAI-compatible server: n, logprobs, continue_final_message.",
    continuation: "continue-final-message",
    sampling: "n",
    continueFinalMessage: true,
    n: true,
    chatLogprobs: true,
    completions: true,
    completionLogprobs: "legacy",
    concurrency: 64
  },
  tgi: {
    description: "Hugging Face Text Generation Inference (Messages API): one choice per request; steps continued through /v1/completions with the chat template.",
    continuation: "completions",
    sampling: "parallel",
    continueFinalMessage: false,
    n: false,
    chatLogprobs: true,
    completions: true,
    completionLogprobs: "none",
    concurrency: 64
  },
  "llama.cpp": {
    description: "llama.cpp's llama-server: one choice per request; a final assistant message is continued (prefill).",
    continuation: "prefill",
    sampling: "parallel",
    continueFinalMessage: false,
    n: false,
    chatLogprobs: true,
    completions: true,
    completionLogprobs: "chat-style",
    concurrency: 8
  },
  ollama: {
    description: "Ollama's OpenAI-compatible API: one choice per request, no logprobs; a final assistant message is continued (prefill).",
    continuation: "prefill",
    sampling: "parallel",
    continueFinalMessage: false,
    n: false,
    chatLogprobs: false,
    completions: true,
    completionLogprobs: "none",
    concurrency: 8
  },
  openai: {
    description: "The OpenAI API: chat completions with n and logprobs; a final assistant message is sent as a prefill.",
    continuation: "prefill",
    sampling: "n",
    continueFinalMessage: false,
    n: true,
    chatLogprobs: true,
    completions: false,
    completionLogprobs: "none",
    concurrency: 8,
    url: "https://api.openai.com/v1",
    apiKeyEnv: "OPENAI_API_KEY"
  },
  "openai-compatible": {
    description: "Any other OpenAI-compatible server: only standard OpenAI fields are sent; a final assistant message is sent as a prefill.",
    continuation: "prefill",
    sampling: "n",
    continueFinalMessage: false,
    n: true,
    chatLogprobs: true,
    completions: true,
    completionLogprobs: "legacy",
    concurrency: 8
  },
  provider: {
    description: "Hugging Face Inference Providers (router): chat completions; token from HF_TOKEN.",
    continuation: "prefill",
    sampling: "n",
    continueFinalMessage: false,
    n: true,
    chatLogprobs: true,
    completions: false,
    completionLogprobs: "none",
    concurrency: 8,
    apiKeyEnv: "HF_TOKEN"
  }
}
