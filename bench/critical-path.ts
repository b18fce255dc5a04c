/**
 * Wall time against the critical path: how close a search's wall time comes to the least its model and verifier
 * calls allow, in process and over the loopback HTTP server, side by side in one run.
 *
 * **The critical-path bound.** Every model call (`LanguageModel.generate`) and every verifier call
 * (`ProcessRewardModel.score`) takes a fixed latency `L` (25 ms by default, one request whatever its `n`) and
 * nothing else takes time. A search's calls fall into *rounds*: a set of calls that depend on nothing of each
 * other (the generations of one iteration, the scorings of its new nodes), each round waiting for the one before.
 * The rounds are counted from the run's own events: every generation of a round emits its `node-expand` before
 * any result of the round is recorded, and every scoring of a round emits its `step-score`s before the next round
 * begins, so a round is one maximal run of consecutive `node-expand` events or of consecutive `step-score` events
 * in the event stream (other events ignored). The bound is `rounds × L`: no scheduler can finish sooner, and one
 * that runs every call of a round at once with zero overhead finishes exactly then. Each strategy runs with
 * `concurrency` at least its widest round, so its own options never split a round. A call's latency counts from
 * the moment it starts, with the simulator's own computing inside it (a call takes `L`, or its computing when that
 * is longer, as on a real server), so what passes the bound is the client's work, the HTTP hop and waiting. Every
 * modelled latency waits until `L` after its start has passed (`Deadline`: a Node timer set after some computing
 * fires early by about that much, which let calls end up to 1.6 ms short of `L` and floors come out below 1 before
 * it was used here), so the bound is a true lower bound. The count is checked against
 * the calls themselves: the longest chain of calls each starting after the previous ended (`chain`) equals the
 * round count whenever no call waited on anything but its round's predecessors; a larger chain means calls that
 * could have overlapped ran one after another.
 *
 * **What runs.** For each strategy (best-of-16, self-consistency with 16 samples, beam search 16×4, particle
 * filtering with 16 particles, A* with its defaults) and each problem, the same seeded search runs
 * - in process: the simulator's policy with `L` per request (`World` latency, on Effect's `Clock`, so real wall
 *   time here) and its PRM with `L` per score;
 * - over HTTP: `stepwise serve-sim --latency-ms L` in a child process (the world without latency; the server
 *   answers `L` after each request arrived), reached through the `vllm` backend of `@stepwise/models` (chat completions with `n`
 *   and `continue_final_message`) and the `pooling-prm` verifier (`/pooling`), with their registry defaults;
 * - over HTTP through the `tgi` backend (`/v1/completions` with the chat template rendered client-side, one
 *   request per sample) and the same verifier.
 * Each figure is wall / bound summed over the problems (after the unmeasured warm-up problems, `--warm-up`); the paths
 * run one after another per problem, so load on a shared machine touches all alike.
 *
 * **The floor of a served path.** Each served path's requests are recorded (a `fetch` option wrapping the path's
 * own fetch: the request's URL, body, and when it was sent and its reply read). Right after the path's run, the
 * same requests are replayed round by round to the same server by a client that does nothing else: bare
 * `node:http` on a kept-alive connection, a round's requests all at once, each reply parsed with `JSON.parse`, the
 * next round when the last reply is in. Its wall time over the same bound (the `floor` column) is what the loopback
 * hop, the server's work and this machine's scheduling cost by themselves; the path's figure minus its floor is
 * the client's own part (building requests, reading replies, the search between rounds). A request that started
 * after some request of its round had its reply opens the next round; a count that differs from the events' is
 * printed.
 *
 * **Where the time over the bound goes.** A second table splits each served run's wall time less its bound, from its
 * recorded requests (grouped into rounds as the floor groups them), into the time before its first request, between
 * rounds (from a round's last reply to the next round's first request), after its last reply, and each round's span
 * from its first request to its last reply less `L` (which holds the hop and the server, but also a round's requests
 * sent one after another and replies read late behind the client's work on earlier ones), next to the floor's time
 * over the bound; the four less the floor's are the client's part, in ms per problem.
 *
 * **Own overhead per call.** Against a second server answering at once (`--latency-ms 0`): the median time of one
 * sequential call through the backend (and through the pooling verifier) next to a bare `PooledFetch.fetch` of the
 * same JSON body to the same server on a kept-alive connection; the difference is what the client adds per call, and the bare
 * fetch minus the in-process call is the HTTP hop plus the server's own work. A second table gives the client's
 * CPU time per call (user + system, the mean over the same calls).
 *
 * The paths `vllm-batched` and `tgi-batched` are `vllm` and `tgi` with the verifier given the chat template
 * (`chatTemplate`): it renders its input itself, so the scorings of a round go as one `/pooling` request.
 *
 * The paths `vllm-before` and `tgi-before` are the same backends as they were before core's `PooledFetch` and the
 * per-kind request limit: over the global `fetch` (undici), at most 8 requests in flight; side by side.
 *
 * The first `--warm-up` problems of each strategy (3 by default) run on every path unmeasured: the first problems
 * of a process run while V8 still compiles (best-of-16 and self-consistency: ×1.3–1.75 of the bound in process on the first problem, ×1.05–1.10 from the third).
 *
 * With `--problems 0` only the calls of one problem run: to profile them, bundle the script into this folder (it
 * starts `serve-sim` from `../packages`) and run it under `--cpu-prof`:
 *   bench/bundle.sh bench/critical-path.ts bench/critical-path.bundle.mjs &&
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/critical-path.bundle.mjs --problems 0 --calls 3000 --paths vllm
 *
 * Run: npx tsx bench/critical-path.ts [--problems 6] [--warm-up 3] [--latency 25] [--calls 200] (`--calls 0` skips the per-call part)
 *        [--paths in-process,vllm,tgi,vllm-batched,tgi-batched,vllm-before,tgi-before]
 *        [--strategies best-of-16,self-consistency-16,beam-16x4,particle-filtering-16,a-star] (all by default)
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { Agent, request as httpRequest } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Clock, Effect, Exit, Scope } from "effect"
import { Accountant } from "@stepwise/accountant"
import { LanguageModel, PooledFetch, ProcessRewardModel, Registry, SearchEvent } from "@stepwise/core"
import type { Problem } from "@stepwise/core"
import { Backend, Backends, ChatTemplate, HuggingFace } from "@stepwise/models"
import { Expansion, Strategies } from "@stepwise/search"
import { Deadline, Presets, Server, World } from "@stepwise/simulator"
import { PoolingPrm } from "@stepwise/verifiers"

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}
const problemCount = Number(argument("problems", "6"))
const latency = Number(argument("latency", "25"))
const callCount = Number(argument("calls", "200"))
const warmUpCount = Number(argument("warm-up", "3"))
const paths = argument("paths", "in-process,vllm,tgi,vllm-batched,tgi-batched,vllm-before,tgi-before").split(",")
const only = argument("strategies", "").split(",").filter((label) => label !== "")

const strategies: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
  ["best-of-16", "best-of-n", { n: 16, concurrency: 16 }],
  ["self-consistency-16", "self-consistency", { n: 16, concurrency: 16 }],
  ["beam-16x4", "beam-search", { beams: 16, width: 4, concurrency: 16 }],
  ["particle-filtering-16", "particle-filtering", { particles: 16, concurrency: 16 }],
  ["a-star", "a-star", { concurrency: 16 }]
]
const unknown = only.filter((label) => !strategies.some(([known]) => known === label))
if (unknown.length > 0) throw new Error(`unknown strategy ${unknown.join(", ")}: one of ${strategies.map(([known]) => known).join(", ")}`)

// ---------------------------------------------------------------------------------------------------------------
// The servers: `stepwise serve-sim` in child processes, one with the latency and one answering at once.

const cli = fileURLToPath(new URL("../packages/cli/src/bin.ts", import.meta.url))
const children: Array<ChildProcess> = []
process.on("exit", () => children.forEach((child) => child.kill()))

const serveSim = (latencyMillis: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const extra = process.env["SERVE_SIM_NODE_OPTIONS"]?.split(" ").filter((part) => part.length > 0) ?? []
    const child = spawn(process.execPath, [...extra, "--import", "tsx", cli, "serve-sim", "--port", "0", "--latency-ms", String(latencyMillis)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    children.push(child)
    let printed = ""
    child.stdout.on("data", (chunk: Buffer) => {
      printed += chunk.toString("utf8")
      const url = /at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(printed)?.[1]
      if (url !== undefined) resolve(url)
    })
    child.once("exit", (code) => reject(new Error(`serve-sim exited with ${code}: ${printed}`)))
  })

const chatTemplateFile = join(mkdtempSync(join(tmpdir(), "critical-path-")), "chatml.jinja")
writeFileSync(
  chatTemplateFile,
  "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

// ---------------------------------------------------------------------------------------------------------------
// The models and verifiers of each path.

interface Pair {
  readonly languageModel: LanguageModel.Service
  readonly processRewardModel: ProcessRewardModel.Service
  /** The HTTP requests of the last run (served paths): what the floor replays. */
  readonly recorded?: Array<Recorded>
}

