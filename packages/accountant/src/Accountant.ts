import { Context, Effect, Exit, Layer } from "effect"
import type { BudgetExhausted, InvalidOptions } from "@stepwise/core"
import { Meter, Resource, Usage } from "@stepwise/core"
import * as Budget from "./Budget.js"
import type { Charge } from "./Charge.js"
import type { CostModel } from "./CostModel.js"
import * as CostModels from "./CostModel.js"
import * as Ledger from "./Ledger.js"
import * as Snapshot from "./Snapshot.js"

/** An open reservation: what was set aside, and what the call was granted. Settle it once, by commit or release. */
export interface Reservation {
  readonly id: number
  readonly claim: Meter.Claim
  readonly grant: Meter.Grant
  readonly amounts: Resource.Amounts
  /** The worst-case charge reserved (after clamping). */
  readonly charge: Charge
  settled: boolean
}

/** What a commit charged, and what it could not (usage above the limits, recorded as overrun). */
export interface CommitReport {
  readonly charged: Resource.Amounts
  readonly overrun: Resource.Amounts
}

/**
 * The compute accountant: reserve the worst case before a call, commit the real usage after, release the rest.
 * Budgets nest; a child spends from its parent. For any interleaving of fibers, spend never passes a limit.
 */
export interface Service {
  readonly budget: Budget.Budget
  readonly costModel: CostModel
  /**
   * Reserves a claim's worst case, lowering its output-token limit per sample to what every budget on the chain
   * has left; fails with `BudgetExhausted` when even `minTokensPerSample` does not fit.
   */
  readonly reserve: (claim: Meter.Claim) => Effect.Effect<Reservation, BudgetExhausted>
  /**
   * Settles a reservation with the real usage. Counts the server did not report are charged at their reserved
   * worst case. Usage above the reservation is charged as far as the limits allow and the rest is recorded as
   * overrun, so committed spend never passes a limit. A settled reservation is left as it is. `sampleOutputTokens`
   * (each sample's own output count) reaches the cost model when every one is a count and they sum to the output
   * tokens charged.
   */
  readonly commit: (reservation: Reservation, usage: Usage.Usage, sampleOutputTokens?: ReadonlyArray<number | undefined>) => Effect.Effect<CommitReport>
  /** Releases a reservation unspent (a failed or interrupted call). Idempotent. */
  readonly release: (reservation: Reservation) => Effect.Effect<void>
  /** The metering contract over this accountant: what `LanguageModel.make` and `ProcessRewardModel.make` call. */
  readonly meter: Meter.Service
  /** A child budget with its own limits that spends from this one. */
  readonly child: (limits: Budget.Limits, label?: string) => Effect.Effect<Service, InvalidOptions>
  /** The state of this budget and its open children now. */
  readonly snapshot: Effect.Effect<Snapshot.Snapshot>
  /**
   * Detaches this (child) budget from its parent once its work is done, so a long run keeps only its open
   * children: what it spent stays in every ancestor's totals, and its own snapshot stays readable. Idempotent.
   */
  readonly close: Effect.Effect<void>
}

/** The accountant service. */
export class Accountant extends Context.Service<Accountant, Service>()("@stepwise/Accountant") {}

let nextReservationId = 0

const chargeOf = (claim: Meter.Claim, maxTokensPerSample: number): Charge => ({
  role: claim.role,
  label: claim.label,
  model: claim.model,
  inputTokens: claim.inputTokens,
  cachedInputTokens: 0,
  outputTokens: claim.samples * maxTokensPerSample,
  samples: claim.samples,
  verifierCalls: claim.verifierCalls
})

/**
 * Each sample's own output tokens as a charge keeps them: only when every one is a count (finite, ≥ 0) and they sum
 * to the output tokens charged (not a worst case standing in for an unreported count).
 */
const sampleOutputsOf = (counts: ReadonlyArray<number | undefined> | undefined, outputTokens: number): ReadonlyArray<number> | undefined => {
  if (counts === undefined || counts.length === 0) return undefined
  let total = 0
  for (const count of counts) {
    if (count === undefined || !Number.isFinite(count) || count < 0) return undefined
    total += count
  }
  return total === outputTokens ? (counts as ReadonlyArray<number>) : undefined
}

const amountsOf = (charge: Charge, costModel: CostModel): Resource.Amounts => {
  const tokens = charge.inputTokens + charge.outputTokens
  const policy = charge.role === "policy"
  return {
    inputTokens: policy ? charge.inputTokens : 0,
    cachedInputTokens: policy ? Math.min(charge.cachedInputTokens, charge.inputTokens) : 0,
    outputTokens: policy ? charge.outputTokens : 0,
    totalTokens: policy ? tokens : 0,
    verifierCalls: charge.verifierCalls,
    verifierTokens: policy ? 0 : tokens,
    cost: costModel.cost(charge)
  }
}

