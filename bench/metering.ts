/**
 * What metering costs: the same language-model calls and verifier calls with no accountant (the default
 * unmetered `Meter`), under one accountant, and under a three-level chain of child budgets, measured side by side
 * in one run and reported as ratios; then the meter alone (`metered` around a call that answers at once) in µs per
 * call. Also the memory of 100,000 search-tree nodes as persistent trajectories
 * against copying each path into its own array.
 *
 *   node --expose-gc --import tsx bench/metering.ts
 *
 * or, to time the code as the published packages run it (compiled JavaScript, not through tsx's loader):
 *   bench/bundle.sh bench/metering.ts /tmp/metering.mjs && node --expose-gc /tmp/metering.mjs
 */
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { Message, Meter, Problem, Step, Trajectory, Usage } from "@stepwise/core"
import { Scripted } from "@stepwise/testing"

const calls = 20_000
const model = Scripted.languageModel(() => "Step 1: 2 + 2 = 4")
const verifier = Scripted.verifier(() => 0.9)
const problem = Problem.make({ id: "bench", question: "2 + 2?" })
const trajectory = Trajectory.fromSteps([Step.make({ text: "Step 1: 2 + 2 = 4" })])
const request = { messages: [Message.user("2 + 2?")], n: 4, maxTokens: 64 }

const workload = Effect.forEach(
  Array.from({ length: calls }, (_, index) => index),
  () => Effect.andThen(model.generate(request), verifier.score(problem, trajectory)),
  { concurrency: 64, discard: true }
)

// CPU time (user + system) of one run, in ms: steadier than wall time on a machine shared with other work.
const elapsed = async (effect: Effect.Effect<unknown, unknown>) => {
  ;(globalThis as { gc?: () => void }).gc?.()
  const start = process.cpuUsage()
  await Effect.runPromise(effect)
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * Runs the variants interleaved, round after round (the first round warms up; every other round runs them in reverse
 * order), and keeps each one's median, and the median, lowest and highest of its per-round ratio to the first
 * variant: a ratio of two runs seconds apart, so load that comes and goes on a shared machine touches both alike.
 */
const timeSideBySide = async (variants: ReadonlyArray<{ readonly label: string; readonly effect: Effect.Effect<unknown, unknown> }>, rounds = 11) => {
  const samples = variants.map(() => [] as Array<number>)
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? [...variants.keys()] : [...variants.keys()].reverse()
    for (const index of order) {
      const millis = await elapsed(variants[index]!.effect)
      if (round > 0) samples[index]!.push(millis)
    }
  }
  return variants.map((variant, index) => {
    const ratios = samples[index]!.map((millis, round) => millis / samples[0]![round]!)
    return { label: variant.label, millis: median(samples[index]!), ratio: median(ratios), lowest: Math.min(...ratios), highest: Math.max(...ratios) }
  })
}

const main = async () => {
  memory()
  const rows = await timeSideBySide([
    { label: "no accountant", effect: workload },
    {
      label: "one accountant",
      effect: Effect.flatMap(Accountant.make({ totalTokens: 1e12, verifierCalls: 1e12 }), (accountant) => Accountant.provide(accountant)(workload))
    },
    {
      label: "three nested budgets",
      effect: Effect.gen(function* () {
        const accountant = yield* Accountant.make({ totalTokens: 1e12 })
        const child = yield* accountant.child({ totalTokens: 1e11 })
        const grandchild = yield* child.child({ verifierCalls: 1e11 })
        return yield* Accountant.provide(grandchild)(workload)
      })
    }
  ])
  console.log(`${calls} generate + score pairs, 64 fibers at once (CPU time; median of 11 interleaved rounds; ratio: median of the rounds' ratios, lowest–highest)`)
  for (const row of rows)
    console.log(
      `  ${row.label.padEnd(22)} ${row.millis.toFixed(0).padStart(6)} ms  ×${row.ratio.toFixed(2)} (${row.lowest.toFixed(2)}–${row.highest.toFixed(2)})`
    )

  // The meter alone: `metered` around a call that answers at once, no backend wrapper around it.
  const root = await Effect.runPromise(Accountant.make({ totalTokens: 1e12 }))
  const child = await Effect.runPromise(root.child({ totalTokens: 1e11 }))
  const grandchild = await Effect.runPromise(child.child({ verifierCalls: 1e11 }))
  const one = await Effect.runPromise(Accountant.make({ totalTokens: 1e12, verifierCalls: 1e12 }))
  const claim: Meter.Claim = { role: "policy", label: "bench", inputTokens: 16, samples: 4, maxTokensPerSample: 64, minTokensPerSample: 1, verifierCalls: 0 }
  const usage = Usage.make({ inputTokens: 16, outputTokens: 16, cachedInputTokens: 0 })
  const meterCalls = 2 * calls
  const meterOnly = (meter: Meter.Service) =>
    Effect.forEach(Array.from({ length: meterCalls }, (_, index) => index), () => meter.metered(claim, () => Effect.succeed(1), () => usage), {
      concurrency: 64,
      discard: true
    })
  const meterRows = await timeSideBySide([
    { label: "unmetered meter", effect: meterOnly(Meter.unmetered) },
    { label: "one accountant", effect: meterOnly(one.meter) },
    { label: "three nested budgets", effect: meterOnly(grandchild.meter) }
  ])
  console.log(`the meter alone: ${meterCalls} calls of \`metered\` around a call that answers at once (µs CPU per call, median of 11 interleaved rounds)`)
  for (const row of meterRows) console.log(`  ${row.label.padEnd(22)} ${((row.millis * 1000) / meterCalls).toFixed(2).padStart(6)} µs  ×${row.ratio.toFixed(2)}`)

}

const memory = () => {
  // Memory: a tree of 100,000 nodes, each node a one-step extension of a random earlier node.
  const nodes = 100_000
  const gc = (globalThis as { gc?: () => void }).gc
  const heap = () => {
    gc?.()
    gc?.()
    return process.memoryUsage().heapUsed
  }
  const step = (index: number) => {
    const text = `Step: ${index} + 1 = ${index + 1}`
    text.charCodeAt(0) // flatten the string now, so its later flattening is not counted as a saving
    return Step.make({ text })
  }
  const steps = Array.from({ length: nodes }, (_, index) => step(index))
  Trajectory.fromSteps(steps.slice(0, 10)) // warm the code paths before measuring
  const parentOf = (index: number) => Math.floor(Math.abs(Math.sin(index + 1)) * index)
  const base = heap()
  const persistent: Array<Trajectory.Trajectory> = [Trajectory.empty]
  for (let index = 1; index < nodes; index++) persistent.push(Trajectory.append(persistent[parentOf(index)]!, steps[index]!))
  const persistentBytes = heap() - base
  const copied: Array<ReadonlyArray<Step.Step>> = [[]]
  for (let index = 1; index < nodes; index++) copied.push([...copied[parentOf(index)]!, steps[index]!])
  const copiedBytes = heap() - base - persistentBytes
  // Both structures are read after the measurements, so neither is collected before its measurement.
  console.log(`${persistent.length} tree nodes, deepest path ${Math.max(...persistent.map((node) => node.length))} steps, ${copied.length} copies${gc === undefined ? " (run with --expose-gc for exact figures)" : ""}`)
  console.log(`  persistent trajectories ${(persistentBytes / 2 ** 20).toFixed(1).padStart(7)} MiB`)
  console.log(`  copied step arrays      ${(copiedBytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ×${(copiedBytes / persistentBytes).toFixed(1)}`)
}

main()