/**
 * One HTTP request a served path sent: where, what, and when it started and its reply was read, in ms (`PooledFetch`
 * resolves once the whole body is read; the `…-before` paths' global fetch once the headers are in).
 */
interface Recorded {
  readonly url: string
  readonly body: string
  readonly started: number
  readonly ended: number
}

/** Wraps a fetch so that every request it sends is appended to `into` (a `performance.now()` pair and a push). */
const recording =
  (inner: typeof globalThis.fetch, into: Array<Recorded>): typeof globalThis.fetch =>
  async (input, init) => {
    const started = performance.now()
    const response = await inner(input, init)
    into.push({ url: String(input), body: String(init?.body ?? ""), started, ended: performance.now() })
    return response
  }

const scope = Effect.runSync(Scope.make())

/** The HTTP paths: a server kind through the backend registry with its defaults, or `…-before`: as the backend was before (global fetch, 8 requests in flight). */
const servedPaths = ["vllm", "tgi", "vllm-batched", "tgi-batched", "vllm-before", "tgi-before"]

const served = (path: string, url: string, record: boolean): Promise<Pair> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const kind = path.startsWith("tgi") ? "tgi" : "vllm"
      const globalFetch = path.endsWith("-before")
      const recorded: Array<Recorded> = []
      const base = globalFetch ? globalThis.fetch : PooledFetch.fetch
      const fetch = record ? recording(base, recorded) : base
      const made = yield* Registry.make(
        Backends.registry,
        kind,
        { url, model: World.modelName, fetch, ...(kind === "tgi" ? { chatTemplate: chatTemplateFile } : {}) },
        Backend.processContext()
      )
      const languageModel = globalFetch
        ? yield* HuggingFace.make({
            endpointUrl: url,
            model: World.modelName,
            kind,
            name: kind,
            fetch,
            concurrency: 8,
            ...(kind === "tgi" ? { template: yield* ChatTemplate.fromPath(chatTemplateFile) } : {})
          })
        : made.languageModel
      // `…-batched`: the verifier renders its input with the chat template, so a round's scorings go as one request.
      const processRewardModel = yield* PoolingPrm.make({
        url,
        model: World.modelName,
        fetch,
        ...(path.endsWith("-batched") ? { chatTemplate: chatTemplateFile } : {})
      })
      return { languageModel, processRewardModel, ...(record ? { recorded } : {}) }
    }).pipe(Scope.provide(scope))
  )

