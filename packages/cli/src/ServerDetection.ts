import { Effect } from "effect"

/**
 * The server kind behind an `--endpoint` given without `--kind`, read from its `GET /v1/models`: vLLM, SGLang and
 * llama.cpp's server each name themselves in `owned_by` ("vllm", "sglang", "llamacpp"). Without it a vLLM server was
 * taken as a generic OpenAI-compatible one, whose prefill vLLM does not continue: every step search restarted at
 * step 1 until its budget was spent.
 */

/** The registered server kind each `owned_by` value means. */
export const kindsByOwner: Readonly<Record<string, string>> = { vllm: "vllm", sglang: "sglang", llamacpp: "llama.cpp" }

/** How long the models list may take before the endpoint is taken as generic (said on standard error). */
export const waitMillis = 5000

/** The models list's address: the base URL with or without its `/v1`. */
export const modelsUrl = (endpoint: string): string => `${endpoint.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/models`

/**
 * The kind the endpoint's models list names, when all of its models name one known kind; `undefined` otherwise (no
 * answer within `waitMillis`, a refusal, an unknown or mixed owner): the endpoint is then taken as generic.
 *
 * @example
 * const kind = yield* ServerDetection.kindOf("http://127.0.0.1:8000/v1", undefined) // "vllm"
 */
export const kindOf = (endpoint: string, apiKey: string | undefined): Effect.Effect<string | undefined> =>
  Effect.tryPromise(async (signal) => {
    const response = await fetch(modelsUrl(endpoint), {
      signal: AbortSignal.any([signal, AbortSignal.timeout(waitMillis)]),
      headers: apiKey === undefined || apiKey === "" ? {} : { authorization: `Bearer ${apiKey}` }
    })
    if (!response.ok) return undefined
    const body = (await response.json()) as { readonly data?: ReadonlyArray<{ readonly owned_by?: unknown }> }
    const owners = new Set((body.data ?? []).map((model) => (typeof model.owned_by === "string" ? kindsByOwner[model.owned_by] : undefined)))
    const [only] = owners
    return owners.size === 1 ? only : undefined
  }).pipe(Effect.orElseSucceed(() => undefined))
