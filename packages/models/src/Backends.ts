import { pipe } from "effect"
import type { Scope } from "effect"
import { Registry } from "@stepwise/core"
import type * as Backend from "./Backend.js"
import * as Endpoints from "./Endpoints.js"
import * as LlamaCpp from "./LlamaCpp.js"

/**
 * The registry of this package's backends: every inference-server kind, Inference Providers, and GGUF files run
 * in-process. A new backend is one module exporting an `entry` (built with `Backend.define`) plus one line here;
 * a third party adds its own with `Registry.add(Backends.registry, entry)` (or a plugin's `backends`). The
 * harness adds the simulator to these for recipes, the command line and the Promise API.
 *
 * @example
 * const made = yield* Registry.make(Backends.registry, "vllm", { url: "http://127.0.0.1:8000", model: "Qwen/Qwen2.5-Math-7B-Instruct" }, Backend.processContext())
 */
export const registry = pipe(
  Registry.empty<Backend.Made, Backend.Context, Backend.Error, Scope.Scope>("backend"),
  (empty) => Registry.add(empty, Endpoints.vllm),
  (registry) => Registry.add(registry, Endpoints.sglang),
  (registry) => Registry.add(registry, Endpoints.tgi),
  (registry) => Registry.add(registry, Endpoints.llamaServer),
  (registry) => Registry.add(registry, Endpoints.ollama),
  (registry) => Registry.add(registry, Endpoints.openai),
  (registry) => Registry.add(registry, Endpoints.openaiCompatible),
  (registry) => Registry.add(registry, Endpoints.provider),
  (registry) => Registry.add(registry, LlamaCpp.entry)
)

/** The type of this package's backend registry. */
export type BuiltIn = typeof registry

/** Any backend registry: this one, or one extended with `Registry.add` (the harness adds the simulator). */
export type Any = Registry.AnyRegistry<Backend.Made, Backend.Context, Backend.Error, Scope.Scope>