const inProcess = (latencyMillis: number): Pair => {
  const world = World.make(Presets.calibrated, { seed: 0, latency: { timeToFirstTokenMillis: latencyMillis, millisPerOutputToken: 0 } })
  return {
    languageModel: world.languageModel,
    // The world's PRM (metered by its own make), answering `latencyMillis` after the call began, as the policy does:
    // it yields once before computing, so the calls of a round all start before any computes (a server computes
    // a round's requests side by side; one thread computing them in turn would delay each call's start instead).
    processRewardModel: ProcessRewardModel.wrap({
      info: { name: "simulator-prm" },
      score: (problem, trajectory) =>
        Effect.flatMap(Clock.monotonicTimeNanos, (started) =>
          Effect.tap(Effect.andThen(Effect.yieldNow, world.processRewardModel.score(problem, trajectory)), () =>
            Deadline.sleepUntil(Deadline.afterMillis(started, latencyMillis))
          )
        )
    })
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One measured run: wall time, rounds from the events, and the longest chain of calls.

interface Measured {
  readonly wall: number
  /** When the run began and ended (`performance.now()`), to place its recorded requests. */
  readonly started: number
  readonly ended: number
  readonly rounds: number
  readonly chain: number
  readonly calls: number
  readonly answer: string | undefined
}

/** Counts maximal runs of `node-expand` and of `step-score` events. */
const roundsOf = (tags: ReadonlyArray<"expand" | "score">): number => tags.filter((tag, index) => index === 0 || tags[index - 1] !== tag).length

/** The longest chain of calls, each starting after the one before it ended. */
const chainOf = (calls: ReadonlyArray<readonly [number, number]>): number => {
  const sorted = [...calls].sort((left, right) => left[0] - right[0])
  const depth: Array<number> = []
  let longest = 0
  sorted.forEach(([start], index) => {
    let before = 0
    for (let other = 0; other < index; other++) if (sorted[other]![1] <= start) before = Math.max(before, depth[other]!)
    depth[index] = before + 1
    longest = Math.max(longest, before + 1)
  })
  return longest
}

const run = async (kind: string, options: Record<string, unknown>, problem: Problem.Problem, pair: Pair): Promise<Measured> => {
  const strategy = await Effect.runPromise(Registry.make(Strategies.registry, kind, options, undefined))
  const tags: Array<"expand" | "score"> = []
  const calls: Array<readonly [number, number]> = []
  const timed = <A, E>(call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    Effect.suspend(() => {
      const started = performance.now()
      return Effect.tap(call, () => Effect.sync(() => calls.push([started, performance.now()])))
    })
  const languageModel = LanguageModel.around(pair.languageModel, timed)
  const processRewardModel = ProcessRewardModel.wrap({
    info: pair.processRewardModel.info,
    score: (target, trajectory) => timed(pair.processRewardModel.score(target, trajectory))
  })
  const accountant = await Effect.runPromise(Accountant.make({ totalTokens: 100_000_000 }))
  if (pair.recorded !== undefined) pair.recorded.length = 0
  const started = performance.now()
  const result = await Effect.runPromise(
    strategy.run(problem).pipe(
      SearchEvent.withListener((event) => {
        if (event._tag === "node-expand") tags.push("expand")
        else if (event._tag === "step-score") tags.push("score")
      }),
      Effect.provideService(LanguageModel.LanguageModel, languageModel),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, processRewardModel),
      Accountant.provide(accountant)
    )
  )
  const ended = performance.now()
  return { wall: ended - started, started, ended, rounds: roundsOf(tags), chain: chainOf(calls), calls: calls.length, answer: result.answer }
}

// ---------------------------------------------------------------------------------------------------------------
// The floor of a served path: the same requests, sent by a client that does nothing else.

const floorAgent = new Agent({ keepAlive: true })

/** Sends one recorded request over bare `node:http` on a kept-alive connection and parses its JSON reply. */
const sendBare = (recorded: Recorded): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const target = new URL(recorded.url)
    const sent = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent: floorAgent, headers: { "content-type": "application/json" } },
      (reply) => {
        const chunks: Array<Buffer> = []
        reply.on("data", (chunk: Buffer) => chunks.push(chunk))
        reply.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
          } catch (error) {
            reject(error)
          }
        })
      }
    )
    sent.on("error", reject)
    sent.end(recorded.body)
  })

