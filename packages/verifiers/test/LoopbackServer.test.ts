import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect } from "vitest"
import { Cause, Effect, Exit, Fiber } from "effect"
import { LanguageModel, Message, PooledFetch, Problem, Registry, Trajectory, VerifierError } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { HuggingFace } from "@stepwise/models"
import { Presets, Server, World } from "@stepwise/simulator"
import { itEffect } from "@stepwise/testing"
import { Ensemble, ExactChecker, Judge, PoolingPrm, PrefixCache, ThinkPrm, TokenLogitPrm, Verifier, Verifiers } from "@stepwise/verifiers"
import * as Samples from "./support/Samples.js"

const world = World.make(Presets.calibrated, { seed: 7 })
const problems = World.problems(world, { count: 4, seed: 3 })
const samples = Effect.runSync(Effect.orDie(Samples.solutions(world.languageModel, problems, 2)))

/** The world's own PRM scores, in process, for comparison. */
const direct = Effect.forEach(samples, (sample) => world.processRewardModel.score(sample.problem, sample.trajectory))

describe("PoolingPrm through the simulator's loopback server (/pooling)", () => {
  itEffect("gives exactly the world's PRM scores, one verifier call per score, the server's prompt tokens", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const prm = yield* PoolingPrm.make({ url, model: World.modelName })
        const accountant = yield* Accountant.make({})
        const served = yield* Accountant.provide(accountant)(Effect.forEach(samples, (sample) => prm.score(sample.problem, sample.trajectory), { concurrency: 4 }))
        const expected = yield* direct
        served.forEach((scoring, index) => {
          const want = expected[index]!.stepScores
          expect(scoring.stepScores).toHaveLength(want.length)
          scoring.stepScores.forEach((score, step) => expect(score).toBeCloseTo(want[step]!, 12))
        })
        const snapshot = yield* accountant.snapshot
        expect(snapshot.spent.verifierCalls).toBe(samples.length)
        expect(snapshot.spent.verifierTokens).toBe(served.reduce((total, scoring) => total + scoring.usage.inputTokens!, 0))
        expect(snapshot.spent.totalTokens).toBe(0)
      })
    )
  )

  itEffect("sends a raw ChatML input when asked (format: input)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const prm = yield* PoolingPrm.make({
          url,
          model: World.modelName,
          format: "input",
          render: (question, tagged) => Server.chatTemplate([Message.system(PoolingPrm.defaultSystem), Message.user(question)], tagged) + "<|im_end|>"
        })
        const sample = samples[0]!
        const scoring = yield* prm.score(sample.problem, sample.trajectory)
        expect(scoring.stepScores).toEqual((yield* world.processRewardModel.score(sample.problem, sample.trajectory)).stepScores)
      })
    )
  )

  itEffect("rides out injected faults with retries: same scores, still one verifier call per score", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const faults = { serverError: 0.1, unavailable: 0.1, rateLimited: 0.1, retryAfterSeconds: 0, dropped: 0.1, truncated: 0.1, malformed: 0.1, seed: 5 }
        const { url } = yield* Server.serve(world, { port: 0, faults })
        const prm = yield* PoolingPrm.make({ url, model: World.modelName, retries: 12, retryBaseMillis: 1 })
        const accountant = yield* Accountant.make({})
        const served = yield* Accountant.provide(accountant)(Effect.forEach(samples, (sample) => prm.score(sample.problem, sample.trajectory)))
        const expected = yield* direct
        served.forEach((scoring, index) => expect(scoring.stepScores).toEqual(expected[index]!.stepScores))
        expect((yield* accountant.snapshot).spent.verifierCalls).toBe(samples.length)
      })
    )
  )

  itEffect("reports each kind of failure with its typed cause", () =>
    Effect.gen(function* () {
      const cases = [
        [{ dropped: 1 }, "Unavailable"],
        [{ unavailable: 1 }, "Unavailable"],
        [{ rateLimited: 1, retryAfterSeconds: 0 }, "RateLimited"],
        [{ truncated: 1 }, "Unavailable"],
        [{ malformed: 1 }, "BadResponse"]
      ] as const
      for (const [faults, tag] of cases) {
        const error = yield* Effect.scoped(
          Effect.gen(function* () {
            const { url } = yield* Server.serve(world, { port: 0, faults })
            const prm = yield* PoolingPrm.make({ url, model: World.modelName, retries: 1, retryBaseMillis: 1 })
            return yield* Effect.flip(prm.score(samples[0]!.problem, samples[0]!.trajectory))
          })
        )
        expect(error._tag).toBe("VerifierError")
        expect([faults, error._tag === "VerifierError" && (error.cause as { _tag: string })._tag]).toEqual([faults, tag])
      }
    })
  )

  itEffect("a problem the server does not know is an InvalidRequest, not retried", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const prm = yield* PoolingPrm.make({ url, model: World.modelName, retries: 3, retryBaseMillis: 1 })
        const stranger = Problem.make({ id: "x", question: "What is the airspeed of a swallow?" })
        const error = yield* Effect.flip(prm.score(stranger, samples[0]!.trajectory))
        expect(error._tag === "VerifierError" && (error.cause as { _tag: string })._tag).toBe("InvalidRequest")
      })
    )
  )

  itEffect("behind a PrefixCache, prefixes of served trajectories cost no request", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const cache = yield* PrefixCache.make(yield* PoolingPrm.make({ url, model: World.modelName }))
        const accountant = yield* Accountant.make({})
        const sample = samples[0]!
        const full = yield* Accountant.provide(accountant)(cache.score(sample.problem, sample.trajectory))
        const parent = yield* Accountant.provide(accountant)(cache.score(sample.problem, sample.trajectory.parent!))
        expect(parent.stepScores).toEqual(full.stepScores.slice(0, -1))
        expect((yield* accountant.snapshot).spent.verifierCalls).toBe(1)
        expect(yield* cache.stats).toMatchObject({ hits: 1, misses: 1 })
      })
    )
  )
})

