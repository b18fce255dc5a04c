import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { describe, expect, it } from "vitest"
import * as Main from "../src/Main.js"
import * as ServerDetection from "../src/ServerDetection.js"

/** A server whose /v1/models answers with the given status and body (and records the authorization it got). */
const modelsServer = async (status: number, body: unknown) => {
  const seen: Array<string | undefined> = []
  const server = createServer((request, response) => {
    seen.push(request.headers["authorization"])
    response.writeHead(request.url === "/v1/models" ? status : 404, { "content-type": "application/json" })
    response.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((done) => server.close(() => done())) }
}

const list = (...owners: ReadonlyArray<string>) => ({ object: "list", data: owners.map((owner, index) => ({ id: `m${index}`, object: "model", owned_by: owner })) })

describe("ServerDetection.kindOf", () => {
  it("reads the kind a server names in owned_by (vLLM, SGLang, llama.cpp), with or without /v1 in the URL, sending the key", async () => {
    for (const [owner, kind] of [["vllm", "vllm"], ["sglang", "sglang"], ["llamacpp", "llama.cpp"]] as const) {
      const server = await modelsServer(200, list(owner, owner))
      try {
        expect(await Effect.runPromise(ServerDetection.kindOf(`${server.url}/v1`, "secret"))).toBe(kind)
        expect(await Effect.runPromise(ServerDetection.kindOf(server.url, undefined))).toBe(kind)
        expect(server.seen).toEqual(["Bearer secret", undefined])
      } finally {
        await server.close()
      }
    }
  })

  it("leaves the endpoint generic for an unknown or mixed owner, a refusal, or no server at all", async () => {
    for (const [status, body] of [[200, list("openai")], [200, list("vllm", "sglang")], [200, { data: [] }], [401, { error: "no key" }], [200, "not a list"]] as const) {
      const server = await modelsServer(status, body)
      try {
        expect(await Effect.runPromise(ServerDetection.kindOf(server.url, undefined)), JSON.stringify(body)).toBeUndefined()
      } finally {
        await server.close()
      }
    }
    expect(await Effect.runPromise(ServerDetection.kindOf("http://127.0.0.1:9", undefined))).toBeUndefined()
  })
})

describe("solve --endpoint without --kind", () => {
  it("says the kind it found, reading the key the backend options name, or that it found none", async () => {
    const server = createServer((request, response) => {
      const authorized = request.headers["authorization"] === "Bearer k1"
      response.writeHead(request.url === "/v1/models" && authorized ? 200 : 401, { "content-type": "application/json" })
      response.end(JSON.stringify(request.url === "/v1/models" && authorized ? list("vllm") : { error: { message: "no" } }))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
    process.env["STEPWISE_TEST_DETECTION_KEY"] = "k1"
    try {
      const said = async (extra: ReadonlyArray<string>) => {
        const printed: Array<string> = []
        const capture = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.map(String).join(" "))
        const console = { ...globalThis.console, log: capture, error: capture } as unknown as Console.Console
        await Effect.runPromise(
          Effect.result(Main.run(["solve", "What is 2 + 3?", "--endpoint", url, "--model", "m", "--strategy", "best-of-n", "--options", '{"n":1}', ...extra]).pipe(
            Effect.provide(NodeServices.layer),
            Effect.provideService(Console.Console, console)
          ))
        )
        return printed.join("\n")
      }
      expect(await said(["--backend-options", '{"apiKeyEnv":"STEPWISE_TEST_DETECTION_KEY"}'])).toContain(`${url} is a vllm server`)
      expect(await said(["--api-key-env", "STEPWISE_TEST_DETECTION_KEY"])).toContain(`${url} is a vllm server`)
      expect(await said([])).toContain("names no server kind in its /v1/models")
    } finally {
      delete process.env["STEPWISE_TEST_DETECTION_KEY"]
      await new Promise<void>((done) => server.close(() => done()))
    }
  })
})
