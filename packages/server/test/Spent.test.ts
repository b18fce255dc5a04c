import { describe, expect, it } from "vitest"
import { Server } from "../src/index.js"
import { BoundedMap } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

describe("BoundedMap", () => {
  it("keeps the latest entries up to its size, dropping the oldest first; setting a key again makes it the latest", () => {
    const map = new BoundedMap.BoundedMap<string, number>(3)
    for (const [index, key] of ["a", "b", "c", "d"].entries()) map.set(key, index)
    expect([...map.keys()]).toEqual(["b", "c", "d"])
    map.set("b", 10)
    map.set("e", 4)
    expect([...map.entries()]).toEqual([
      ["d", 3],
      ["b", 10],
      ["e", 4]
    ])
    expect(map.size).toBe(3)
  })

  it("refuses a size that is not a positive integer", () => {
    expect(() => new BoundedMap.BoundedMap(0)).toThrow(RangeError)
    expect(() => new BoundedMap.BoundedMap(1.5)).toThrow(RangeError)
  })
})

describe("the spend a server keeps per request", () => {
  it("is bounded: the latest keepSpent requests, the older ones dropped", async () => {
    const { server, world } = await Served.start({ keepSpent: 3 })
    try {
      const question = Served.problems(world, 1)[0]!.question
      const ids: Array<string> = []
      for (let index = 0; index < 5; index++) {
        const response = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "best-of-n:stepwise-sim", messages: [{ role: "user", content: question }], stepwise: { options: { n: 1 }, budget: { totalTokens: 2000 } } })
        })
        expect(response.status).toBe(200)
        ids.push(((await response.json()) as { id: string }).id)
      }
      expect([...server.state().spentById.keys()]).toEqual(ids.slice(2))
    } finally {
      await server.close()
    }
  })

  it("is bounded by default, and the bound may be set; a bound that is not a positive integer is refused", async () => {
    expect(Server.defaultKeepSpent).toBeGreaterThanOrEqual(1000)
    const { upstream } = Served.simulatorUpstream()
    await expect(Server.listen({ upstream, keepSpent: 0 })).rejects.toMatchObject({ _tag: "InvalidOptions", field: "keepSpent" })
  })
})