const makeWith = (ledger: Ledger.Ledger, costModel: CostModel, measures: ReadonlyArray<CostModel>): Service => {
  const reserve = (claim: Meter.Claim): Effect.Effect<Reservation, BudgetExhausted> =>
    Effect.suspend(() => {
      const fits = (tokens: number) => Ledger.violation(ledger, amountsOf(chargeOf(claim, tokens), costModel))
      const lowest = Math.min(claim.minTokensPerSample, claim.maxTokensPerSample)
      let granted = claim.maxTokensPerSample
      if (fits(granted) !== undefined) {
        const failure = fits(lowest)
        if (failure !== undefined) return Effect.fail(failure)
        // Largest limit that fits: amounts grow with the limit, so bisect between `lowest` (fits) and `granted` (does not).
        let low = lowest
        let high = granted
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2)
          if (fits(middle) === undefined) low = middle
          else high = middle
        }
        granted = low
      }
      const charge = chargeOf(claim, granted)
      const amounts = amountsOf(charge, costModel)
      Ledger.reserve(ledger, amounts)
      return Effect.succeed<Reservation>({
        id: nextReservationId++,
        claim,
        grant: { maxTokensPerSample: granted },
        amounts,
        charge,
        settled: false
      })
    })

  const commit = (reservation: Reservation, usage: Usage.Usage, sampleOutputTokens?: ReadonlyArray<number | undefined>): Effect.Effect<CommitReport> =>
    Effect.sync(() => {
      if (reservation.settled) return { charged: Resource.none, overrun: Resource.none }
      reservation.settled = true
      Ledger.unreserve(ledger, reservation.amounts)
      // A count the server did not report (or reported for only some parts of a sum) is charged at its worst case.
      const reported = (field: "inputTokens" | "outputTokens", worst: number) => {
        const count = usage[field]
        return count === undefined || (usage.unreported?.[field] ?? 0) > 0 ? worst : count
      }
      const outputTokens = reported("outputTokens", reservation.charge.outputTokens)
      const perSample = sampleOutputsOf(sampleOutputTokens, outputTokens)
      const actual: Charge = {
        role: reservation.claim.role,
        label: reservation.claim.label,
        model: reservation.claim.model,
        inputTokens: reported("inputTokens", reservation.charge.inputTokens),
        cachedInputTokens: usage.cachedInputTokens ?? 0,
        outputTokens,
        samples: reservation.claim.samples,
        ...(perSample === undefined ? {} : { sampleOutputTokens: perSample }),
        verifierCalls: reservation.claim.verifierCalls
      }
      const wanted = amountsOf(actual, costModel)
      const charged = Ledger.charge(ledger, wanted)
      if (measures.length > 0) Ledger.measure(ledger, measures.map((measure) => [measure.name, measure.cost(actual)] as const))
      return { charged, overrun: Resource.subtract(wanted, charged) }
    })

  const release = (reservation: Reservation): Effect.Effect<void> =>
    Effect.sync(() => {
      if (reservation.settled) return
      reservation.settled = true
      Ledger.unreserve(ledger, reservation.amounts)
    })

  const meter: Meter.Service = {
    metered: (claim, call, usageOf, sampleOutputsOf) =>
      Effect.acquireUseRelease(
        reserve(claim),
        (reservation) => call(reservation.grant),
        (reservation, exit) =>
          Exit.isSuccess(exit)
            ? Effect.asVoid(commit(reservation, usageOf(exit.value), sampleOutputsOf?.(exit.value)))
            : release(reservation)
      )
  }

  return {
    budget: ledger.budget,
    costModel,
    reserve,
    commit,
    release,
    meter,
    child: (limits, label = "child") =>
      Effect.map(Budget.make(limits, `${ledger.budget.label}/${label}`), (budget) =>
        makeWith(Ledger.make(budget, ledger), costModel, measures)
      ),
    snapshot: Effect.sync(() => Snapshot.of(ledger)),
    close: Effect.sync(() => Ledger.detach(ledger))
  }
}

/** Options of `make` and `layer`. */
export interface Options {
  /** Prices the `cost` resource (default: plain tokens). */
  readonly costModel?: CostModel
  /**
   * Further cost models measured on every committed call without limiting anything (eFLOPs, dollars, … beside
   * the budgeted cost): their totals are in each snapshot's `measured`, by cost-model name.
   */
  readonly measures?: ReadonlyArray<CostModel>
}

/**
 * Makes a root accountant over a budget.
 *
 * @example
 * const accountant = yield* Accountant.make({ outputTokens: 50_000 })
 */
export const make = (limits: Budget.Limits, label = "root", options: Options = {}): Effect.Effect<Service, InvalidOptions> =>
  Effect.map(Budget.make(limits, label), (budget) =>
    makeWith(Ledger.make(budget, undefined), options.costModel ?? CostModels.tokens, options.measures ?? [])
  )

/**
 * Runs an effect under an accountant: provides it as `Accountant` and as the current `Meter`, so every
 * language-model and verifier call inside is metered against it.
 */
export const provide =
  (accountant: Service) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Accountant>> =>
    effect.pipe(Effect.provideService(Accountant, accountant), Effect.provideService(Meter.Meter, accountant.meter))

/** A layer with a root accountant over the limits, also installed as the current `Meter`. */
export const layer = (limits: Budget.Limits, label = "root", options: Options = {}): Layer.Layer<Accountant, InvalidOptions> =>
  Layer.effectContext(
    Effect.map(make(limits, label, options), (accountant) =>
      Context.make(Accountant, accountant).pipe(Context.add(Meter.Meter, accountant.meter))
    )
  )

/**
 * Runs an effect under a child budget of the current accountant, closing the child when it ends.
 * Use to cap one problem, one sub-question or one strategy of a portfolio.
 */
export const withChild =
  (limits: Budget.Limits, label?: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidOptions, R | Accountant> =>
    Effect.flatMap(Accountant, (parent) =>
      Effect.acquireUseRelease(
        parent.child(limits, label),
        (child) => provide(child)(effect),
        (child) => child.close
      )
    )

/** The current accountant's snapshot. */
export const snapshot: Effect.Effect<Snapshot.Snapshot, never, Accountant> = Effect.flatMap(Accountant, (accountant) => accountant.snapshot)
