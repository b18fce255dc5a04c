import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Duration, Effect } from "effect"
import { Admission, Usage } from "@stepwise/core"
import type { Meter } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"

// A round of lanes, each making a few metered calls one after another, under a budget too small for all of them.
// Each call's real usage is fixed by its (lane, call) position; only the timing varies: a delay before the call
// reaches the meter and one inside the call. What each call was granted (or refused) and the spend must not change.
const lanes = 4
const callsPerLane = 3
const limit = 150

const usageOf = (lane: number, call: number) => 3 + ((lane * 7 + call * 11) % 25)

const claimOf = (lane: number): Meter.Claim => ({
  role: "policy",
  label: `lane-${lane}`,
  inputTokens: 0,
  samples: 1,
  maxTokensPerSample: 40,
  minTokensPerSample: 4,
  verifierCalls: 0
})

/** Runs the round; `delay(lane, call, where)` is the delay in ms before admission (0) or inside the call (1). */
const runRound = (delay: (lane: number, call: number, where: 0 | 1) => number, nested: boolean) =>
  Effect.gen(function* () {
    const accountant = yield* Accountant.make({ outputTokens: limit })
    const lane = (index: number) =>
      Effect.gen(function* () {
        const grants: Array<number | "refused"> = []
        for (let call = 0; call < callsPerLane; call++) {
          yield* Effect.sleep(Duration.millis(delay(index, call, 0)))
          const granted = yield* accountant.meter
            .metered(
              claimOf(index),
              (grant) =>
                Effect.as(Effect.sleep(Duration.millis(delay(index, call, 1))), {
                  granted: grant.maxTokensPerSample,
                  used: Math.min(grant.maxTokensPerSample, usageOf(index, call))
                }),
              (result) => Usage.make({ inputTokens: 0, outputTokens: result.used, cachedInputTokens: 0 })
            )
            .pipe(Effect.map((result) => result.granted))
            .pipe(Effect.catchTag("BudgetExhausted", () => Effect.succeed("refused" as const)))
          grants.push(granted)
        }
        return grants
      })
    const indices = Array.from({ length: lanes }, (_, index) => index)
    // Nested: two outer lanes, each running a round of two inner lanes (a search inside a combinator's lane).
    const grants = nested
      ? (yield* Admission.forEach([0, 1], (outer) => Admission.forEach([0, 1], (inner) => lane(outer * 2 + inner), { concurrency: 2 }), { concurrency: 2 })).flat()
      : yield* Admission.forEach(indices, lane, { concurrency: 3 })
    const snapshot = yield* accountant.snapshot
    return { grants, spent: snapshot.spent.outputTokens, reserved: snapshot.reserved.outputTokens, held: snapshot.held.outputTokens }
  })

const delaysArbitrary = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: lanes * callsPerLane * 2, maxLength: lanes * callsPerLane * 2 })
const from = (delays: ReadonlyArray<number>) => (lane: number, call: number, where: 0 | 1) => delays[(lane * callsPerLane + call) * 2 + where]!

describe("admission in a round", () => {
  for (const nested of [false, true])
    property.prop([delaysArbitrary], { numRuns: 25 })(
      `grants and spends the same whatever the timing${nested ? " (nested rounds)" : ""}`,
      async (delays) => {
        const reference = await Effect.runPromise(runRound(() => 0, nested))
        const outcome = await Effect.runPromise(runRound(from(delays), nested))
        expect(outcome).toEqual(reference)
        expect(outcome.spent).toBeLessThanOrEqual(limit)
        // Between rounds nothing stays reserved or held.
        expect(outcome.reserved).toBe(0)
        expect(outcome.held).toBe(0)
        // The budget binds: some call was clamped or refused.
        expect(outcome.grants.flat().some((grant) => grant === "refused" || grant < 40)).toBe(true)
      },
      60_000
    )
})
