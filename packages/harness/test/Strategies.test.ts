import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Strategies } from "../src/index.js"

describe("Strategies", () => {
  it("makes every registered strategy from JSON options, and refuse unknown names and bad options", async () => {
    for (const name of Strategies.names) {
      const strategy = await Effect.runPromise(Strategies.factory(name, { seed: 1 }))
      expect(typeof strategy.run).toBe("function")
    }
    expect(Strategies.names).toEqual(
      expect.arrayContaining(["best-of-n", "self-consistency", "beam", "dvts", "particle-filtering", "particle-gibbs", "a-star"])
    )
    const unknown = await Effect.runPromise(Effect.flip(Strategies.factory("toString", {})))
    expect(unknown).toMatchObject({ _tag: "InvalidOptions", field: "name" })
    const bad = await Effect.runPromise(Effect.flip(Strategies.factory("beam", { beams: 6, width: 4 })))
    expect(bad).toMatchObject({ _tag: "InvalidOptions", field: "width" })
  })
})
