import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Backends } from "../src/index.js"

describe("Backends", () => {
  it("makes a simulator backend, and says what to pass for endpoint and GGUF backends", async () => {
    const backend = await Effect.runPromise(Effect.scoped(Backends.factory({ kind: "simulator", preset: "easy", seed: 3 })))
    expect(backend.name).toBe("simulator/easy")
    const unknown = await Effect.runPromise(Effect.flip(Effect.scoped(Backends.factory({ kind: "simulator", preset: "nope", seed: 0 }))))
    expect(unknown.detail).toContain("calibrated")
    const endpoint = await Effect.runPromise(
      Effect.flip(Effect.scoped(Backends.factory({ kind: "endpoint", url: "http://127.0.0.1:1", model: "m" })))
    )
    expect(endpoint).toMatchObject({ _tag: "BackendError", kind: "endpoint" })
    expect(endpoint.detail).toContain("factoryOf")
  })
})
