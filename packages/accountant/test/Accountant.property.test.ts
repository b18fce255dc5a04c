import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Fiber } from "effect"
import { Meter, Resource, Usage } from "@stepwise/core"
import { Accountant, Snapshot } from "@stepwise/accountant"

const runs = Number(process.env.PROPERTY_RUNS ?? 1000)

// A random budget tree: a root and up to three children, some with grandchildren; each limit set or not.
const limitsArbitrary = fc.record(
  {
    inputTokens: fc.integer({ min: 0, max: 4000 }),
    outputTokens: fc.integer({ min: 0, max: 4000 }),
    totalTokens: fc.integer({ min: 0, max: 6000 }),
    verifierCalls: fc.integer({ min: 0, max: 40 }),
    verifierTokens: fc.integer({ min: 0, max: 3000 }),
    cost: fc.integer({ min: 0, max: 8000 })
  },
  { requiredKeys: [] }
)

const operationArbitrary = fc.record({
  target: fc.nat({ max: 6 }),
  role: fc.constantFrom<Meter.Role>("policy", "verifier"),
  inputTokens: fc.integer({ min: 0, max: 300 }),
  samples: fc.integer({ min: 1, max: 4 }),
  maxTokens: fc.integer({ min: 1, max: 400 }),
  minTokens: fc.integer({ min: 1, max: 50 }),
  verifierCalls: fc.nat({ max: 2 }),
  // What happens: commit a usage (a fraction of the grant, possibly above it), fail (saying what it spent before,
  // possibly above the grant, or not), or get interrupted.
  outcome: fc.constantFrom("commit", "commit-over", "commit-unknown", "fail", "fail-spent", "fail-spent-over", "interrupt"),
  usedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  yields: fc.nat({ max: 5 })
})

const walk = (snapshot: Snapshot.Snapshot, visit: (node: Snapshot.Snapshot) => void): void => {
  visit(snapshot)
  for (const child of snapshot.children) walk(child, visit)
}

const checkLimits = (snapshot: Snapshot.Snapshot): void =>
  walk(snapshot, (node) => {
    for (const resource of Resource.all) {
      const limit = node.limits[resource]
      if (limit !== undefined) {
        expect(node.spent[resource]).toBeLessThanOrEqual(limit + 1e-9)
        expect(node.spent[resource] + node.reserved[resource]).toBeLessThanOrEqual(limit + 1e-9)
      }
    }
  })

describe("Accountant under concurrent fibers", () => {
  property.prop(
    [
      limitsArbitrary,
      fc.array(limitsArbitrary, { minLength: 1, maxLength: 3 }),
      fc.array(limitsArbitrary, { minLength: 0, maxLength: 3 }),
      fc.array(operationArbitrary, { minLength: 1, maxLength: 40 })
    ],
    { numRuns: runs }
  )("never passes a limit; parents equal own plus children; nothing stays reserved", async (rootLimits, childLimits, grandchildLimits, operations) => {
    const program = Effect.gen(function* () {
      const root = yield* Accountant.make(rootLimits, "root")
      const nodes: Array<Accountant.Service> = [root]
      for (const limits of childLimits) nodes.push(yield* root.child(limits))
      for (const [index, limits] of grandchildLimits.entries()) {
        const parent = nodes[1 + (index % childLimits.length)]!
        nodes.push(yield* parent.child(limits, "grandchild"))
      }
      const check = Effect.flatMap(root.snapshot, (snapshot) => Effect.sync(() => checkLimits(snapshot)))

      const perform = (operation: (typeof operations)[number]) => {
        const accountant = nodes[operation.target % nodes.length]!
        const claim: Meter.Claim = {
          role: operation.role,
          label: "test",
          inputTokens: operation.inputTokens,
          samples: operation.samples,
          maxTokensPerSample: operation.maxTokens,
          minTokensPerSample: Math.min(operation.minTokens, operation.maxTokens),
          verifierCalls: operation.verifierCalls
        }
        let spentBefore: Usage.Usage | undefined
        const call = (grant: Meter.Grant) =>
          Effect.gen(function* () {
            for (let index = 0; index < operation.yields; index++) yield* Effect.yieldNow
            yield* check
            if (operation.outcome === "fail") return yield* Effect.fail("backend failed" as const)
            if (operation.outcome === "fail-spent" || operation.outcome === "fail-spent-over") {
              const granted = grant.maxTokensPerSample * operation.samples
              const output = Math.floor(granted * operation.usedFraction) + (operation.outcome === "fail-spent-over" ? granted + 1 : 0)
              spentBefore = Usage.make({ inputTokens: operation.inputTokens, outputTokens: output })
              return yield* Effect.fail("backend failed after answering some requests" as const)
            }
            if (operation.outcome === "interrupt") return yield* Effect.never
            const granted = grant.maxTokensPerSample * operation.samples
            const output =
              operation.outcome === "commit-over"
                ? granted + 1 + Math.floor(operation.usedFraction * 500)
                : Math.floor(granted * operation.usedFraction)
            return operation.outcome === "commit-unknown"
              ? Usage.make({ inputTokens: operation.inputTokens })
              : Usage.make({ inputTokens: operation.inputTokens, outputTokens: output })
          })
        const metered = accountant.meter.metered(claim, call, (usage) => usage, undefined, () => spentBefore)
        if (operation.outcome !== "interrupt") return Effect.andThen(Effect.exit(metered), check)
        return Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(metered)
          for (let index = 0; index <= operation.yields + 1; index++) yield* Effect.yieldNow
          yield* Fiber.interrupt(fiber)
          yield* check
        })
      }

      yield* Effect.forEach(operations, perform, { concurrency: "unbounded", discard: true })
      const final = yield* root.snapshot
      checkLimits(final)
      walk(final, (node) => {
        for (const resource of Resource.all) {
          expect(node.reserved[resource]).toBeCloseTo(0, 6)
          const children = node.children.reduce((total, child) => total + child.spent[resource], 0)
          expect(node.spent[resource]).toBeCloseTo(node.ownSpent[resource] + children, 6)
        }
      })
    })
    await Effect.runPromise(program)
  })

  property.prop(
    [fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 50 })],
    { numRuns: runs }
  )("clamps maxTokens to what is left, or refuses below the minimum", async (outputLimit, samples, maxTokens, minTokens) => {
    const program = Effect.gen(function* () {
      const accountant = yield* Accountant.make({ outputTokens: outputLimit })
      const claim: Meter.Claim = {
        role: "policy",
        label: "test",
        inputTokens: 0,
        samples,
        maxTokensPerSample: maxTokens,
        minTokensPerSample: Math.min(minTokens, maxTokens),
        verifierCalls: 0
      }
      const result = yield* Effect.result(accountant.reserve(claim))
      const fitting = Math.min(maxTokens, Math.floor(outputLimit / samples))
      if (fitting >= Math.min(minTokens, maxTokens)) {
        expect(result._tag).toBe("Success")
        if (result._tag === "Success") expect(result.success.grant.maxTokensPerSample).toBe(fitting)
      } else {
        expect(result._tag).toBe("Failure")
        if (result._tag === "Failure") {
          expect(result.failure._tag).toBe("BudgetExhausted")
          expect(result.failure.resource).toBe("outputTokens")
        }
      }
    })
    await Effect.runPromise(program)
  })
})
