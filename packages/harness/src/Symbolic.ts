import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"

/**
 * Symbolic equality of two LaTeX expressions through `@cortex-js/compute-engine`, run in a worker thread under
 * a hard time limit: the caller waits synchronously (Atomics) and a check past its limit is abandoned and its
 * worker terminated, so a pathological answer (`(10^{10})!`) cannot stall grading.
 */

/** Options of `equal`. */
export interface Options {
  /** Relative tolerance of numeric comparison. */
  readonly tolerance: number
  /** Hard time limit of one check, in milliseconds (worker start-up not included). */
  readonly timeLimitMillis: number
}

// The worker's code, plain JavaScript (a worker thread cannot load TypeScript). Parses both sides; with no free
// variables compares their numeric values (real and imaginary parts); with the same free variables compares
// them at several sample points; answers 1 (equal) or 0 through the shared array and notifies.
const workerSource = String.raw`
const { parentPort, workerData } = require("node:worker_threads")
const state = new Int32Array(workerData.shared)
let ce
const points = [0.7391, 1.618, -2.2361, 3.1416]
const close = (a, b, tolerance) =>
  a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b)))
const evaluate = (expression, bindings) => {
  const value = (Object.keys(bindings).length === 0 ? expression : expression.subs(bindings)).N()
  const re = value.re
  const im = value.im
  return typeof re === "number" && !Number.isNaN(re) && typeof im === "number" && !Number.isNaN(im) ? { re, im } : undefined
}
const compare = (left, right, tolerance) => {
  const a = ce.parse(left)
  const b = ce.parse(right)
  if (!a.isValid || !b.isValid) return false
  const ownA = [...a.unknowns].sort().join(",")
  const ownB = [...b.unknowns].sort().join(",")
  if (ownA !== ownB) return false
  const unknowns = ownA === "" ? [] : ownA.split(",")
  const equalAt = (bindings) => {
    const x = evaluate(a, bindings)
    const y = evaluate(b, bindings)
    if (x === undefined || y === undefined) return undefined
    return close(x.re, y.re, tolerance) && close(x.im, y.im, tolerance)
  }
  if (unknowns.length === 0) return equalAt({}) === true
  let compared = 0
  for (let point = 0; point < points.length; point++) {
    const bindings = Object.fromEntries(unknowns.map((name, index) => [name, points[(point + index) % points.length] * (1 + index / 7)]))
    const equal = equalAt(bindings)
    if (equal === false) return false
    if (equal === true) compared++
  }
  return compared >= 2
}
parentPort.on("message", ({ left, right, tolerance }) => {
  let result = 0
  try {
    result = compare(left, right, tolerance) ? 1 : 0
  } catch {
    result = 0
  }
  Atomics.store(state, 1, result)
  Atomics.store(state, 0, 1)
  Atomics.notify(state, 0)
})
import(workerData.engineUrl).then(({ ComputeEngine }) => {
  ce = new ComputeEngine()
  Atomics.store(state, 0, 2)
  Atomics.notify(state, 0)
})
`

const pending = 0
const done = 1
const ready = 2
/** How long a new worker may take to load the compute engine before checks give up. */
const startupMillis = 60_000

interface Running {
  readonly worker: Worker
  readonly state: Int32Array
}

let running: Running | undefined

const start = (): Running | undefined => {
  const shared = new SharedArrayBuffer(8)
  const state = new Int32Array(shared)
  // The package's ES module build, beside the CommonJS entry that `require.resolve` finds.
  const entry = createRequire(import.meta.url).resolve("@cortex-js/compute-engine")
  const engineUrl = pathToFileURL(join(dirname(entry), "compute-engine.min.esm.js")).href
  const worker = new Worker(workerSource, { eval: true, workerData: { shared, engineUrl } })
  worker.unref()
  worker.on("error", () => {
    if (running?.worker === worker) running = undefined
  })
  if (Atomics.wait(state, 0, pending, startupMillis) === "timed-out" || Atomics.load(state, 0) !== ready) {
    void worker.terminate()
    return undefined
  }
  return { worker, state }
}

/**
 * True when the compute engine finds the two expressions equal (numerically, or at sample points of the same
 * free variables); `false` when it finds them different, cannot parse them, or the check passes its time limit.
 *
 * @example
 * Symbolic.equal("(x+1)^2", "x^2+2x+1", { tolerance: 1e-6, timeLimitMillis: 2000 }) // true
 */
export const equal = (left: string, right: string, options: Options): boolean => {
  running ??= start()
  const current = running
  if (current === undefined || options.timeLimitMillis <= 0) return false
  Atomics.store(current.state, 0, pending)
  current.worker.postMessage({ left, right, tolerance: options.tolerance })
  if (Atomics.wait(current.state, 0, pending, options.timeLimitMillis) === "timed-out") {
    void current.worker.terminate()
    running = undefined
    return false
  }
  return Atomics.load(current.state, 1) === 1
}