describe("PoolingPrm batching (format input): a round's scorings in one /pooling request", () => {
  const render = (question: string, tagged: string) =>
    Server.chatTemplate([Message.system(PoolingPrm.defaultSystem), Message.user(question)], tagged) + "<|im_end|>\n"
  /** A fetch that counts the requests it sends and keeps each one's number of inputs. */
  const counting = () => {
    const sizes: Array<number> = []
    const fetch: typeof globalThis.fetch = (input, init) => {
      const body = JSON.parse(String(init?.body)) as { input: string | ReadonlyArray<string> }
      sizes.push(typeof body.input === "string" ? 1 : body.input.length)
      return PooledFetch.fetch(input, init)
    }
    return { sizes, fetch }
  }
  // Sixteen trajectories: the eight samples and their parents.
  const sixteen = [...samples, ...samples.map((sample) => ({ problem: sample.problem, trajectory: sample.trajectory.parent! }))]

  itEffect("sixteen concurrent scorings: one request, the world's scores, sixteen metered calls whose tokens sum to the server's total", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const { sizes, fetch } = counting()
        const prm = yield* PoolingPrm.make({ url, model: World.modelName, format: "input", render, fetch })
        const accountant = yield* Accountant.make({})
        const served = yield* Accountant.provide(accountant)(
          Effect.forEach(sixteen, (sample) => prm.score(sample.problem, sample.trajectory), { concurrency: 16 })
        )
        expect(sizes).toEqual([16])
        for (const [index, sample] of sixteen.entries()) {
          const want = (yield* world.processRewardModel.score(sample.problem, sample.trajectory)).stepScores
          expect(served[index]!.stepScores).toHaveLength(want.length)
          served[index]!.stepScores.forEach((score, step) => expect(score).toBeCloseTo(want[step]!, 12))
        }
        // The server's total for the same sixteen inputs, asked for in one raw request.
        const inputs = sixteen.map((sample) => render(sample.problem.question, PoolingPrm.tagSteps(Trajectory.stepTexts(sample.trajectory), Server.stepTag, "")))
        const raw = yield* Effect.promise(() =>
          PooledFetch.fetch(`${url}/pooling`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: World.modelName, input: inputs }) }).then(
            (response) => response.json() as Promise<{ usage: { prompt_tokens: number } }>
          )
        )
        const shared = served.reduce((total, scoring) => total + scoring.usage.inputTokens!, 0)
        expect(shared).toBe(raw.usage.prompt_tokens)
        const snapshot = yield* accountant.snapshot
        expect(snapshot.spent.verifierCalls).toBe(16)
        expect(snapshot.spent.verifierTokens).toBe(shared)
      })
    )
  )

  itEffect("batch caps the inputs per request; sequential calls go one per request", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const { sizes, fetch } = counting()
        const prm = yield* PoolingPrm.make({ url, model: World.modelName, format: "input", render, fetch, batch: 5 })
        yield* Effect.forEach(sixteen, (sample) => prm.score(sample.problem, sample.trajectory), { concurrency: 16 })
        expect(sizes).toEqual([5, 5, 5, 1])
        sizes.length = 0
        yield* Effect.forEach(sixteen.slice(0, 3), (sample) => prm.score(sample.problem, sample.trajectory))
        expect(sizes).toEqual([1, 1, 1])
      })
    )
  )

  itEffect("a batch the server refuses is resent one by one: only the bad trajectory's call fails", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const { sizes, fetch } = counting()
        const prm = yield* PoolingPrm.make({ url, model: World.modelName, format: "input", render, fetch, retries: 3, retryBaseMillis: 1 })
        const stranger = Problem.make({ id: "x", question: "What is the airspeed of a swallow?" })
        const asked = [...samples.slice(0, 3), { problem: stranger, trajectory: samples[0]!.trajectory }]
        const exits = yield* Effect.forEach(asked, (sample) => Effect.exit(prm.score(sample.problem, sample.trajectory)), { concurrency: 4 })
        expect(sizes).toEqual([4, 1, 1, 1, 1])
        for (const [index, sample] of asked.slice(0, 3).entries()) {
          const exit = exits[index]!
          expect(Exit.isSuccess(exit) && exit.value.stepScores).toEqual((yield* world.processRewardModel.score(sample.problem, sample.trajectory)).stepScores)
        }
        const failed = exits[3]!
        expect(Exit.isFailure(failed)).toBe(true)
        const error = Exit.isFailure(failed) ? Cause.squash(failed.cause) : undefined
        expect(error).toBeInstanceOf(VerifierError)
        expect((error as VerifierError).cause).toMatchObject({ _tag: "InvalidRequest" })
      })
    )
  )

  itEffect("chatTemplate (a Jinja file, as a recipe names it) renders the input here and batches: the world's scores in one request", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const folder = mkdtempSync(join(tmpdir(), "pooling-template-"))
        const file = join(folder, "chatml.jinja")
        writeFileSync(file, "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
        const { sizes, fetch } = counting()
        const policy = yield* HuggingFace.make({ endpointUrl: url, model: World.modelName, kind: "vllm" })
        const prm = yield* Registry.make(Verifiers.registry, "pooling-prm", { chatTemplate: file, fetch }, Verifier.standalone(policy))
        const served = yield* Effect.forEach(samples, (sample) => prm.score(sample.problem, sample.trajectory), { concurrency: samples.length })
        expect(sizes).toEqual([samples.length])
        const expected = yield* direct
        served.forEach((scoring, index) => scoring.stepScores.forEach((score, step) => expect(score).toBeCloseTo(expected[index]!.stepScores[step]!, 12)))
      })
    )
  )

  itEffect("a render that cannot render a sample fails when made; one that throws on some input fails that call only", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const refusing = yield* Effect.flip(
          PoolingPrm.make({
            url,
            model: World.modelName,
            render: () => {
              throw new Error("no template for this")
            }
          })
        )
        expect([refusing._tag, refusing.field, refusing.detail]).toEqual(["InvalidOptions", "render", expect.stringContaining("no template for this")])
        const picky = samples[0]!.problem.question
        const prm = yield* PoolingPrm.make({
          url,
          model: World.modelName,
          render: (question, tagged) => {
            if (question === picky) throw new Error("not this one")
            return render(question, tagged)
          }
        })
        // One sample of each of three problems (samples come two per problem).
        const asked = [samples[0]!, samples[2]!, samples[4]!]
        const exits = yield* Effect.forEach(asked, (sample) => Effect.exit(prm.score(sample.problem, sample.trajectory)), { concurrency: 3 })
        const error = Exit.isFailure(exits[0]!) ? Cause.squash(exits[0]!.cause) : undefined
        expect(error).toMatchObject({ _tag: "VerifierError", cause: { _tag: "InvalidRequest", field: "input" } })
        expect(exits.slice(1).every(Exit.isSuccess)).toBe(true)
      })
    )
  )

  itEffect("renders each trajectory's input once per scoring (its bound and its request share the render)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        let renders = 0
        const prm = yield* PoolingPrm.make({
          url,
          model: World.modelName,
          render: (question, tagged) => {
            renders++
            return render(question, tagged)
          }
        })
        const afterMake = renders
        yield* Accountant.provide(yield* Accountant.make({ verifierTokens: 10_000_000 }))(
          Effect.forEach(samples.slice(0, 4), (sample) => prm.score(sample.problem, sample.trajectory), { concurrency: 4 })
        )
        expect(renders - afterMake).toBe(4)
      })
    )
  )

  itEffect("a caller interrupted before its batch is sent leaves the batch; the others are scored", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const { sizes, fetch } = counting()
        const prm = yield* PoolingPrm.make({ url, model: World.modelName, format: "input", render, fetch })
        const leaving = yield* Effect.forkChild(prm.score(samples[0]!.problem, samples[0]!.trajectory), { startImmediately: true })
        yield* Fiber.interrupt(leaving)
        const served = yield* Effect.forEach(samples.slice(1, 4), (sample) => prm.score(sample.problem, sample.trajectory), { concurrency: 3 })
        expect(served).toHaveLength(3)
        expect(sizes).toEqual([3])
      })
    )
  )
})

