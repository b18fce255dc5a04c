import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"

/**
 * Symbolic checks of LaTeX expressions through `@cortex-js/compute-engine`, run in a worker thread under a hard
 * time limit: the caller waits synchronously (Atomics) and a check past its limit is abandoned and its worker
 * terminated, so a pathological answer (`(10^{10})!`) cannot stall grading. Three checks: `equal` (two
 * expressions), `relationEqual` (two relations, up to rearranging and scaling) and `fingerprint` (an expression's
 * values at fixed points, for vote keys). Expressions longer than `maxLength` are not sent.
 */

/** Options of every check. */
export interface Options {
  /** Relative tolerance of numeric comparison. */
  readonly tolerance: number
  /** Hard time limit of one check, in milliseconds (worker start-up not included). */
  readonly timeLimitMillis: number
}

/** The longest expression sent to the engine (characters); longer ones count as not equal / no fingerprint. */
export const maxLength = 400

/** A complex value. */
export interface Complex {
  readonly re: number
  readonly im: number
}

/** An expression's free variables (sorted) and its values at the fixed sample points (one when it has none). */
export interface Fingerprint {
  readonly variables: ReadonlyArray<string>
  readonly values: ReadonlyArray<Complex>
}

// The worker's code, plain JavaScript (a worker thread cannot load TypeScript). Each request is answered as JSON
// written into the shared byte buffer; the state word says pending, done or ready.
const workerSource = String.raw`
const { parentPort, workerData } = require("node:worker_threads")
const state = new Int32Array(workerData.shared)
const bytes = new Uint8Array(workerData.output)
const encoder = new TextEncoder()
let ce
const points = [0.7391, 1.618, -2.2361, 3.1416]
const close = (a, b, tolerance) =>
  Number.isFinite(a) && Number.isFinite(b) && (a === b || Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b)) + 1e-12)
const valueOf = (expression, bindings) => {
  const value = (Object.keys(bindings).length === 0 ? expression : expression.subs(bindings)).N()
  const re = value.re
  const im = value.im
  return typeof re === "number" && !Number.isNaN(re) && typeof im === "number" && !Number.isNaN(im) ? { re, im } : undefined
}
const unknownsOf = (...expressions) => [...new Set(expressions.flatMap((expression) => [...expression.unknowns]))].sort()
const bindingsAt = (unknowns, point) =>
  Object.fromEntries(unknowns.map((name, index) => [name, points[(point + index) % points.length] * (1 + index / 7)]))
const parsed = (latex) => {
  const expression = ce.parse(latex)
  return expression.isValid ? expression : undefined
}
const equal = ({ left, right, tolerance }) => {
  const a = parsed(left)
  const b = parsed(right)
  if (a === undefined || b === undefined) return false
  const ownA = unknownsOf(a).join(",")
  const ownB = unknownsOf(b).join(",")
  if (ownA !== ownB) return false
  const unknowns = ownA === "" ? [] : ownA.split(",")
  const equalAt = (bindings) => {
    const x = valueOf(a, bindings)
    const y = valueOf(b, bindings)
    if (x === undefined || y === undefined) return undefined
    return close(x.re, y.re, tolerance) && close(x.im, y.im, tolerance)
  }
  if (unknowns.length === 0) return equalAt({}) === true
  let compared = 0
  for (let point = 0; point < points.length; point++) {
    const same = equalAt(bindingsAt(unknowns, point))
    if (same === false) return false
    if (same === true) compared++
  }
  return compared >= 2
}
const difference = (left, right) => {
  const a = parsed(left)
  const b = parsed(right)
  return a === undefined || b === undefined ? undefined : ce.box(["Subtract", a, b])
}
// Two relations L1 op R1 and L2 op R2 are the same when D1 = L1 - R1 is a constant multiple c of D2 = L2 - R2
// (c != 0, and c > 0 for an inequality): compared at the sample points, real values only.
const relation = ({ first, second, positive, tolerance }) => {
  const a = difference(first[0], first[1])
  const b = difference(second[0], second[1])
  if (a === undefined || b === undefined) return false
  const unknowns = unknownsOf(a, b)
  if (unknownsOf(a).join(",") !== unknowns.join(",") || unknownsOf(b).join(",") !== unknowns.join(",")) return false
  let ratio
  let compared = 0
  for (let point = 0; point < points.length; point++) {
    const bindings = unknowns.length === 0 ? {} : bindingsAt(unknowns, point)
    const x = valueOf(a, bindings)
    const y = valueOf(b, bindings)
    if (x === undefined || y === undefined || Math.abs(x.im) > tolerance || Math.abs(y.im) > tolerance) continue
    const xZero = Math.abs(x.re) <= tolerance
    const yZero = Math.abs(y.re) <= tolerance
    if (xZero || yZero) {
      if (xZero !== yZero) return false
      compared++
      continue
    }
    const here = x.re / y.re
    if (positive && here <= 0) return false
    if (ratio === undefined) ratio = here
    else if (!close(ratio, here, tolerance * 10)) return false
    compared++
    if (unknowns.length === 0) break
  }
  return compared >= (unknowns.length === 0 ? 1 : 2)
}
const fingerprint = ({ expression }) => {
  const a = parsed(expression)
  if (a === undefined) return null
  const unknowns = unknownsOf(a)
  const values = []
  for (let point = 0; point < (unknowns.length === 0 ? 1 : 3); point++) {
    const value = valueOf(a, unknowns.length === 0 ? {} : bindingsAt(unknowns, point))
    if (value === undefined || !Number.isFinite(value.re) || !Number.isFinite(value.im)) return null
    values.push(value)
  }
  return { variables: unknowns, values }
}
const handlers = { equal, relation, fingerprint }
parentPort.on("message", (request) => {
  let result = null
  try {
    result = handlers[request.kind](request)
  } catch {
    result = null
  }
  const written = encoder.encodeInto(JSON.stringify(result), bytes.subarray(4))
  new DataView(workerData.output).setUint32(0, written.written)
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
const ready = 2
/** How long a new worker may take to load the compute engine before checks give up. */
const startupMillis = 60_000
const outputBytes = 64 * 1024

interface Running {
  readonly worker: Worker
  readonly state: Int32Array
  readonly output: SharedArrayBuffer
}

let running: Running | undefined

const start = (): Running | undefined => {
  const shared = new SharedArrayBuffer(8)
  const output = new SharedArrayBuffer(outputBytes)
  const state = new Int32Array(shared)
  // The package's ES module build, beside the CommonJS entry that `require.resolve` finds.
  const entry = createRequire(import.meta.url).resolve("@cortex-js/compute-engine")
  const engineUrl = pathToFileURL(join(dirname(entry), "compute-engine.min.esm.js")).href
  const worker = new Worker(workerSource, { eval: true, workerData: { shared, output, engineUrl } })
  worker.unref()
  worker.on("error", () => {
    if (running?.worker === worker) running = undefined
  })
  if (Atomics.wait(state, 0, pending, startupMillis) === "timed-out" || Atomics.load(state, 0) !== ready) {
    void worker.terminate()
    return undefined
  }
  return { worker, state, output }
}

const decoder = new TextDecoder()

/** Sends one request and waits for its JSON answer; `undefined` past the time limit or when no worker runs. */
const ask = (request: Record<string, unknown>, timeLimitMillis: number): unknown => {
  if (timeLimitMillis <= 0) return undefined
  running ??= start()
  const current = running
  if (current === undefined) return undefined
  Atomics.store(current.state, 0, pending)
  current.worker.postMessage(request)
  if (Atomics.wait(current.state, 0, pending, timeLimitMillis) === "timed-out") {
    void current.worker.terminate()
    running = undefined
    return undefined
  }
  const length = new DataView(current.output).getUint32(0)
  // Copy out of the shared buffer (TextDecoder does not read shared memory).
  const copy = new Uint8Array(length)
  copy.set(new Uint8Array(current.output, 4, length))
  try {
    return JSON.parse(decoder.decode(copy)) as unknown
  } catch {
    return undefined
  }
}

/**
 * Whether the engine must not be asked: an expression longer than `maxLength`, or with a factorial of anything but a
 * number below 1,000 (`100000!` or `(2^{64})!` kept the engine busy to its time limit, and a vote of such answers
 * for many times that).
 */
const tooLong = (...expressions: ReadonlyArray<string>): boolean =>
  expressions.some((expression) => expression.length > maxLength || heavyFactorial.test(expression))

const heavyFactorial = /(?:[)}\]a-zA-Z]|\d{4,})\s*!(?!=)/

/**
 * True when the compute engine finds the two expressions equal (numerically, or at sample points of the same
 * free variables); `false` when it finds them different, cannot parse them, or the check passes its time limit.
 *
 * @example
 * Symbolic.equal("(x+1)^2", "x^2+2x+1", { tolerance: 1e-6, timeLimitMillis: 2000 }) // true
 */
export const equal = (left: string, right: string, options: Options): boolean =>
  !tooLong(left, right) && ask({ kind: "equal", left, right, tolerance: options.tolerance }, options.timeLimitMillis) === true

/**
 * True when two relations `L1 op R1` and `L2 op R2` (same operator) say the same thing after rearranging and
 * scaling: `L1 − R1` is a constant multiple of `L2 − R2` at the sample points — nonzero for `=` and `≠`, positive
 * for `<` and `≤` (`positive: true`).
 *
 * @example
 * Symbolic.relationEqual(["2x+4y-3", "0"], ["y", "-\\frac12x+\\frac34"], false, options) // true
 */
export const relationEqual = (
  first: readonly [string, string],
  second: readonly [string, string],
  positive: boolean,
  options: Options
): boolean =>
  !tooLong(...first, ...second) && ask({ kind: "relation", first, second, positive, tolerance: options.tolerance }, options.timeLimitMillis) === true

const isComplex = (value: unknown): value is Complex =>
  typeof value === "object" && value !== null && typeof (value as Complex).re === "number" && typeof (value as Complex).im === "number"

/**
 * An expression's values at fixed sample points of its free variables (or its value, with none); `undefined`
 * when it does not parse, does not evaluate to finite numbers, or passes the time limit.
 *
 * @example
 * Symbolic.fingerprint("\\frac{\\sqrt{3}}{2}", options) // { variables: [], values: [{ re: 0.866…, im: 0 }] }
 */
export const fingerprint = (expression: string, options: Options): Fingerprint | undefined => {
  if (tooLong(expression)) return undefined
  const answer = ask({ kind: "fingerprint", expression }, options.timeLimitMillis)
  if (typeof answer !== "object" || answer === null) return undefined
  const { variables, values } = answer as { variables?: unknown; values?: unknown }
  if (!Array.isArray(variables) || !variables.every((name) => typeof name === "string")) return undefined
  if (!Array.isArray(values) || !values.every(isComplex)) return undefined
  return { variables: variables as ReadonlyArray<string>, values: values as ReadonlyArray<Complex> }
}