/**
 * A run's requests in rounds, by start time: a request that started after some request of the current round had its
 * reply opens the next round.
 */
const requestRounds = (recorded: ReadonlyArray<Recorded>): ReadonlyArray<ReadonlyArray<Recorded>> => {
  const groups: Array<Array<Recorded>> = []
  let firstEnded = Number.POSITIVE_INFINITY
  for (const request of [...recorded].sort((left, right) => left.started - right.started)) {
    if (groups.length === 0 || request.started >= firstEnded) {
      groups.push([])
      firstEnded = Number.POSITIVE_INFINITY
    }
    groups[groups.length - 1]!.push(request)
    firstEnded = Math.min(firstEnded, request.ended)
  }
  return groups
}

/**
 * Where a served run's time over its bound went, in ms, from its recorded requests: `before` its first request was
 * sent; `between` rounds (from a round's last reply to the next round's first request: the search's work on the
 * replies and the next round's requests being built); `after` the last reply; `inFlight`, each round's span from its
 * first request to its last reply less `L` (the hop, the server, reading the replies, and the client's work that
 * delays them). The four sum to the wall time less `rounds × L` when the request rounds are the events' rounds.
 */
interface Phases {
  readonly before: number
  readonly between: number
  readonly after: number
  readonly inFlight: number
}

