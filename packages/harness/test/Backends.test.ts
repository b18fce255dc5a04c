import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Backends, Registries } from "../src/index.js"

const made = (choice: Backends.Choice) => Effect.runPromise(Effect.scoped(Backends.make(choice, Registries.builtIn)))
const failed = (choice: Backends.Choice) => Effect.runPromise(Effect.flip(Effect.scoped(Backends.make(choice, Registries.builtIn))))

describe("Backends.make", () => {
  it("makes the simulator with its own PRM as the default verifier, or another kind named", async () => {
    const simulator = await made({ backend: { kind: "simulator", options: { preset: "easy", seed: 3 } } })
    expect(simulator.name).toBe("simulator/easy")
    expect(simulator.processRewardModel.info.name).toBe("simulator-prm")
    const exact = await made({ backend: { kind: "simulator" }, verifier: { kind: "exact-arithmetic" } })
    expect(exact.processRewardModel.info.name).toBe("exact-arithmetic")
    const judged = await made({ backend: { kind: "simulator" }, verifier: { kind: "judge", options: { mode: "scale" } } })
    expect(judged.processRewardModel.info.name).toBe("judge(scale, step)")
  })

  it("names the field of bad backend and verifier options, and the kinds of an unknown one", async () => {
    expect(await failed({ backend: { kind: "simulator", options: { preset: "nope" } } })).toMatchObject({ _tag: "InvalidOptions", field: "preset" })
    expect(await failed({ backend: { kind: "vllm", options: { model: "m" } } })).toMatchObject({ _tag: "InvalidOptions", field: "url" })
    const unknown = await failed({ backend: { kind: "vlm" } })
    expect(unknown).toMatchObject({ _tag: "InvalidOptions", field: "kind" })
    expect(unknown.message).toContain('did you mean "vllm"')
    expect(await failed({ backend: { kind: "simulator" }, verifier: { kind: "think-prm", options: { chain: 2 } } })).toMatchObject({
      _tag: "InvalidOptions",
      field: "chain"
    })
    const nested = await failed({
      backend: { kind: "simulator" },
      verifier: { kind: "ensemble", options: { members: [{ kind: "judge", options: { mode: "maybe" } }] } }
    })
    expect(nested).toMatchObject({ _tag: "InvalidOptions", field: "members.0.options.mode" })
  })

  it("reads an API key only from the variable the options name, and says when it is not set", async () => {
    const missing = await Effect.runPromise(
      Effect.flip(
        Effect.scoped(
          Backends.make({ backend: { kind: "openai", options: { model: "gpt-4o-mini" } } }, Registries.builtIn, {
            baseDirectory: ".",
            environment: () => undefined
          })
        )
      )
    )
    expect(missing).toMatchObject({ _tag: "InvalidOptions", field: "apiKeyEnv" })
    expect(missing.message).toContain("OPENAI_API_KEY")
  })

  it("fails at start, naming the backend, when a verifier needs logprobs the server cannot give", async () => {
    const folder = mkdtempSync(join(tmpdir(), "stepwise-backends-"))
    writeFileSync(join(folder, "template.jinja"), "{% for m in messages %}{{ m.content }}\n{% endfor %}")
    const tgi = { kind: "tgi", options: { url: "http://127.0.0.1:1", model: "m", chatTemplate: join(folder, "template.jinja") } }
    const error = await failed({ backend: tgi, verifier: { kind: "token-logit-prm", options: { style: "math-shepherd" } } })
    expect(error).toMatchObject({ _tag: "InvalidOptions", subject: "token-logit-prm", field: "backend" })
    expect(error.message).toContain("logprobs")
    // Plain requests (the RLHFlow layout) go through chat, which returns them: that one is made.
    const plain = await made({ backend: tgi, verifier: { kind: "token-logit-prm" } })
    expect(plain.processRewardModel.info.name).toBe("token-logit-prm(rlhflow)")
    const noTemplate = await failed({ backend: { kind: "tgi", options: { url: "http://127.0.0.1:1", model: "m" } } })
    expect(noTemplate).toMatchObject({ _tag: "InvalidOptions", field: "chatTemplate" })
  })
})
