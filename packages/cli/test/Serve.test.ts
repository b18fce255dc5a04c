import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Fiber, Option } from "effect"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { Presets, Server as SimulatorServer, World } from "@stepwise/simulator"
import { Server } from "@stepwise/server"
import * as Main from "../src/Main.js"
import * as Serve from "../src/Serve.js"

/** Starts the command line in this process, in a fiber, collecting what it prints. */
const startHere = (args: ReadonlyArray<string>) => {
  const printed: Array<string> = []
  const capture = (...parts: ReadonlyArray<unknown>) => void printed.push(parts.map(String).join(" "))
  const console = { ...globalThis.console, log: capture, error: capture, info: capture, warn: capture } as unknown as Console.Console
  const fiber = Effect.runFork(Main.run(args).pipe(Effect.provide(NodeServices.layer), Effect.provideService(Console.Console, console)))
  return { fiber, printed }
}

const waitForLine = async (printed: ReadonlyArray<string>, pattern: RegExp): Promise<RegExpExecArray> => {
  const until = Date.now() + 60_000
  for (;;) {
    for (const line of printed) {
      const match = pattern.exec(line)
      if (match !== null) return match
    }
    if (Date.now() > until) throw new Error(`no line matching ${pattern} in: ${printed.join("\n")}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe("the serve command's upstream", () => {
  it("is serve-sim's loopback server through the endpoint backend, and answers the openai client", async () => {
    const world = World.make(Presets.calibrated, { seed: 0 })
    const simulator = await SimulatorServer.listen(world)
    try {
      const upstream = await Effect.runPromise(Effect.scoped(Serve.upstreamOf(JSON.stringify({ kind: "endpoint", url: `${simulator.url}/v1`, model: World.modelName }), Option.none())))
      expect(upstream.model).toBe("stepwise-sim")
      const server = await Server.listen({ upstream })
      try {
        const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
        const question = World.problems(world, { count: 1, seed: 2 })[0]!.question
        const response = await client.chat.completions.create({
          model: "best-of-n:stepwise-sim",
          messages: [{ role: "user", content: question }],
          stepwise: { options: { n: 2 }, budget: { totalTokens: 4000 } }
        } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
        expect(response.choices[0]!.message.content).toContain("\\boxed")
        expect(response.usage!.completion_tokens).toBeGreaterThan(0)
      } finally {
        await server.close()
      }
    } finally {
      await simulator.close()
    }
  })

  it("refuses a misspelt backend field, naming it, and --verifier on the simulator", async () => {
    const made = (text: string, verifier: Option.Option<string> = Option.none()) =>
      Effect.runPromise(Effect.flip(Effect.scoped(Serve.upstreamOf(text, verifier))))
    expect(await made('{"kind":"endpoint","ur":"http://127.0.0.1:1/v1","model":"m"}')).toMatchObject({ _tag: "InvalidOptions", subject: "upstream", field: "ur" })
    expect(await made('{"kind":"simulator"}', Option.some('{"kind":"think-prm"}'))).toMatchObject({ _tag: "InvalidOptions", field: "--verifier" })
    expect(await made("{kind:")).toMatchObject({ _tag: "InvalidOptions", field: "--upstream" })
  })
})

describe("stepwise serve", () => {
  it("serves until interrupted, then lets go of its port", async () => {
    const { fiber, printed } = startHere(["serve", "--port", "0", "--quiet", "--strategy", "best-of-n", "--options", '{"n":2}'])
    const [, url] = await waitForLine(printed, /at (http:\/\/127\.0\.0\.1:\d+)\/v1/)
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string; stepwise: { strategy: string } }> }
    expect(models.data[0]).toMatchObject({ id: "stepwise-sim", stepwise: { strategy: "best-of-n" } })
    await Effect.runPromise(Fiber.interrupt(fiber))
    await expect(fetch(`${url}/health`)).rejects.toThrow()
  })

  it("fails in one line for bad limits, naming the field", async () => {
    const { fiber, printed } = startHere(["serve", "--port", "0", "--limits", '{"request":{"max":{"totlTokens":5}}}'])
    const exit = await Effect.runPromise(Fiber.await(fiber))
    expect(exit._tag).toBe("Failure")
    if (exit._tag === "Failure") {
      const line = Main.failureLine(exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error)
      expect(line).toContain('"request.max.totlTokens" is not an option (did you mean "totalTokens"?)')
    }
    expect(printed).toEqual([])
  })
})

describe("stepwise solve", () => {
  it("--tree saves the run's tree, which matches what solve printed", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "stepwise-tree-")), "tree.json")
    const { fiber, printed } = startHere(["solve", "--strategy", "beam-search", "--options", '{"beams":2,"width":2}', "--budget", "4000", "--tree", file])
    await Effect.runPromise(Fiber.join(fiber))
    const tree = JSON.parse(readFileSync(file, "utf8")) as { format: string; run: { strategy: string }; events: Array<unknown>; end: { spent: { inputTokens: number; outputTokens: number } } }
    expect(tree).toMatchObject({ format: "stepwise-tree", version: 1, run: { strategy: "beam-search", limits: { totalTokens: 4000 } } })
    expect(tree.events.length).toBeGreaterThan(3)
    expect(printed.join("\n")).toContain(`spend:    ${tree.end.spent.inputTokens} input + ${tree.end.spent.outputTokens} output tokens`)
  })

  it("--view serves the tree of the run while and after it runs", async () => {
    const { fiber, printed } = startHere(["solve", "--strategy", "best-of-n", "--options", '{"n":2}', "--view"])
    const [, page] = await waitForLine(printed, /the tree stays at (\S+)/)
    const url = new URL(page!)
    expect(url.hostname).toBe("127.0.0.1")
    expect((await fetch(url)).headers.get("content-type")).toContain("text/html")
    const run = (await (await fetch(`${url.origin}/v1/runs/${url.searchParams.get("run")}`)).json()) as { end: { status: string } }
    expect(["answered", "no-answer"]).toContain(run.end.status)
    await Effect.runPromise(Fiber.interrupt(fiber))
    await expect(fetch(url)).rejects.toThrow()
  })
})
