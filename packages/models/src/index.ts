/**
 * @stepwise/models: the model backends of stepwise — Hugging Face inference (Providers, TGI, vLLM, any
 * OpenAI-compatible server), llama.cpp in-process, and a record/replay cache over any backend.
 */
export * as ChatTemplate from "./ChatTemplate.js"
export * as Gguf from "./Gguf.js"
export * as HuggingFace from "./HuggingFace.js"
export * as LlamaCpp from "./LlamaCpp.js"
export * as Replay from "./Replay.js"
export * as TinyLlama from "./TinyLlama.js"
export * as Tokenizer from "./Tokenizer.js"
