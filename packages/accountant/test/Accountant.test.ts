import { describe, expect } from "vitest"
import { Cause, Effect, Exit } from "effect"
import { Message, Meter, Usage } from "@stepwise/core"
import { Accountant, CostModel, StopCondition } from "@stepwise/accountant"
import { itEffect, Scripted } from "@stepwise/testing"

const claim = (overrides: Partial<Meter.Claim> = {}): Meter.Claim => ({
  role: "policy",
  label: "test",
  inputTokens: 10,
  samples: 1,
  maxTokensPerSample: 100,
  minTokensPerSample: 1,
  verifierCalls: 0,
  ...overrides
})

describe("Accountant", () => {
  itEffect("rejects bad limits with a typed error naming the resource", () =>
    Effect.gen(function* () {
      const negative = yield* Effect.flip(Accountant.make({ outputTokens: -1 }))
      expect(negative._tag).toBe("InvalidOptions")
      expect(negative.field).toBe("outputTokens")
      const unknown = yield* Effect.flip(Accountant.make({ tokens: 5 } as never))
      expect(unknown.field).toBe("tokens")
    })
  )

  itEffect("charges usage above the reservation only as far as the limits allow, recording the rest as overrun", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ outputTokens: 150 })
      const reservation = yield* accountant.reserve(claim())
      const report = yield* accountant.commit(reservation, Usage.make({ inputTokens: 10, outputTokens: 400 }))
      expect(report.charged.outputTokens).toBe(150)
      expect(report.overrun.outputTokens).toBe(250)
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(150)
      expect(snapshot.overrun.outputTokens).toBe(250)
      expect(snapshot.remaining.outputTokens).toBe(0)
    })
  )

  itEffect("a cost model that throws when a call is settled leaves nothing reserved and charges nothing", () =>
    Effect.gen(function* () {
      let priced = 0
      let armed = false
      const fragile: CostModel.CostModel = {
        name: "fragile",
        unit: "units",
        cost: (charge) => {
          // Prices the accountant's probes and the reservation, then fails on the real usage.
          if (armed && priced++ > 0) throw new Error("cost model failed")
          return charge.inputTokens + charge.outputTokens
        }
      }
      const accountant = yield* Accountant.make({ outputTokens: 1_000 }, "root", { costModel: fragile })
      armed = true
      const meter = accountant.meter
      const exit = yield* Effect.exit(meter.metered(claim(), () => Effect.succeed(Usage.make({ inputTokens: 10, outputTokens: 20 })), (usage) => usage))
      expect(exit._tag).toBe("Failure")
      const snapshot = yield* accountant.snapshot
      expect(snapshot.reserved.outputTokens).toBe(0)
      expect(snapshot.reserved.cost).toBe(0)
      expect(snapshot.spent.outputTokens).toBe(0)
    })
  )

  itEffect("refuses a cost model that prices a charge at NaN, a negative or an infinite cost (NaN passed every limit check)", () =>
    Effect.gen(function* () {
      for (const [price, shown] of [[Number.NaN, "NaN"], [-1, "-1"], [Number.POSITIVE_INFINITY, "Infinity"]] as const) {
        const broken: CostModel.CostModel = { name: "broken", unit: "units", cost: () => price }
        const error = yield* Effect.flip(Accountant.make({ cost: 10 }, "root", { costModel: broken }))
        expect(error).toMatchObject({ _tag: "InvalidOptions", field: "costModel" })
        expect(error.message).toContain(`at ${shown}, not a finite number ≥ 0`)
      }
      // One that throws on the probes' label (a per-model table without it) is taken: its calls decide.
      const table: CostModel.CostModel = { name: "table", unit: "USD", cost: (charge) => { if (charge.label !== "m") throw new Error(`no price for ${charge.label}`); return charge.outputTokens } }
      expect((yield* Accountant.make({ cost: 10 }, "root", { costModel: table })).costModel.name).toBe("table")
      // One that prices only some charges wrong is caught when it does: the call fails, nothing stays reserved.
      let armed = false
      const sometimes: CostModel.CostModel = { name: "sometimes", unit: "units", cost: (charge) => (armed && charge.outputTokens === 20 ? Number.NaN : charge.outputTokens) }
      const accountant = yield* Accountant.make({ cost: 10_000 }, "root", { costModel: sometimes })
      armed = true
      const exit = yield* Effect.exit(accountant.meter.metered(claim(), () => Effect.succeed(Usage.make({ inputTokens: 10, outputTokens: 20 })), (usage) => usage))
      expect(exit._tag).toBe("Failure")
      expect(String(Exit.isFailure(exit) ? Cause.squash(exit.cause) : "")).toContain("cost model sometimes priced a charge at NaN")
      const snapshot = yield* accountant.snapshot
      expect(snapshot.reserved.cost).toBe(0)
      expect(snapshot.spent.cost).toBe(0)
    })
  )

  itEffect("charges the cached part of the input as its own resource, after the call, never more than the input", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ cachedInputTokens: 1_000 })
      const reservation = yield* accountant.reserve(claim({ inputTokens: 40 }))
      expect(reservation.amounts.cachedInputTokens).toBe(0)
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 40, outputTokens: 5, cachedInputTokens: 32 }))
      const second = yield* accountant.reserve(claim({ inputTokens: 10 }))
      yield* accountant.commit(second, Usage.make({ inputTokens: 10, outputTokens: 5, cachedInputTokens: 99 }))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.cachedInputTokens).toBe(32 + 10)
      expect(snapshot.spent.inputTokens).toBe(50)
    })
  )

  itEffect("measures further cost models on every call without limiting by them, totals in every ancestor", () =>
    Effect.gen(function* () {
      const double: CostModel.CostModel = { name: "double", unit: "units", cost: (charge) => 2 * (charge.inputTokens + charge.outputTokens) }
      const calls: CostModel.CostModel = { name: "calls", unit: "calls", cost: () => 1 }
      const root = yield* Accountant.make({}, "root", { measures: [double, calls] })
      const child = yield* root.child({}, "child")
      yield* Effect.flatMap(child.reserve(claim()), (reservation) => child.commit(reservation, Usage.make({ inputTokens: 10, outputTokens: 5 })))
      yield* Effect.flatMap(root.reserve(claim()), (reservation) => root.commit(reservation, Usage.make({ inputTokens: 1, outputTokens: 1 })))
      expect((yield* child.snapshot).measured).toEqual({ double: 30, calls: 1 })
      expect((yield* root.snapshot).measured).toEqual({ double: 34, calls: 2 })
    })
  )

  itEffect("a closed child leaves the parent's open children, its spend staying in the parent's totals", () =>
    Effect.gen(function* () {
      const root = yield* Accountant.make({ totalTokens: 1_000 })
      const children = yield* Effect.forEach([1, 2, 3], (index) => root.child({}, `child-${index}`))
      for (const child of children)
        yield* Effect.flatMap(child.reserve(claim()), (reservation) => child.commit(reservation, Usage.make({ inputTokens: 10, outputTokens: 5 })))
      expect((yield* root.snapshot).children).toHaveLength(3)
      yield* children[0]!.close
      yield* children[0]!.close
      yield* children[1]!.close
      const snapshot = yield* root.snapshot
      expect(snapshot.children.map((child) => child.label)).toEqual(["root/child-3"])
      expect(snapshot.spent.totalTokens).toBe(45)
      expect((yield* children[0]!.snapshot).spent.totalTokens).toBe(15)
      yield* Accountant.withChild({}, "scoped")(Effect.flatMap(Accountant.Accountant, (inner) => Effect.sync(() => expect(inner.budget.label).toBe("root/scoped")))).pipe(
        Effect.provideService(Accountant.Accountant, root)
      )
      expect((yield* root.snapshot).children).toHaveLength(1)
    })
  )

  itEffect("charges an unreported count at its reserved worst case", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({})
      const reservation = yield* accountant.reserve(claim({ samples: 2, maxTokensPerSample: 50 }))
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 10 }))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(100)
      expect(snapshot.spent.totalTokens).toBe(110)
    })
  )

  itEffect("settles a reservation once: a second commit or release changes nothing", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({})
      const reservation = yield* accountant.reserve(claim())
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 10, outputTokens: 5 }))
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 10, outputTokens: 5 }))
      yield* accountant.release(reservation)
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(5)
      expect(snapshot.reserved.outputTokens).toBe(0)
    })
  )

  itEffect("meters verifier work as verifier calls and tokens, not policy tokens", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({})
      const reservation = yield* accountant.reserve(claim({ role: "verifier", verifierCalls: 1, maxTokensPerSample: 20 }))
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 10, outputTokens: 7 }))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(17)
      expect(snapshot.spent.totalTokens).toBe(0)
    })
  )

  itEffect("child budgets have their own limits and spend from the parent", () =>
    Effect.gen(function* () {
      const root = yield* Accountant.make({ outputTokens: 1000 }, "root")
      const child = yield* root.child({ outputTokens: 60 }, "problem-1")
      const granted = yield* child.reserve(claim({ maxTokensPerSample: 100 }))
      expect(granted.grant.maxTokensPerSample).toBe(60)
      yield* child.commit(granted, Usage.make({ inputTokens: 10, outputTokens: 60 }))
      const exhausted = yield* Effect.flip(child.reserve(claim()))
      expect(exhausted.budget).toBe("root/problem-1")
      const snapshot = yield* root.snapshot
      expect(snapshot.spent.outputTokens).toBe(60)
      expect(snapshot.ownSpent.outputTokens).toBe(0)
      expect(snapshot.children[0]?.spent.outputTokens).toBe(60)
    })
  )

  itEffect("a parent's limit binds its children", () =>
    Effect.gen(function* () {
      const root = yield* Accountant.make({ totalTokens: 50 }, "root")
      const child = yield* root.child({}, "free")
      const reservation = yield* child.reserve(claim({ inputTokens: 10, maxTokensPerSample: 100 }))
      expect(reservation.grant.maxTokensPerSample).toBe(40)
    })
  )

  itEffect("notes which budgets refused or cut a call, on the budget it was made on and those between", () =>
    Effect.gen(function* () {
      const root = yield* Accountant.make({ totalTokens: 500 }, "root")
      const roomy = yield* root.child({ outputTokens: 1000 }, "roomy")
      const tight = yield* root.child({ outputTokens: 30 }, "tight")
      // Fits everywhere: nothing noted.
      yield* roomy.commit(yield* roomy.reserve(claim({ maxTokensPerSample: 100 })), Usage.make({ inputTokens: 10, outputTokens: 100 }))
      expect((yield* roomy.snapshot).limitedBy).toEqual([])
      // Cut by its own limit.
      yield* tight.release(yield* tight.reserve(claim({ maxTokensPerSample: 100 })))
      expect((yield* tight.snapshot).limitedBy).toEqual([{ budget: "root/tight", resource: "outputTokens" }])
      // Cut by the shared parent (390 left of 500): noted on the child and on the parent, not on the sibling.
      const cut = yield* roomy.reserve(claim({ inputTokens: 10, maxTokensPerSample: 900 }))
      expect(cut.grant.maxTokensPerSample).toBe(380)
      expect((yield* roomy.snapshot).limitedBy).toEqual([{ budget: "root", resource: "totalTokens" }])
      expect((yield* root.snapshot).limitedBy).toEqual([{ budget: "root", resource: "totalTokens" }])
      expect((yield* tight.snapshot).limitedBy).toEqual([{ budget: "root/tight", resource: "outputTokens" }])
    })
  )

  itEffect("refuses a verifier call whose tokens have no declared bound once the verifier tokens are used up, not one bounded at 0", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ verifierTokens: 100 })
      const verifierCall = claim({ role: "verifier", inputTokens: 0, maxTokensPerSample: 0, minTokensPerSample: 0, verifierCalls: 1, tokensUnbounded: true })
      // It reserves no tokens, so it is admitted while some are left, and its usage is charged up to the limit.
      yield* accountant.commit(yield* accountant.reserve(verifierCall), Usage.make({ inputTokens: 150, outputTokens: 0 }))
      expect((yield* accountant.snapshot).spent.verifierTokens).toBe(100)
      const refused = yield* Effect.flip(accountant.reserve(verifierCall))
      expect(refused).toMatchObject({ _tag: "BudgetExhausted", resource: "verifierTokens" })
      // A verifier bounded at 0 tokens (an exact checker) reads none: it is not refused.
      const { tokensUnbounded: _unbounded, ...bounded } = verifierCall
      yield* accountant.release(yield* accountant.reserve(bounded))
      // A policy call is not a verifier call: verifier tokens do not refuse it.
      expect((yield* accountant.reserve(claim())).grant.maxTokensPerSample).toBe(100)
    })
  )

  itEffect("refuses such a verifier call once a cost limit its tokens count toward is used up (tokens, dollars), not one they do not", () =>
    Effect.gen(function* () {
      const verifierCall = claim({ role: "verifier", inputTokens: 0, maxTokensPerSample: 0, minTokensPerSample: 0, verifierCalls: 1, tokensUnbounded: true })
      for (const costModel of [CostModel.tokens, CostModel.price({ inputPerMillion: 1_000_000, outputPerMillion: 1_000_000 })]) {
        const accountant = yield* Accountant.make({ cost: 5000 }, "cost", { costModel })
        // Admitted while some cost is left; its 2,000 tokens are charged each time, up to the limit.
        for (let call = 0; call < 3; call++) yield* accountant.commit(yield* accountant.reserve(verifierCall), Usage.make({ inputTokens: 2000, outputTokens: 0 }))
        expect((yield* accountant.snapshot).spent.cost).toBe(5000)
        const refused = yield* Effect.flip(accountant.reserve(verifierCall))
        expect(refused, costModel.name).toMatchObject({ _tag: "BudgetExhausted", resource: "cost" })
      }
      // A cost model that prices no input token (all a verifier reads): its cost limit does not refuse the call.
      const free = yield* Accountant.make({ cost: 10 }, "cost", { costModel: CostModel.weighted({ input: 0, cachedInput: 0, output: 1, verifierCall: 0 }) })
      yield* free.commit(yield* free.reserve(claim({ maxTokensPerSample: 10 })), Usage.make({ inputTokens: 0, outputTokens: 10 }))
      yield* free.release(yield* free.reserve(verifierCall))
    })
  )

  itEffect("notes only the budget that binds: a child's own tighter limit is no cut by its parent", () =>
    Effect.gen(function* () {
      const root = yield* Accountant.make({ outputTokens: 1000 }, "pool")
      yield* root.commit(yield* root.reserve(claim({ maxTokensPerSample: 910 })), Usage.make({ inputTokens: 0, outputTokens: 910 }))
      const child = yield* root.child({ outputTokens: 30 }, "problem")
      const cut = yield* child.reserve(claim({ maxTokensPerSample: 100 }))
      expect(cut.grant.maxTokensPerSample).toBe(30)
      expect((yield* child.snapshot).limitedBy).toEqual([{ budget: "pool/problem", resource: "outputTokens" }])
    })
  )

  itEffect("a child that refuses cuts from above is refused, spending nothing, where its parent would cut the call; its own cuts stand", () =>
    Effect.gen(function* () {
      const root = yield* Accountant.make({ outputTokens: 100 }, "pool")
      const child = yield* root.child({ outputTokens: 60 }, "problem", { refuseCutsAbove: true })
      // Its own limit cuts: granted as usual.
      const own = yield* child.reserve(claim({ maxTokensPerSample: 80 }))
      expect(own.grant.maxTokensPerSample).toBe(60)
      yield* child.release(own)
      // A sibling holds 70 of the pool: the pool would cut this call to 30, so it is refused, naming the pool.
      const sibling = yield* root.child({}, "other")
      const held = yield* sibling.reserve(claim({ maxTokensPerSample: 70 }))
      const refused = yield* Effect.flip(child.reserve(claim({ maxTokensPerSample: 50 })))
      expect(refused).toMatchObject({ _tag: "BudgetExhausted", budget: "pool", resource: "outputTokens" })
      expect((yield* root.snapshot).reserved.outputTokens).toBe(70)
      // A grandchild inherits the rule.
      const nested = yield* child.child({}, "step")
      expect(yield* Effect.flip(nested.reserve(claim({ maxTokensPerSample: 50 })))).toMatchObject({ budget: "pool" })
      yield* sibling.release(held)
      expect((yield* nested.reserve(claim({ maxTokensPerSample: 50 }))).grant.maxTokensPerSample).toBe(50)
    })
  )

  itEffect("holds for thousands of concurrent fibers", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ outputTokens: 25_000, verifierCalls: 900 }, "root")
      const calls = Array.from({ length: 5000 }, (_, index) => index)
      const results = yield* Effect.forEach(
        calls,
        (index) =>
          Effect.exit(
            accountant.meter.metered(
              claim({ role: index % 3 === 0 ? "verifier" : "policy", verifierCalls: index % 3 === 0 ? 1 : 0, maxTokensPerSample: 10 }),
              (grant) => Effect.as(Effect.yieldNow, Usage.make({ inputTokens: 10, outputTokens: grant.maxTokensPerSample })),
              (usage) => usage
            )
          ),
        { concurrency: "unbounded" }
      )
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBeLessThanOrEqual(25_000)
      expect(snapshot.spent.verifierCalls).toBeLessThanOrEqual(900)
      expect(snapshot.reserved.outputTokens).toBe(0)
      expect(snapshot.reserved.verifierCalls).toBe(0)
      expect(results.filter((exit) => exit._tag === "Success").length).toBeGreaterThan(2000)
      expect(results.some((exit) => exit._tag === "Failure")).toBe(true)
    })
  )

  itEffect("meters cost through the cost model", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ cost: 500 }, "root", {
        costModel: CostModel.weighted({ input: 1, cachedInput: 0, output: 2 })
      })
      const reservation = yield* accountant.reserve(claim({ inputTokens: 100, maxTokensPerSample: 1000 }))
      expect(reservation.grant.maxTokensPerSample).toBe(200)
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 100 }))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.cost).toBe(100)
    })
  )
})