const phasesOf = (recorded: ReadonlyArray<Recorded>, measured: Measured): Phases => {
  const groups = requestRounds(recorded)
  const spans = groups.map((group) => [Math.min(...group.map((each) => each.started)), Math.max(...group.map((each) => each.ended))] as const)
  if (spans.length === 0) return { before: measured.wall, between: 0, after: 0, inFlight: 0 }
  let between = 0
  let inFlight = 0
  spans.forEach(([first, last], index) => {
    inFlight += last - first - latency
    if (index + 1 < spans.length) between += spans[index + 1]![0] - last
  })
  return { before: spans[0]![0] - measured.started, between, after: measured.ended - spans[spans.length - 1]![1], inFlight }
}

/**
 * Replays a run's requests round by round: a request that started after some request of the current round had its
 * reply opens the next round; each round's requests go at once, the next round when every reply is parsed.
 */
const replay = async (recorded: ReadonlyArray<Recorded>): Promise<{ readonly wall: number; readonly rounds: number }> => {
  const groups = requestRounds(recorded)
  const started = performance.now()
  for (const group of groups) await Promise.all(group.map(sendBare))
  return { wall: performance.now() - started, rounds: groups.length }
}

// ---------------------------------------------------------------------------------------------------------------

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((left, right) => left - right)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

const world = World.make(Presets.calibrated, { seed: 0 })
if (!(Number.isInteger(problemCount) && problemCount >= 0)) throw new Error(`--problems must be an integer ≥ 0, got ${argument("problems", "6")}`)
// (With `--problems 0` one problem is still drawn after the warm-ups: the one whose calls the per-call part times.)
const problems = World.problems(world, { count: warmUpCount + Math.max(1, problemCount), seed: 5 })
const warmUps = problemCount === 0 ? [] : problems.slice(0, warmUpCount)
const measured = problemCount === 0 ? [] : problems.slice(warmUpCount)

const [slowUrl, quickUrl] = await Promise.all([serveSim(latency), serveSim(0)])
const pairs: Array<readonly [string, Pair]> = []
for (const path of paths) {
  if (path === "in-process") pairs.push([path, inProcess(latency)])
  else if (servedPaths.includes(path)) pairs.push([path, await served(path, slowUrl, true)])
  else throw new Error(`unknown path ${path}: in-process or one of ${servedPaths.join(", ")}`)
}

const floors = pairs.filter(([, pair]) => pair.recorded !== undefined)

