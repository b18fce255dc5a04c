import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Fiber } from "effect"
import OpenAI from "openai"
import { describe, expect, it } from "vitest"
import { Presets, Server as SimulatorServer, World } from "@stepwise/simulator"
import { Registries } from "@stepwise/harness"
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

/** Runs the command line in this process to its end and returns its failure's one line (or fails the test). */
const failureOf = async (args: ReadonlyArray<string>): Promise<string> => {
  const { fiber } = startHere(args)
  const exit = await Effect.runPromise(Fiber.await(fiber))
  if (exit._tag !== "Failure") throw new Error(`${args.join(" ")} did not fail`)
  return Main.failureLine(exit.cause.reasons.find((reason) => reason._tag === "Fail")?.error) ?? ""
}

/** Serves through the command line in this process, runs `use` against the served base URL, then stops. */
const servedHere = async (args: ReadonlyArray<string>, use: (url: string) => Promise<void>) => {
  const { fiber, printed } = startHere(["serve", "--port", "0", "--quiet", ...args])
  try {
    const [, url] = await waitForLine(printed, /at (http:\/\/127\.0\.0\.1:\d+)\/v1/)
    await use(url!)
  } finally {
    await Effect.runPromise(Fiber.interrupt(fiber))
  }
}

describe("the serve command's upstream: the backend vocabulary of solve and recipes", () => {
  const question = (world: World.World) => World.problems(world, { count: 1, seed: 2 })[0]!.question
  const ask = async (url: string, text: string) => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })
    return client.chat.completions.create({
      model: "best-of-n:stepwise-sim",
      messages: [{ role: "user", content: text }],
      stepwise: { options: { n: 2 }, budget: { totalTokens: 4000 } }
    } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming)
  }

  it("is serve-sim's loopback server by the --endpoint and --model shorthands, and by a recipe's {kind, options}", async () => {
    const world = World.make(Presets.calibrated, { seed: 0 })
    const simulator = await SimulatorServer.listen(world)
    try {
      const ways = [
        ["--endpoint", `${simulator.url}/v1`, "--model", World.modelName],
        ["--upstream", JSON.stringify({ kind: "openai-compatible", options: { url: `${simulator.url}/v1`, model: World.modelName } })],
        ["--upstream", "openai-compatible", "--backend-options", JSON.stringify({ url: `${simulator.url}/v1` }), "--model", World.modelName]
      ]
      for (const way of ways)
        await servedHere(way, async (url) => {
          const response = await ask(url, question(world))
          expect(response.choices[0]!.message.content).toContain("\\boxed")
          expect(response.usage!.completion_tokens).toBeGreaterThan(0)
        })
    } finally {
      await simulator.close()
    }
  })

  it("is the simulator by default, by --sim and by --upstream simulator with options", async () => {
    for (const way of [[], ["--sim", "hard"], ["--upstream", '{"kind":"simulator","options":{"preset":"hard","seed":3}}']])
      await servedHere(way, async (url) => {
        const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }
        expect(models.data[0]!.id).toBe("stepwise-sim")
      })
  })

  it("over the simulator refuses a question the world cannot model with a 400 naming the message (it answered it with a wrong number), and answers a word problem", async () => {
    await servedHere(["--strategy", "best-of-n", "--options", '{"n":2}'], async (url) => {
      const ask = (question: string) =>
        fetch(`${url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "stepwise-sim", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: question }] })
        })
      const refused = await ask("What is the capital of France?")
      expect(refused.status).toBe(400)
      const body = (await refused.json()) as { error: { param: string; message: string; type: string } }
      expect(body.error).toMatchObject({ type: "invalid_request_error", param: "messages.1.content" })
      expect(body.error.message).toContain("the simulator cannot model this question")
      expect(body.error.message).toContain("--upstream")
      const answered = await ask("A farmer has 17 sheep and buys 5 more. How many sheep does the farmer have?")
      expect(answered.status).toBe(200)
      const completion = (await answered.json()) as { choices: Array<{ message: { content: string } }> }
      expect(completion.choices[0]!.message.content).toContain("\\boxed{")
    })
    expect(Serve.simulatorRefuses("A farmer has 17 sheep and buys 5 more. How many sheep does the farmer have?")).toBeUndefined()
  })

  it("prices the cost resource with --cost-model, as solve does", async () => {
    const world = World.make(Presets.calibrated, { seed: 0 })
    await servedHere(["--cost-model", "weighted", "--cost-model-options", '{"input":0,"cachedInput":0,"output":0,"verifierCall":3}'], async (url) => {
      const usage = (await ask(url, question(world))).usage as unknown as { stepwise: { verifier_calls: number; cost: number } }
      expect(usage.stepwise.verifier_calls).toBeGreaterThan(0)
      expect(usage.stepwise.cost).toBe(3 * usage.stepwise.verifier_calls)
    })
  })

  it("refuses misspelt backend, verifier and strategy options naming the field, and two backends at once", async () => {
    expect(await failureOf(["serve", "--port", "0", "--upstream", '{"kind":"vllm","options":{"ur":"http://127.0.0.1:1/v1","model":"m"}}'])).toMatch(/"ur"/)
    expect(await failureOf(["serve", "--port", "0", "--upstream", '{"kind":"simulator","optons":{}}'])).toMatch(/upstream: option "optons" is not a field of a backend \(did you mean "options"\?\)/)
    expect(await failureOf(["serve", "--port", "0", "--upstream", "simulatr"])).toMatch(/"simulatr" is not a registered backend \(did you mean "simulator"\?\)/)
    expect(await failureOf(["serve", "--port", "0", "--upstream", "{kind:"])).toMatch(/serve: option "upstream" must be a backend kind or JSON/)
    expect(await failureOf(["serve", "--port", "0", "--upstream", "simulator", "--sim", "hard"])).toMatch(/choose one of --upstream, --sim/)
    expect(await failureOf(["serve", "--port", "0", "--backend-options", '{"preset":"hard","sed":1}'])).toMatch(/"sed"/)
    expect(await failureOf(["serve", "--port", "0", "--verifier", "simulator-prm", "--verifier-options", '{"presett":"hard"}'])).toMatch(/"presett"/)
    expect(await failureOf(["serve", "--port", "0", "--strategy", "beam-search", "--options", '{"widht":2}'])).toMatch(/"widht"/)
    expect(await failureOf(["serve", "--port", "0", "--cost-model", "weighted", "--cost-model-options", '{"outptu":2}'])).toMatch(/"outptu"/)
    expect(await failureOf(["serve", "--port", "0", "--upstream", '{"kind":"simulator","options":{}}', "--backend-options", "{}", "--model", "x"])).toMatch(/"model"/)
  })

  it("keeps every API key the backend read from the environment, and a URL's password, as secrets to scrub", async () => {
    const world = World.make(Presets.calibrated, { seed: 0 })
    const simulator = await SimulatorServer.listen(world)
    const variable = "STEPWISE_SERVE_TEST_KEY"
    process.env[variable] = "plain-words-no-key-shape"
    try {
      const url = new URL(`${simulator.url}/v1`)
      url.username = "user"
      url.password = "pass-word-42"
      const upstream = await Effect.runPromise(
        Effect.scoped(
          Serve.upstreamOf({ backend: { kind: "openai-compatible", options: { url: url.href, model: World.modelName, apiKeyEnv: variable } } }, Registries.builtIn)
        )
      )
      expect(upstream.secrets).toEqual(expect.arrayContaining(["plain-words-no-key-shape", "pass-word-42"]))
    } finally {
      delete process.env[variable]
      await simulator.close()
    }
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

  it("keeps the built-in caps that --limits does not name: a tokens-only maximum keeps the deadline cap", async () => {
    await servedHere(["--limits", '{"request":{"max":{"totalTokens":50000}}}'], async (url) => {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "best-of-n:stepwise-sim",
          messages: [{ role: "user", content: World.problems(World.make(Presets.calibrated, { seed: 0 }), { count: 1, seed: 2 })[0]!.question }],
          stepwise: { options: { n: 1 }, budget: { totalTokens: 1e9, deadlineMillis: 1e9 } }
        })
      })
      const body = (await response.json()) as { stepwise: { budget: { limits: { totalTokens: number }; deadline_ms: number | null } } }
      expect(body.stepwise.budget.limits.totalTokens).toBe(50_000)
      expect(body.stepwise.budget.deadline_ms).toBe(600_000)
    })
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
