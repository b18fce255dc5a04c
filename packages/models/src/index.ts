/**
 * @stepwise/models: the model backends of stepwise — Hugging Face inference (Providers, TGI, vLLM, SGLang,
 * llama.cpp server, Ollama, OpenAI, any OpenAI-compatible server), llama.cpp in-process, a record/replay cache over
 * any backend — and the backend registry (`Backends`) that recipes, the command line and the Promise API use.
 */
export * as Backend from "./Backend.js"
export * as Backends from "./Backends.js"
/** Chat templates live in core (verifiers render with them too); re-exported here where backends first used them. */
export { ChatTemplate } from "@stepwise/core"
export * as Endpoints from "./Endpoints.js"
export * as Gguf from "./Gguf.js"
export * as HuggingFace from "./HuggingFace.js"
export * as LlamaCpp from "./LlamaCpp.js"
export * as Replay from "./Replay.js"
export * as ServerKind from "./ServerKind.js"
export * as TinyLlama from "./TinyLlama.js"
export * as Tokenizer from "./Tokenizer.js"
