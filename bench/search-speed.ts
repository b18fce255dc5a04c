/**
 * How fast the search machinery is on an instant backend: node expansions per CPU-second for A* (frontier cap 256
 * and unbounded), beam search and particle filtering, at trees of about 1k, 10k and 100k nodes, side by side in one
 * run, with each size's time per node as a ratio to the 1k figure (≈1 when per-node time is flat), and A*'s cap
 * as a ratio to unbounded. The backend answers in O(1): a step text derived from the request's seed and sample
 * index, and a verifier score derived from the trajectory's key, so what is measured is ours (metering, recording,
 * scoring bookkeeping, the frontier, the Effect runtime), not a model's.
 *
 *   npx tsx bench/search-speed.ts [--sizes 1000,10000,100000] [--only a-star,beam-search] [--rounds 3] [--fork]
 *
 * With `--fork` every measurement runs in a process of its own (warmed on three 2,000-node trees of its cell first), so
 * no cell runs in a heap another cell left, and the rounds still interleave the cells.
 *
 * A tree of N nodes: A* runs until N verifier calls (every generated node is scored once); beam search and particle
 * filtering run N/40 beams or particles for 40 steps (the default `maxSteps`), so the depth stays that of a real
 * search and the breadth grows.
 */
import { execFileSync } from "node:child_process"
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import type { Budget } from "@stepwise/accountant"
import type { Strategy } from "@stepwise/search"
import { AStar, BeamSearch, ParticleFiltering } from "@stepwise/search"
import { LanguageModel, Message, Problem, ProcessRewardModel, Usage } from "@stepwise/core"

const argument = (name: string, fallback: string): string => {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

const sizes = argument("sizes", "1000,10000,100000").split(",").map(Number)
const only = argument("only", "a-star,a-star-unbounded,beam-search,particle-filtering").split(",")
const rounds = Number(argument("rounds", "3"))
const fork = process.argv.includes("--fork")
// Internal: the one cell a forked process measures (`--child a-star`), at the one size given.
const child = process.argv.includes("--child") ? argument("child", "") : undefined

/** A policy that answers at once: sample i of a request seeded s is the step "s.i" (never an answer). */
const model = LanguageModel.make({
  info: { name: "instant" },
  countInputTokens: () => 16,
  generate: (request) =>
    Effect.sync(() => {
      const completions: Array<LanguageModel.Completion> = []
      for (let index = 0; index < request.n; index++)
        completions.push({
          index,
          text: `${request.seed ?? 0}.${index}`,
          finishReason: "stop",
          usage: Usage.make({ inputTokens: index === 0 ? 16 : 0, outputTokens: 4, cachedInputTokens: 0 })
        })
      return completions
    })
})

/** A verifier that answers at once: every step scored by a number read off the trajectory's key. */
const verifier = ProcessRewardModel.make({
  info: { name: "instant-prm" },
  score: (_problem, trajectory) =>
    Effect.sync(() => ({
      stepScores: new Array<number>(trajectory.length).fill(Number.parseInt(trajectory.key.slice(0, 6), 16) / 0x1000000),
      usage: Usage.zero
    }))
})

const problem = Problem.make({ id: "speed", question: "?", messages: [Message.user("?")] })

interface Cell {
  readonly label: string
  readonly size: number
  readonly make: (size: number) => Effect.Effect<Strategy.Strategy, unknown>
  readonly limits: (size: number) => Budget.Limits
}

const width = 4
const depth = 40
const cells = (size: number): ReadonlyArray<Cell> =>
  [
    {
      label: "a-star",
      size,
      make: () => AStar.make({ expansions: 4, frontierCap: 256, maxSteps: 100_000, maxTokens: 1e9, rescue: false }),
      limits: (size: number) => ({ verifierCalls: size })
    },
    {
      label: "a-star-unbounded",
      size,
      make: () => AStar.make({ expansions: 4, frontierCap: 1e9, maxSteps: 100_000, maxTokens: 1e9, rescue: false }),
      limits: (size: number) => ({ verifierCalls: size })
    },
    {
      label: "beam-search",
      size,
      make: (size: number) =>
        BeamSearch.make({ beams: Math.max(width, Math.round(size / depth / width) * width), width, maxSteps: depth, maxTokens: 1e9, rescue: false }),
      limits: () => ({})
    },
    {
      label: "particle-filtering",
      size,
      make: (size: number) => ParticleFiltering.make({ particles: Math.max(1, Math.round(size / depth)), maxSteps: depth, maxTokens: 1e9, rescue: false }),
      limits: () => ({})
    }
  ].filter((cell) => only.includes(cell.label))

const measure = (cell: Cell) =>
  Effect.gen(function* () {
    const strategy = yield* cell.make(cell.size)
    const accountant = yield* Accountant.make(cell.limits(cell.size))
    const before = process.cpuUsage()
    const result = yield* strategy.run(problem).pipe(
      Effect.provideService(LanguageModel.LanguageModel, model),
      Effect.provideService(ProcessRewardModel.ProcessRewardModel, verifier),
      Accountant.provide(accountant)
    )
    const used = process.cpuUsage(before)
    const cpuSeconds = (used.user + used.system) / 1e6
    const depth = result.tree.nodes.reduce((sum, node) => sum + node.depth, 0) / result.tree.nodes.length
    return { nodes: result.tree.nodes.length, cpuSeconds, depth }
  })

/** Measures one cell in a process of its own, through this script with `--child`. */
const measureForked = (label: string, size: number): { nodes: number; cpuSeconds: number; depth: number } =>
  JSON.parse(
    execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, "--child", label, "--sizes", String(size)], { encoding: "utf8" })
  ) as { nodes: number; cpuSeconds: number; depth: number }