// `--problems 0`: no strategy runs, only the calls of one problem (below), for a profile of them.
const chosen = problemCount === 0 ? [] : strategies.filter(([label]) => only.length === 0 || only.includes(label))
if (chosen.length > 0) {
  console.log(`wall / critical-path bound, ${latency} ms per model or verifier call, ${measured.length} problems (calibrated world, problem seed 5)`)
  console.log(
    `| strategy | rounds | ${pairs.map(([path]) => `${path} ×bound`).join(" | ")} | ${floors.map(([path]) => `${path} floor`).join(" | ")}${floors.length > 0 ? " | " : ""}${pairs.map(([path]) => `${path} chain`).join(" | ")} | calls (${pairs.map(([path]) => path).join(", ")}) |`
  )
  console.log(`| --- | ---: | ${[...pairs, ...floors, ...pairs].map(() => "---:").join(" | ")} | ---: |`)
}
const phaseRows: Array<string> = []
for (const [label, kind, options] of chosen) {
  for (const warmUp of warmUps)
    for (const [, pair] of pairs) {
      await run(kind, options, warmUp, pair)
      if (pair.recorded !== undefined) await replay(pair.recorded)
    }
  const totals = pairs.map(() => ({ wall: 0, rounds: 0, chain: 0, calls: 0, floorWall: 0, floorRounds: 0, before: 0, between: 0, after: 0, inFlight: 0 }))
  let rounds = 0
  const mismatches: Array<string> = []
  for (const problem of measured) {
    const results: Array<Measured> = []
    for (const [index, [, pair]] of pairs.entries()) {
      const result = await run(kind, options, problem, pair)
      results.push(result)
      const total = totals[index]!
      total.wall += result.wall
      total.rounds += result.rounds
      total.chain += result.chain
      total.calls += result.calls
      const recorded = pairs[index]![1].recorded
      if (recorded !== undefined) {
        const phases = phasesOf(recorded, result)
        total.before += phases.before
        total.between += phases.between
        total.after += phases.after
        total.inFlight += phases.inFlight
        const floor = await replay(recorded)
        total.floorWall += floor.wall
        total.floorRounds += floor.rounds
      }
    }
    rounds += results[0]!.rounds
    results.forEach((result, index) => {
      // tgi draws its n samples as n seeded requests: other samples, its own tree.
      if (pairs[index]![0].startsWith("tgi")) return
      if (result.rounds !== results[0]!.rounds || result.answer !== results[0]!.answer)
        mismatches.push(`${problem.id} ${pairs[index]![0]}: ${result.rounds} rounds, answer ${result.answer}`)
    })
  }
  const ratios = totals.map((total) => (total.wall / (total.rounds * latency)).toFixed(3))
  const floorRatios = totals.flatMap((total, index) =>
    pairs[index]![1].recorded === undefined ? [] : [(total.floorWall / (total.rounds * latency)).toFixed(3)]
  )
  console.log(
    `| ${label} | ${rounds} | ${ratios.join(" | ")} | ${floorRatios.map((ratio) => `${ratio} | `).join("")}${totals.map((total) => total.chain).join(" | ")} | ${totals.map((total) => total.calls).join(", ")} |`
  )
  totals.forEach((total, index) => {
    // The replay's rounds are grouped from the requests' times; they should be the events' rounds.
    if (pairs[index]![1].recorded !== undefined && total.floorRounds !== total.rounds)
      console.log(`  (${pairs[index]![0]} floor: the requests fell into ${total.floorRounds} rounds, the events into ${total.rounds})`)
  })
  for (const mismatch of mismatches) console.log(`  (differs from ${pairs[0]![0]}: ${mismatch})`)
  totals.forEach((total, index) => {
    if (pairs[index]![1].recorded === undefined) return
    const perProblem = (value: number) => (value / measured.length).toFixed(2)
    const floorOver = total.floorWall - total.rounds * latency
    phaseRows.push(
      `| ${label} | ${pairs[index]![0]} | ${perProblem(total.rounds * latency)} | ${perProblem(total.before)} | ${perProblem(total.between)} | ${perProblem(total.after)} | ${perProblem(total.inFlight)} | ${perProblem(floorOver)} | ${perProblem(total.before + total.between + total.after + total.inFlight - floorOver)} |`
    )
  })
}
if (phaseRows.length > 0) {
  console.log()
  console.log(`where each served run's time over its bound went, ms per problem (mean of ${measured.length}); client's part = before + between + after + in flight − floor`)
  console.log("| strategy | path | bound | before first request | between rounds | after last reply | rounds in flight over L | floor over L | client's part |")
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
  for (const row of phaseRows) console.log(row)
}

// ---------------------------------------------------------------------------------------------------------------
// Own overhead per call at 0 ms latency (`--calls 0` skips it).