describe("verifiers that combine served ones", () => {
  itEffect("an ensemble (min) of the served PRM and the exact checker: per-step minimum, one call per member", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        const served = yield* PoolingPrm.make({ url, model: World.modelName })
        const exact = yield* ExactChecker.arithmetic()
        const ensemble = yield* Ensemble.make({ members: [{ verifier: served }, { verifier: exact }], combine: "min" })
        const accountant = yield* Accountant.make({})
        for (const sample of samples) {
          const combined = yield* Accountant.provide(accountant)(ensemble.score(sample.problem, sample.trajectory))
          const prm = yield* world.processRewardModel.score(sample.problem, sample.trajectory)
          const checked = yield* exact.score(sample.problem, sample.trajectory)
          combined.stepScores.forEach((score, step) => expect(score).toBeCloseTo(Math.min(prm.stepScores[step]!, checked.stepScores[step]!), 12))
        }
        expect((yield* accountant.snapshot).spent.verifierCalls).toBe(2 * samples.length)
      })
    )
  )
})

describe("model-based verifiers through the loopback server with the Hugging Face backend (/v1/chat/completions)", () => {
  itEffect("ThinkPRM, the judge and the token-logit PRM score over HTTP exactly as in process, and spend once", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* Server.serve(world, { port: 0 })
        // The real Hugging Face client against the vLLM-shaped server (prefix via continue_final_message).
        const remote = yield* HuggingFace.make({ endpointUrl: url, model: World.modelName, kind: "vllm", retry: { times: 0, baseMillis: 1, capMillis: 1 } })
        const build = (languageModel: LanguageModel.Service) =>
          Effect.all([
            ThinkPrm.make({ languageModel, chains: 2, rounds: 2 }),
            Judge.make({ languageModel, granularity: "solution" }),
            TokenLogitPrm.make({ languageModel, whenMissing: 0.5 })
          ])
        const overHttp = yield* build(remote)
        const inProcess = yield* build(world.languageModel)
        const accountant = yield* Accountant.make({})
        const subset = samples.slice(0, 3)
        let reported = 0
        for (const [index, verifier] of overHttp.entries())
          for (const sample of subset) {
            const served = yield* Accountant.provide(accountant)(verifier.score(sample.problem, sample.trajectory))
            const local = yield* inProcess[index]!.score(sample.problem, sample.trajectory)
            expect(served.stepScores).toHaveLength(local.stepScores.length)
            served.stepScores.forEach((score, step) => expect(score).toBeCloseTo(local.stepScores[step]!, 12))
            reported += served.usage.inputTokens! + served.usage.outputTokens!
          }
        const verification = yield* overHttp[0].verify(subset[0]!.problem, subset[0]!.trajectory)
        for (const chain of verification.chains) {
          expect(chain.parse._tag).toBe("Parsed")
          expect(chain.decisionSource).toBe("logprobs")
        }
        const snapshot = yield* accountant.snapshot
        expect(snapshot.spent.verifierCalls).toBe(subset.length * overHttp.length)
        expect(snapshot.spent.verifierTokens).toBe(reported)
      })
    )
  )
})