const childProgram = (label: string) =>
  Effect.gen(function* () {
    for (let warm = 0; warm < 3; warm++) for (const cell of cells(2000).filter((each) => each.label === label)) yield* measure(cell)
    const cell = cells(sizes[0]!).find((each) => each.label === label)!
    process.stdout.write(JSON.stringify(yield* measure(cell)))
  })

const program = Effect.gen(function* () {
  // Warm the code paths (JIT) on small trees first, so the first measured size is not the one that pays for it.
  if (!fork) for (const cell of cells(2000)) yield* measure(cell)
  const rows: Array<{ label: string; size: number; nodes: number; depth: number; micros: number }> = []
  for (const size of sizes) {
    // Rounds interleave the cells of a size (a burst of other work on the machine hits them alike); each cell keeps
    // its median round: one process's JIT can run a cell a third faster or slower than the next process's, so an
    // extreme round (the fastest) says more about luck than about the code.
    const measuredRounds = new Map<string, Array<{ nodes: number; cpuSeconds: number; depth: number }>>()
    for (let round = 0; round < rounds; round++)
      // Every other round runs the cells in reverse: a cell run right after another pays part of its garbage.
      for (const cell of round % 2 === 0 ? cells(size) : [...cells(size)].reverse()) {
        const measured = fork ? measureForked(cell.label, size) : yield* measure(cell)
        measuredRounds.set(cell.label, [...(measuredRounds.get(cell.label) ?? []), measured])
      }
    for (const cell of cells(size)) {
      const sorted = [...measuredRounds.get(cell.label)!].sort((left, right) => left.cpuSeconds / left.nodes - right.cpuSeconds / right.nodes)
      const kept = sorted[Math.floor(sorted.length / 2)]!
      const perNode = (each: { nodes: number; cpuSeconds: number }) => ((each.cpuSeconds * 1e6) / each.nodes).toFixed(1)
      rows.push({ label: cell.label, size, nodes: kept.nodes, depth: kept.depth, micros: (kept.cpuSeconds * 1e6) / kept.nodes })
      console.error(`${cell.label} ${size}: ${kept.nodes} nodes, median ${perNode(kept)} µs per node (rounds ${perNode(sorted[0]!)}–${perNode(sorted[sorted.length - 1]!)})`)
    }
  }
  console.log("| strategy | nodes | mean depth | µs CPU per node | nodes per CPU-second | × of its smallest tree | × of unbounded A* |")
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  for (const row of rows) {
    const smallest = rows.find((other) => other.label === row.label)!
    const unbounded = rows.find((other) => other.label === "a-star-unbounded" && other.size === row.size)
    console.log(
      `| ${row.label} | ${row.nodes} | ${row.depth.toFixed(1)} | ${row.micros.toFixed(1)} | ${Math.round(1e6 / row.micros)} | ${(row.micros / smallest.micros).toFixed(2)} | ${
        row.label === "a-star" && unbounded !== undefined ? (row.micros / unbounded.micros).toFixed(2) : ""
      } |`
    )
  }
})

Effect.runPromise(child === undefined ? program : childProgram(child)).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