if (callCount > 0) {
  const quickPairs: Array<readonly [string, Pair]> = [["in-process", inProcess(0)]]
  for (const path of paths) if (servedPaths.includes(path)) quickPairs.push([path, await served(path, quickUrl, false)])
  const problem = problems[warmUpCount]!
  const rollout = await Effect.runPromise(
    world.languageModel.generate(Expansion.rolloutRequest(problem, (await import("@stepwise/core")).Trajectory.empty, { n: 1, seed: 1, temperature: 0.8, maxTokens: 1024 }))
  )
  const { Trajectory, Step } = await import("@stepwise/core")
  const steps = (rollout[0]?.text ?? "").split("\n\n").filter((text) => text.trim() !== "")
  let trajectory = Trajectory.empty
  for (const text of steps.slice(0, Math.max(1, steps.length - 1))) trajectory = Trajectory.append(trajectory, Step.make({ text, finishReason: "stop" }))
  const request = Expansion.nextStepRequest(problem, trajectory, { n: 1, seed: 3, temperature: 0.8, maxTokens: 256 })
  const chatBody = JSON.stringify({
    model: World.modelName,
    messages: [...request.messages, { role: "assistant", content: request.prefix }],
    max_tokens: request.maxTokens,
    stop: request.stop,
    temperature: request.temperature,
    seed: request.seed,
    continue_final_message: true,
    add_generation_prompt: false
  })
  const poolingBody = JSON.stringify({
    model: World.modelName,
    messages: [
      { role: "system", content: PoolingPrm.defaultSystem },
      { role: "user", content: problem.question },
      { role: "assistant", content: PoolingPrm.tagSteps(Trajectory.stepTexts(trajectory), Server.stepTag, "") }
    ]
  })
  const bare = async (path: string, body: string) => {
    const response = await PooledFetch.fetch(`${quickUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body })
    await response.text()
  }
  const timings = new Map<string, Array<number>>()
  // The client's CPU time (user + system: a loopback send carries the kernel's work for it) per call, summed by label.
  const cpuTimes = new Map<string, number>()
  const time = async (label: string, call: () => Promise<unknown>) => {
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    await call()
    const cpu = process.cpuUsage(cpuBefore)
    const list = timings.get(label) ?? []
    list.push(performance.now() - started)
    timings.set(label, list)
    cpuTimes.set(label, (cpuTimes.get(label) ?? 0) + (cpu.user + cpu.system) / 1000)
  }
  for (let round = 0; round < callCount + 20; round++) {
    for (const [path, pair] of quickPairs) {
      await time(`generate ${path}`, () => Effect.runPromise(pair.languageModel.generate(request)))
      await time(`score ${path}`, () => Effect.runPromise(pair.processRewardModel.score(problem, trajectory)))
    }
    await time("generate bare fetch", () => bare("/v1/chat/completions", chatBody))
    await time("score bare fetch", () => bare("/pooling", poolingBody))
    if (round === 19) {
      timings.clear()
      cpuTimes.clear()
    }
  }
  console.log()
  console.log(`one call at 0 ms latency, sequential, median of ${callCount} (ms); prefix of ${trajectory.length} steps`)
  console.log("| call | in-process | bare fetch | " + quickPairs.slice(1).map(([path]) => `${path} | ${path} − bare fetch`).join(" | ") + " |")
  console.log("| --- | ---: | ---: | " + quickPairs.slice(1).map(() => "---: | ---:").join(" | ") + " |")
  for (const call of ["generate", "score"]) {
    const bareMedian = median(timings.get(`${call} bare fetch`) ?? [])
    const cells = quickPairs.slice(1).map(([path]) => {
      const value = median(timings.get(`${call} ${path}`) ?? [])
      return `${value.toFixed(3)} | ${(value - bareMedian).toFixed(3)}`
    })
    console.log(`| ${call} | ${median(timings.get(`${call} in-process`) ?? []).toFixed(3)} | ${bareMedian.toFixed(3)} | ${cells.join(" | ")} |`)
  }
  console.log()
  console.log(`the client's CPU time per call in the same calls (user + system, mean of ${callCount}, ms)`)
  console.log("| call | in-process | bare fetch | " + quickPairs.slice(1).map(([path]) => `${path} | ${path} − bare fetch`).join(" | ") + " |")
  console.log("| --- | ---: | ---: | " + quickPairs.slice(1).map(() => "---: | ---:").join(" | ") + " |")
  const meanCpu = (label: string) => (cpuTimes.get(label) ?? Number.NaN) / callCount
  for (const call of ["generate", "score"]) {
    const bareCpu = meanCpu(`${call} bare fetch`)
    const cells = quickPairs.slice(1).map(([path]) => `${meanCpu(`${call} ${path}`).toFixed(3)} | ${(meanCpu(`${call} ${path}`) - bareCpu).toFixed(3)}`)
    console.log(`| ${call} | ${meanCpu(`${call} in-process`).toFixed(3)} | ${bareCpu.toFixed(3)} | ${cells.join(" | ")} |`)
  }
}
await Effect.runPromise(Scope.close(scope, Exit.void))
process.exit(0)
