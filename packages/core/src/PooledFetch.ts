import { Agent as HttpAgent, request as httpRequest } from "node:http"
import type { IncomingMessage, OutgoingHttpHeaders } from "node:http"
import { Agent as HttpsAgent, request as httpsRequest } from "node:https"
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib"

/**
 * A `fetch` for calls to inference servers: each request goes over `node:http`/`node:https` on a keep-alive
 * connection pool per origin, and the whole body is read before the `Response` is returned. On Node 20 the global
 * `fetch` (undici) costs several times more CPU per call on loopback (about 0.6 against 0.1–0.2 ms per call on two
 * cores, `bench/critical-path.ts`), which is what a search spends between rounds of calls.
 *
 * Use it as the `fetch` of a backend or verifier that posts JSON to a server and reads the whole reply (the
 * Hugging Face backend against a self-hosted server, the pooling PRM). It is not a full `fetch`: a `Request`
 * object, a streamed or form body, or a redirect is handed to the global `fetch`. It keeps the global `fetch`'s
 * contract where the callers look: connection failures reject with `TypeError("fetch failed")` whose `cause` is
 * the socket error, an aborted signal rejects with the signal's reason, and a gzip, deflate or brotli body is
 * decoded. A request that fails on a reused idle connection before any reply (the server closed it meanwhile)
 * is sent once more on a fresh one, as Node's documentation advises.
 *
 * @example
 * const response = await PooledFetch.fetch("http://127.0.0.1:8000/v1/completions", { method: "POST", body })
 */

/** Connection counts of a pool, for tests and benchmarks: sockets opened so far, and those open now. */
export interface Connections {
  readonly opened: number
  readonly open: number
}

/** A pooled fetch and what its pool holds. */
export interface Pooled {
  readonly fetch: typeof globalThis.fetch
  /** The connections this pool has opened. */
  readonly connections: () => Connections
  /** Closes every pooled connection (requests in flight end with a connection error). */
  readonly destroy: () => void
}

const resetCodes = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"])

const headersOf = (headers: RequestInit["headers"], body: Buffer | undefined): OutgoingHttpHeaders => {
  const result: Record<string, string> = {}
  if (headers !== undefined) {
    if (headers instanceof Headers) headers.forEach((value, name) => (result[name] = value))
    else if (Array.isArray(headers)) for (const [name, value] of headers) result[String(name).toLowerCase()] = String(value)
    else for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = String(value)
  }
  if (body !== undefined) result["content-length"] = String(body.length)
  return result
}

const bodyOf = (body: RequestInit["body"]): Buffer | undefined | "other" => {
  if (body === undefined || body === null) return undefined
  if (typeof body === "string") return Buffer.from(body, "utf8")
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (body instanceof ArrayBuffer) return Buffer.from(body)
  return "other"
}

const decoded = (encoding: string | undefined, raw: Buffer): Buffer => {
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return gunzipSync(raw)
    case "deflate":
      return inflateSync(raw)
    case "br":
      return brotliDecompressSync(raw)
    default:
      return raw
  }
}

const unusable = () => Promise.reject(new TypeError("Body is unusable: Body has already been read"))

// Typed as a plain base: the DOM typings declare `Response`'s methods as properties, which a class cannot override.
const ResponseBase: new (body: null, init: ResponseInit) => object = Response

/**
 * A `Response` over a body already read whole: `text()`, `json()`, `arrayBuffer()` and `bytes()` read the buffer
 * directly, and `body` (a stream) is made only when asked for. A `Response` made from the buffer builds a
 * `ReadableStream` at once and reads it back through it: 29% of a pooled request's client CPU in a profile on
 * loopback (`bench/http-floor.ts`). As with any `Response`, the body can be read once (`clone()` first to read it
 * twice); once `body` was taken, every read goes through that stream.
 */
class BufferedResponse extends ResponseBase {
  #raw: Buffer | null
  #used = false
  #streamed: Response | undefined

  constructor(raw: Buffer | null, init: ResponseInit) {
    super(null, init)
    this.#raw = raw
  }

