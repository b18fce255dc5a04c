/** @stepwise/models: Model backends of stepwise: Hugging Face inference (Providers, TGI, vLLM, OpenAI-compatible), llama.cpp in-process, record/replay. */
export {}
