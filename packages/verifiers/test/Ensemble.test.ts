import { describe, expect } from "vitest"
import { Effect } from "effect"
import { Accountant } from "@stepwise/accountant"
import { itEffect, Scripted } from "@stepwise/testing"
import { Ensemble } from "@stepwise/verifiers"
import { problem, trajectoryOf } from "./support/Fixtures.js"

describe("Ensemble", () => {
  const high = Scripted.verifier(() => 0.9, { name: "high", tokensPerCall: 5 })
  const low = Scripted.verifier((_, __, index) => (index === 0 ? 0.3 : 0.6), { name: "low", tokensPerCall: 7 })

  itEffect("takes the weighted mean or the minimum per step", () =>
    Effect.gen(function* () {
      const mean = yield* Ensemble.make({ members: [{ verifier: high, weight: 3 }, { verifier: low }] })
      const scoring = yield* mean.score(problem, trajectoryOf(["a", "b"]))
      expect(scoring.stepScores[0]).toBeCloseTo((3 * 0.9 + 0.3) / 4, 12)
      expect(scoring.stepScores[1]).toBeCloseTo((3 * 0.9 + 0.6) / 4, 12)
      const min = yield* Ensemble.make({ members: [{ verifier: high }, { verifier: low }], combine: "min" })
      expect((yield* min.score(problem, trajectoryOf(["a", "b"]))).stepScores).toEqual([0.3, 0.6])
    })
  )

  itEffect("each member's call shows up in the accountant once", () =>
    Effect.gen(function* () {
      const ensemble = yield* Ensemble.make({ members: [{ verifier: high }, { verifier: low }] })
      const accountant = yield* Accountant.make({})
      yield* Accountant.provide(accountant)(ensemble.score(problem, trajectoryOf(["a"])))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(2)
      expect(snapshot.spent.verifierTokens).toBe(12)
    })
  )

  itEffect("rejects no members and non-positive weights", () =>
    Effect.gen(function* () {
      expect((yield* Effect.flip(Ensemble.make({ members: [] }))).field).toBe("members")
      expect((yield* Effect.flip(Ensemble.make({ members: [{ verifier: high, weight: 0 }] }))).field).toBe("members.0.weight")
    })
  )
})