  #init(): ResponseInit {
    const self = this as unknown as Response
    return { status: self.status, statusText: self.statusText, headers: self.headers }
  }

  /** The real `Response` over the buffer, for what is read as a stream; made once. */
  #whole(): Response {
    if (this.#streamed === undefined) {
      this.#streamed = new Response(this.#raw, this.#init())
      if (this.#used) void this.#streamed.arrayBuffer()
    }
    return this.#streamed
  }

  // Once `body` was asked for, every read goes through that stream (as on any Response), so it is read once.
  #take(): Buffer | undefined {
    if (this.#used) return undefined
    this.#used = true
    return this.#raw ?? Buffer.alloc(0)
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#raw === null ? null : this.#whole().body
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#streamed?.bodyUsed ?? false)
  }

  text(): Promise<string> {
    if (this.#streamed !== undefined) return this.#streamed.text()
    const raw = this.#take()
    return raw === undefined ? unusable() : Promise.resolve(raw.toString("utf8"))
  }

  json(): Promise<unknown> {
    if (this.#streamed !== undefined) return this.#streamed.json()
    const raw = this.#take()
    if (raw === undefined) return unusable()
    try {
      return Promise.resolve(JSON.parse(raw.toString("utf8")) as unknown)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#streamed !== undefined) return this.#streamed.arrayBuffer()
    const raw = this.#take()
    return raw === undefined ? unusable() : Promise.resolve(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer)
  }

  bytes(): Promise<Uint8Array> {
    if (this.#streamed !== undefined) return (this.#streamed as unknown as { bytes: () => Promise<Uint8Array> }).bytes()
    const raw = this.#take()
    return raw === undefined ? unusable() : Promise.resolve(new Uint8Array(raw))
  }

  blob(): Promise<Blob> {
    if (this.#streamed !== undefined) return this.#streamed.blob()
    const raw = this.#take()
    return raw === undefined ? unusable() : Promise.resolve(new Blob([raw], { type: (this as unknown as Response).headers.get("content-type") ?? "" }))
  }

  formData(): Promise<FormData> {
    return this.#whole().formData()
  }

  clone(): Response {
    if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed.")
    return new BufferedResponse(this.#raw, this.#init()) as unknown as Response
  }
}

const responseOf = (message: IncomingMessage, raw: Buffer): Response => {
  const headers = new Headers()
  const list = message.rawHeaders
  for (let index = 0; index + 1 < list.length; index += 2) headers.append(list[index]!, list[index + 1]!)
  const status = message.statusCode ?? 502
  const empty = status === 204 || status === 205 || status === 304
  const encoding = message.headers["content-encoding"]
  const body = empty ? null : decoded(typeof encoding === "string" ? encoding : undefined, raw)
  if (body !== null && body !== raw) headers.delete("content-encoding")
  return new BufferedResponse(body, { status, statusText: message.statusMessage ?? "", headers }) as unknown as Response
}

const failure = (cause: unknown): TypeError => new TypeError("fetch failed", { cause })

/**
 * A failed fetch as one line for an error message: the error's name and message, and what caused it (the socket's
 * code, such as `ECONNREFUSED`, and its message) — the global fetch and this one both reject with
 * `TypeError("fetch failed")` whose `cause` says why.
 */
export const describeFailure = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const cause = (error as { cause?: unknown }).cause
  const caused = cause instanceof Error ? ` caused by ${(cause as { code?: string }).code ?? cause.name}: ${cause.message}` : ""
  return `${error.name}: ${error.message}${caused}`
}

/**
 * Makes a pooled fetch with its own keep-alive pools (one for `http:`, one for `https:`). Most callers want the
 * shared `fetch`; a test that counts connections makes its own.
 */
export const make = (): Pooled => {
  let opened = 0
  const count = (agent: HttpAgent) => {
    const create = agent.createConnection.bind(agent)
    agent.createConnection = ((...parameters: Parameters<typeof create>) => {
      opened++
      return create(...parameters)
    }) as typeof agent.createConnection
    return agent
  }
  const http = count(new HttpAgent({ keepAlive: true, scheduling: "lifo" }))
  const https = count(new HttpsAgent({ keepAlive: true, scheduling: "lifo" }) as unknown as HttpAgent)
  const openOf = (agent: HttpAgent): number => {
    let total = 0
    for (const list of [agent.sockets, agent.freeSockets]) for (const sockets of Object.values(list)) total += sockets?.length ?? 0
    return total
  }

  const send = (url: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer | undefined, signal: AbortSignal | undefined, retried: boolean): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const secure = url.protocol === "https:"
      const request = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: secure ? https : http })
      let settled = false
      let replied = false
      const done = (outcome: () => void) => {
        if (settled) return
        settled = true
        signal?.removeEventListener("abort", onAbort)
        outcome()
      }
      const onAbort = () => {
        request.destroy()
        done(() => reject(signal?.reason ?? new DOMException("This operation was aborted", "AbortError")))
      }
      signal?.addEventListener("abort", onAbort, { once: true })
      request.on("error", (error: NodeJS.ErrnoException) => {
        if (settled) return
        // A kept-alive connection the server closed while it sat idle: send once more on a fresh one.
        if (!replied && !retried && request.reusedSocket && resetCodes.has(error.code ?? "")) {
          signal?.removeEventListener("abort", onAbort)
          settled = true
          send(url, method, headers, body, signal, true).then(resolve, reject)
          return
        }
        done(() => reject(failure(error)))
      })
      request.on("response", (message) => {
        replied = true
        const chunks: Array<Buffer> = []
        message.on("data", (chunk: Buffer) => chunks.push(chunk))
        message.on("error", (error) => done(() => reject(failure(error))))
        message.on("aborted", () => done(() => reject(failure(Object.assign(new Error("the connection closed before the whole reply came"), { code: "ECONNRESET" })))))
        message.on("end", () => {
          if (!message.complete) return done(() => reject(failure(Object.assign(new Error("the reply was cut short"), { code: "ECONNRESET" }))))
          done(() => {
            try {
              resolve(responseOf(message, Buffer.concat(chunks)))
            } catch (error) {
              reject(failure(error))
            }
          })
        })
      })
      request.end(body)
    })

  const fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (input instanceof Request) return globalThis.fetch(input, init)
    const body = bodyOf(init?.body)
    const url = new URL(String(input))
    if (body === "other" || (url.protocol !== "http:" && url.protocol !== "https:")) return globalThis.fetch(input, init)
    const signal = init?.signal ?? undefined
    if (signal?.aborted === true) throw signal.reason
    const method = (init?.method ?? "GET").toUpperCase()
    const response = await send(url, method, headersOf(init?.headers, body), body, signal, false)
    // Redirects are rare between a client and its inference server: the global fetch follows them.
    if (response.status >= 300 && response.status < 400 && response.headers.has("location") && init?.redirect !== "manual")
      return globalThis.fetch(input, init)
    return response
  }) as typeof globalThis.fetch

  return {
    fetch,
    connections: () => ({ opened, open: openOf(http) + openOf(https) }),
    destroy: () => {
      http.destroy()
      https.destroy()
    }
  }
}

const shared = make()

/** The shared pooled fetch: every backend and verifier that takes it shares its connection pools. */
export const fetch: typeof globalThis.fetch = shared.fetch
