import { resolve } from "node:path"
import { Effect } from "effect"
import { Backends } from "@stepwise/harness"
import { LlamaCpp } from "@stepwise/models"
import { ThinkPrm } from "@stepwise/verifiers"

/**
 * A GGUF model run in-process by llama.cpp as a benchmark backend; its verifier is a ThinkPRM-style generative
 * verifier over the same model (a local model serves no discriminative PRM).
 */
export const gguf = (spec: { readonly path: string; readonly verifier?: Readonly<Record<string, unknown>> | undefined }) =>
  Effect.gen(function* () {
    const languageModel = yield* LlamaCpp.make({ modelPath: resolve(spec.path) })
    const processRewardModel = yield* ThinkPrm.make({ languageModel, ...(spec.verifier ?? {}) })
    return { name: `gguf/${spec.path}`, languageModel, processRewardModel } satisfies Backends.Backend
  }).pipe(Effect.mapError((error) => new Backends.BackendError({ kind: "gguf", detail: error.message })))

/** The CLI's backend factory: the simulator, plus GGUF files through `@stepwise/models`. */
export const factory: Backends.Factory = Backends.factoryOf({ gguf })
