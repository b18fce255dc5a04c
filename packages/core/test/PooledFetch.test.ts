import { createServer } from "node:http"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { gzipSync } from "node:zlib"
import { afterEach, describe, expect, it } from "vitest"
import { PooledFetch } from "../src/index.js"

/** A local server that counts the connections it accepted. */
const serve = async (handle: (request: IncomingMessage, response: ServerResponse, body: string) => void) => {
  const server: Server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")))
  })
  let connections = 0
  server.on("connection", () => connections++)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  opened.push(server)
  return { url, connections: () => connections, server }
}

const opened: Array<Server> = []
const pools: Array<PooledFetch.Pooled> = []
const pool = () => {
  const made = PooledFetch.make()
  pools.push(made)
  return made
}
afterEach(async () => {
  for (const made of pools.splice(0)) made.destroy()
  for (const server of opened.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

const echo = (request: IncomingMessage, response: ServerResponse, body: string) => {
  const text = JSON.stringify({ method: request.method, body, type: request.headers["content-type"] ?? null })
  response.writeHead(200, { "content-type": "application/json", "x-extra": "yes" })
  response.end(text)
}

describe("PooledFetch", () => {
  it("sends the method, headers and body, and returns status, headers and body as a Response", async () => {
    const { url } = await serve(echo)
    const response = await pool().fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"x":1}'
    })
    expect(response.status).toBe(200)
    expect(response.ok).toBe(true)
    expect(response.headers.get("x-extra")).toBe("yes")
    expect(await response.json()).toEqual({ method: "POST", body: '{"x":1}', type: "application/json" })
  })

  it("reuses one kept-alive connection for sequential requests, and no more connections than requests in flight", async () => {
    const { url, connections } = await serve(echo)
    const made = pool()
    for (let index = 0; index < 20; index++) await (await made.fetch(url, { method: "POST", body: String(index) })).text()
    expect(connections()).toBe(1)
    for (let round = 0; round < 5; round++)
      await Promise.all(Array.from({ length: 8 }, (_, index) => made.fetch(url, { method: "POST", body: String(index) }).then((response) => response.text())))
    expect(connections()).toBeLessThanOrEqual(8)
    expect(made.connections().opened).toBe(connections())
  })

  it("fails a refused connection with TypeError('fetch failed') whose cause names the socket error, as the global fetch does", async () => {
    const { url, server } = await serve(echo)
    server.close()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const failure = await pool().fetch(url, { method: "POST", body: "{}" }).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(TypeError)
    expect((failure as TypeError).message).toBe("fetch failed")
    expect(((failure as TypeError).cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED")
  })

  it("rejects with the signal's reason when aborted, before or during the request", async () => {
    const { url } = await serve(() => undefined) // never answers
    const made = pool()
    const before = new AbortController()
    before.abort(new Error("stop before"))
    await expect(made.fetch(url, { method: "POST", body: "{}", signal: before.signal })).rejects.toThrow("stop before")
    const during = new AbortController()
    const pending = made.fetch(url, { method: "POST", body: "{}", signal: during.signal })
    setTimeout(() => during.abort(new Error("stop during")), 20)
    await expect(pending).rejects.toThrow("stop during")
  })

  it("fails a reply cut short (fewer bytes than its content-length) with a connection error", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100" })
      response.write('{"choices": [')
      response.socket?.destroy()
    })
    const failure = await pool().fetch(url, { method: "POST", body: "{}" }).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(TypeError)
  })

  it("sends a request again on a fresh connection when a reused idle one was closed by the server", async () => {
    const served = new WeakSet<Socket>()
    const { url, connections } = await serve((request, response, body) => {
      // The second request on a connection finds it closed, as when the server dropped it while it sat idle.
      if (served.has(request.socket)) return request.socket.destroy()
      served.add(request.socket)
      echo(request, response, body)
    })
    const made = pool()
    expect(await (await made.fetch(url, { method: "POST", body: "first" })).json()).toMatchObject({ body: "first" })
    expect(await (await made.fetch(url, { method: "POST", body: "second" })).json()).toMatchObject({ body: "second" })
    expect(connections()).toBe(2)
  })

  it("decodes a gzip body and returns an empty body for 204", async () => {
    const { url } = await serve((request, response) => {
      if (request.url === "/empty") {
        response.writeHead(204)
        return response.end()
      }
      response.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
      response.end(gzipSync(JSON.stringify({ zipped: true })))
    })
    const made = pool()
    expect(await (await made.fetch(url)).json()).toEqual({ zipped: true })
    const empty = await made.fetch(`${url}/empty`)
    expect(empty.status).toBe(204)
    expect(await empty.text()).toBe("")
  })

  it("returns a Response read from the whole body: read once, cloned to read twice, streamed when asked", async () => {
    const { url } = await serve(echo)
    const made = pool()
    const response = await made.fetch(url, { method: "POST", body: "ünïcode ✓" })
    expect(response).toBeInstanceOf(Response)
    expect(response.bodyUsed).toBe(false)
    const copy = response.clone()
    const text = await response.text()
    expect(JSON.parse(text)).toMatchObject({ body: "ünïcode ✓" })
    expect(response.bodyUsed).toBe(true)
    await expect(response.text()).rejects.toThrow(TypeError)
    await expect(response.json()).rejects.toThrow(TypeError)
    expect(() => response.clone()).toThrow(TypeError)
    // The clone reads the same bytes as a stream.
    const reader = copy.body!.getReader()
    const chunks: Array<Uint8Array> = []
    for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value)
    expect(Buffer.concat(chunks).toString("utf8")).toBe(text)
    expect(copy.bodyUsed).toBe(true)
    await expect(copy.text()).rejects.toThrow(TypeError)
    // Every reader gives what a Response made from the same bytes gives.
    for (const read of ["text", "json", "arrayBuffer", "bytes", "blob"] as const) {
      const fetched = await made.fetch(url, { method: "POST", body: "x" })
      // (`bytes` is on Node 20's Response, not yet in its DOM typings.)
      type Readers = Record<typeof read, () => Promise<unknown>>
      const reference = new Response(await (await made.fetch(url, { method: "POST", body: "x" })).arrayBuffer(), { headers: fetched.headers })
      const expected = await (reference as unknown as Readers)[read]()
      const got = await (fetched as unknown as Readers)[read]()
      if (read === "blob") expect([(got as Blob).type, await (got as Blob).text()]).toEqual([(expected as Blob).type, await (expected as Blob).text()])
      else expect(got).toEqual(expected)
    }
    // Once `body` is taken, reads go through that stream, as on a Response made from the same bytes.
    for (const response of [await made.fetch(url, { method: "POST", body: "x" }), new Response("x")]) {
      const stream = response.body!
      expect(await response.text()).toContain("x")
      expect(response.bodyUsed).toBe(true)
      expect(() => stream.getReader()).toThrow(TypeError) // the read locked it
    }
    const broken = await serve((_request, response) => response.end("{not json"))
    await expect((await made.fetch(broken.url)).json()).rejects.toThrow(SyntaxError)
  })

  it("passes an error status through with its body (the caller maps it)", async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(429, { "content-type": "application/json", "retry-after": "3" })
      response.end(JSON.stringify({ message: "slow down" }))
    })
    const response = await pool().fetch(url, { method: "POST", body: "{}" })
    expect(response.status).toBe(429)
    expect(response.headers.get("retry-after")).toBe("3")
    expect(await response.json()).toEqual({ message: "slow down" })
  })
})