describe("StopCondition", () => {
  itEffect("composes predicates over a snapshot", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({ outputTokens: 100, verifierCalls: 10 })
      const reservation = yield* accountant.reserve(claim({ maxTokensPerSample: 95 }))
      yield* accountant.commit(reservation, Usage.make({ inputTokens: 1, outputTokens: 95 }))
      const snapshot = yield* accountant.snapshot
      expect(StopCondition.remainingBelow("outputTokens", 10)(snapshot)).toBe(true)
      expect(StopCondition.spentAtLeast("verifierCalls", 0.5)(snapshot)).toBe(false)
      expect(StopCondition.spentAtLeast("totalTokens", 0.1)(snapshot)).toBe(false)
      const either = StopCondition.any(StopCondition.spentAtLeast("verifierCalls", 0.5), StopCondition.spentAtLeast("outputTokens", 0.9))
      expect(either(snapshot)).toBe(true)
      expect(StopCondition.all(either, StopCondition.not(StopCondition.never))(snapshot)).toBe(true)
    })
  )
})

describe("Accountant with Kinetics: each sample's own output length reaches the cost model", () => {
  const small: CostModel.ModelShape = { parameters: 1e9, queryHeads: 32, kvHeads: 8, headDim: 64, layers: 16 }

  itEffect("two samples of 10 and 90 tokens after 100 prompt tokens cost what the hand computation says", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({}, "root", { costModel: CostModel.kinetics({ policy: small }) })
      // Prompt: 100 characters, one token per character (Scripted counts characters).
      const model = Scripted.languageModel((_request, index) => "x".repeat(index === 0 ? 10 : 90))
      yield* Accountant.provide(accountant)(model.generate({ messages: [Message.user("q".repeat(100))], n: 2, maxTokens: 200 }))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.outputTokens).toBe(100)
      // See CostModel.test.ts for the arithmetic: 201,848,115,200 compute + 241,459,200,000 memory.
      expect(snapshot.spent.cost).toBe(443_307_315_200)
    })
  )

  itEffect("a verifier's model calls cost through the policy's shape when no verifier shape is given", () =>
    Effect.gen(function* () {
      const accountant = yield* Accountant.make({}, "root", { costModel: CostModel.kinetics({ policy: small }) })
      const model = Scripted.languageModel(() => "x".repeat(50))
      yield* Accountant.provide(accountant)(Meter.asVerifier(model.generate({ messages: [Message.user("q".repeat(100))], n: 4, maxTokens: 200 })))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierTokens).toBe(300)
      expect(snapshot.spent.cost).toBe(587_596_800_000)
    })
  )
})
