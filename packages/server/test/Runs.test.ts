import { describe, expect, it } from "vitest"
import { Resource } from "@stepwise/core"
import { Runs, ViewRoutes } from "../src/index.js"

const info = (id: string): Runs.Info => ({ id, started: 1000, strategy: "a-star", options: {}, model: "m", question: "q", limits: {} })
const event = { _tag: "node-expand" as const, nodeId: 0, depth: 0, samples: 2 }
const amounts = { spent: Resource.none, reserved: Resource.none }

describe("Runs", () => {
  it("replays everything to a late follower, then follows to the end", () => {
    const runs = Runs.make()
    const run = Runs.start(runs, info("a"))
    Runs.record(runs, run, event, amounts, 1010)
    const seen: Array<string> = []
    Runs.follow(run, (item) => seen.push(item.type))
    Runs.record(runs, run, event, amounts, 1020)
    Runs.finish(runs, run, { status: "answered", answer: "4", spent: Resource.none }, 1030)
    Runs.record(runs, run, event, amounts, 1040)
    expect(seen).toEqual(["run", "event", "event", "end"])
    expect(run.listeners.size, "followers are let go at the end").toBe(0)
    expect(Runs.treeFile(run)).toMatchObject({ format: "stepwise-tree", version: 1, end: { status: "answered", at: 30 } })
    expect(Runs.treeFile(run).events.map((entry) => entry.at)).toEqual([10, 20, 40])
  })

  it("keeps every running run and the latest finished ones; caps events per run", () => {
    const runs = Runs.make({ keep: 2, maxEvents: 3 })
    const started = ["a", "b", "c", "d"].map((id) => Runs.start(runs, info(id)))
    for (let index = 0; index < 5; index++) Runs.record(runs, started[3]!, event, amounts, 1000)
    expect(started[3]!.entries).toHaveLength(3)
    expect(Runs.treeFile(started[3]!).truncated).toBe(true)
    // An early follower and a late one see the same items: past the cap, one "truncated" and no more events.
    const capped = Runs.make({ maxEvents: 3 })
    const run = Runs.start(capped, info("e"))
    const early: Array<string> = []
    Runs.follow(run, (item) => early.push(item.type))
    for (let index = 0; index < 5; index++) Runs.record(capped, run, event, amounts, 1000)
    const late: Array<string> = []
    Runs.follow(run, (item) => late.push(item.type))
    expect(early).toEqual(["run", "event", "event", "event", "truncated"])
    expect(late).toEqual(early)
    // The run's own listeners (the server's budget and progress tracking) still get every event past the cap.
    const own: Array<string> = []
    const indices: Array<number> = []
    run.listeners.add((item) => {
      own.push(item.type === "event" ? item.event._tag : item.type)
      if (item.type === "event") indices.push(item.index)
    })
    Runs.record(capped, run, { _tag: "budget-exhaust", resource: "totalTokens", budget: "b", requested: 10, remaining: 0 } as unknown as typeof event, amounts, 1000)
    expect(own).toEqual(["budget-exhaust"])
    // Its index is its own: five events came before it (three kept).
    expect(indices).toEqual([5])
    expect(early).toHaveLength(5)
    for (const run of started.slice(0, 3)) Runs.finish(runs, run, { status: "no-answer", spent: Resource.none }, 1000)
    expect([...runs.byId.keys()]).toEqual(["b", "c", "d"])
  })
})

describe("Runs.list", () => {
  it("cuts a long question to its first 200 characters (every open page polls the list), leaving a short one whole", () => {
    const runs = Runs.make()
    Runs.start(runs, { ...info("long"), question: "x".repeat(1_000_000) })
    Runs.start(runs, info("short"))
    const [short, long] = Runs.list(runs)
    expect(short!.question).toBe("q")
    expect(long!.question).toBe(`${"x".repeat(200)}…`)
    expect(runs.byId.get("long")!.info.question).toHaveLength(1_000_000)
  })
})

describe("ViewRoutes.listen (the view server of `solve --view`)", () => {
  it("answers a malformed escape or a path starting with // with an error, and goes on serving", async () => {
    const runs = Runs.make()
    Runs.start(runs, info("run-1"))
    const view = await ViewRoutes.listen(runs)
    try {
      const malformed = await fetch(`${view.url}/v1/runs/%ZZ`)
      expect(malformed.status).toBe(400)
      expect(await malformed.text()).toContain("not a valid URL escape")
      // Read after a fixed origin, `//v1//runs` is the runs' path, not a host.
      expect(((await (await fetch(`${view.url}//v1//runs/`)).json()) as { data: Array<{ id: string }> }).data.map((run) => run.id)).toEqual(["run-1"])
      expect((await fetch(`${view.url}/v1/runs/run-1`)).status).toBe(200)
    } finally {
      await view.close()
    }
  })
})
