import { Context, Effect, Exit, Layer } from "effect"
import { Admission, BudgetExhausted, InvalidOptions, Meter, Resource, Usage } from "@stepwise/core"
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
  /**
   * The metering contract over this accountant: what `LanguageModel.make` and `ProcessRewardModel.make` call. In a
   * round of lanes (`Admission.forEach`) calls are admitted in the round's fixed order and a finished call's unused
   * worst case is held for the other lanes until the round ends, so what fits does not depend on timing.
   */
  readonly meter: Meter.Service
  /** A child budget with its own limits that spends from this one. */
  readonly child: (limits: Budget.Limits, label?: string, options?: ChildOptions) => Effect.Effect<Service, InvalidOptions>
  /** The state of this budget and its open children now. */
  readonly snapshot: Effect.Effect<Snapshot.Snapshot>
  /** What is left of each resource now (limit − spent − reserved − held; `Infinity` when unlimited): O(1), no children. */
  readonly remaining: Effect.Effect<Resource.Amounts>
  /**
   * What calls on this budget can still spend of each resource now: the least of what is left on this budget and on
   * every budget above it (`Infinity` when none limits it). `remaining` of an unlimited child is `Infinity` even
   * under a limited parent; this is not.
   */
  readonly available: Effect.Effect<Resource.Amounts>
  /**
   * Detaches this (child) budget from its parent once its work is done, so a long run keeps only its open
   * children: what it spent stays in every ancestor's totals, and its own snapshot stays readable. Idempotent.
   */
  readonly close: Effect.Effect<void>
}

/** Options of a child budget. */
export interface ChildOptions {
  /**
   * Refuse, rather than cut, a call made on this child or under it when a budget above the child is what would cut
   * it (a benchmark's problem under a shared pool: a problem the pool cuts is no result, so the call should not
   * spend). Cuts by the child's own limits, or by budgets under it, are made as usual.
   */
  readonly refuseCutsAbove?: boolean
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
  verifierCalls: claim.verifierCalls,
  ...(claim.promptPerSample === true ? { promptPerSample: true } : {})
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

// The amounts of a charge as a vector over `Resource.all`.
const vectorOf = (charge: Charge, costModel: CostModel): Ledger.Vector => {
  const vector = Ledger.vector()
  const tokens = charge.inputTokens + charge.outputTokens
  if (charge.role === "policy") {
    vector[0] = charge.inputTokens
    vector[1] = Math.min(charge.cachedInputTokens, charge.inputTokens)
    vector[2] = charge.outputTokens
    vector[3] = tokens
  } else vector[5] = tokens
  vector[4] = charge.verifierCalls
  const cost = costModel.cost(charge)
  // NaN would pass every limit check (NaN > limit is false): a cost that is no count fails the call instead.
  if (!Usage.isCount(cost))
    throw new Error(`cost model ${costModel.name} priced a charge at ${String(cost)}: a cost must be a finite number ≥ 0`)
  vector[6] = cost
  return vector
}

// Sample charges a cost model must price as finite numbers ≥ 0 before an accountant takes it.
const probes: ReadonlyArray<Charge> = [
  { role: "policy", label: "probe", inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, samples: 1, verifierCalls: 0 },
  { role: "policy", label: "probe", inputTokens: 100, cachedInputTokens: 50, outputTokens: 200, samples: 2, verifierCalls: 0 },
  { role: "verifier", label: "probe", inputTokens: 300, cachedInputTokens: 0, outputTokens: 10, samples: 1, verifierCalls: 1 }
]

// The first probe charge a cost model prices as something other than a finite number ≥ 0, with what it gave. A
// model that throws on a probe is left to its calls (a per-model price table may know no price for the probe's
// label; a call it cannot price then fails, its reservation given back).
const unpriced = (costModel: CostModel): string | undefined => {
  for (const charge of probes) {
    let cost: unknown
    try {
      cost = costModel.cost(charge)
    } catch {
      continue
    }
    if (!Usage.isCount(cost))
      return `prices a ${charge.role} charge of ${charge.inputTokens} input and ${charge.outputTokens} output tokens at ${String(cost)}, not a finite number ≥ 0`
  }
  return undefined
}

// A reservation with its vector, the ledger it was made on, and the lane of the round it was made in (if any).
class Reserved implements Reservation {
  readonly id = nextReservationId++
  settled = false
  constructor(
    readonly claim: Meter.Claim,
    readonly grant: Meter.Grant,
    readonly charge: Charge,
    readonly vector: Ledger.Vector,
    readonly ledger: Ledger.Ledger,
    readonly lane: Admission.Lane | undefined
  ) {}
  get amounts(): Resource.Amounts {
    return Ledger.amountsOf(this.vector)
  }
}

// What each lane of a running round holds (unused worst cases of its finished calls), per ledger of each call's
// chain, so a lookup is one map read. Released (or handed to the enclosing lane) when the round ends.
const holdings = new WeakMap<Admission.Lane, Map<Ledger.Ledger, Float64Array>>()
const watched = new WeakSet<Admission.Region>()

const watch = (region: Admission.Region): void => {
  if (watched.has(region)) return
  watched.add(region)
  Admission.onEnd(region, () => {
    const parent = region.parentLane
    for (const lane of region.lanes) {
      const held = holdings.get(lane)
      if (held === undefined) continue
      holdings.delete(lane)
      if (parent === undefined || parent.region.ended) {
        for (const [ledger, amounts] of held) for (let index = 0; index < Ledger.size; index++) ledger.held[index]! -= amounts[index]!
        continue
      }
      // A nested round's holdings become its lane's own: visible to that lane, still held for the outer round.
      let outer = holdings.get(parent)
      if (outer === undefined) holdings.set(parent, (outer = new Map()))
      for (const [ledger, amounts] of held) {
        const existing = outer.get(ledger)
        if (existing === undefined) outer.set(ledger, amounts)
        else for (let index = 0; index < Ledger.size; index++) existing[index]! += amounts[index]!
      }
      watch(parent.region)
    }
  })
}

const hold = (lane: Admission.Lane, ledger: Ledger.Ledger, amounts: Ledger.Vector): void => {
  Ledger.add(ledger, "held", amounts)
  let held = holdings.get(lane)
  if (held === undefined) holdings.set(lane, (held = new Map()))
  for (let node: Ledger.Ledger | undefined = ledger; node !== undefined; node = node.parent) {
    const existing = held.get(node)
    if (existing === undefined) held.set(node, Float64Array.from(amounts))
    else for (let index = 0; index < Ledger.size; index++) existing[index]! += amounts[index]!
  }
  watch(lane.region)
}

// What a lane may count as free on a ledger: what it and the lanes it is nested in hold there.
const visibleTo =
  (lane: Admission.Lane) =>
  (ledger: Ledger.Ledger): Float64Array | undefined => {
    let total: Float64Array | undefined
    let copied = false
    for (let current: Admission.Lane | undefined = lane; current !== undefined; current = current.region.parentLane) {
      const amounts = holdings.get(current)?.get(ledger)
      if (amounts === undefined) continue
      if (total === undefined) total = amounts
      else {
        if (!copied) {
          total = Float64Array.from(total)
          copied = true
        }
        for (let index = 0; index < Ledger.size; index++) total[index]! += amounts[index]!
      }
    }
    return total
  }

const makeWith = (ledger: Ledger.Ledger, costModel: CostModel, measures: ReadonlyArray<CostModel>): Service => {
  // The reservation of a claim, or why it does not fit: synchronous, so it is atomic (and ordered by `Admission`).
  const decide = (claim: Meter.Claim, lane: Admission.Lane | undefined): Reserved | BudgetExhausted => {
    const visible = lane === undefined ? undefined : visibleTo(lane)
    if (claim.tokensUnbounded === true && ledger.checked.length > 0) {
      // Every resource one of its tokens counts toward (verifierTokens; cost, when the cost model prices a
      // verifier's token): refused once any of them is used up on the chain.
      const perToken = vectorOf({ ...chargeOf(claim, 0), inputTokens: 1, verifierCalls: 0 }, costModel)
      const counted: Array<number> = []
      for (let index = 0; index < Ledger.size; index++) if (perToken[index]! > 0) counted.push(index)
      const refusal = Ledger.usedUp(ledger, counted, visible)
      if (refusal !== undefined) {
        Ledger.noteLimits(ledger, ledger.checked.filter((node) => node.budget.label === refusal.budget).map((node) => ({ node, violation: refusal })))
        return refusal
      }
    }
    let granted = claim.maxTokensPerSample
    let charge = chargeOf(claim, granted)
    let vector = vectorOf(charge, costModel)
    if (ledger.checked.length > 0 && Ledger.violation(ledger, vector, visible) !== undefined) {
      const amountsAt = (tokens: number) => vectorOf(chargeOf(claim, tokens), costModel)
      const fits = (tokens: number) => Ledger.violation(ledger, amountsAt(tokens), visible)
      const lowest = Math.min(claim.minTokensPerSample, claim.maxTokensPerSample)
      const failure = fits(lowest)
      if (failure !== undefined) {
        // Refused: the budgets its least would pass are what refused it.
        Ledger.noteLimits(ledger, Ledger.bindings(ledger, amountsAt(lowest), visible))
        return failure
      }
      // Largest limit that fits: amounts grow with the limit, so bisect between `lowest` (fits) and `granted` (does not).
      let low = lowest
      let high = granted
      while (high - low > 1) {
        const middle = Math.floor((low + high) / 2)
        if (fits(middle) === undefined) low = middle
        else high = middle
      }
      // Cut: the budgets one token more would pass are what cut it. Below a boundary, a cut made above it is a refusal.
      const binding = Ledger.bindings(ledger, amountsAt(low + 1), visible)
      Ledger.noteLimits(ledger, binding)
      const boundary = ledger.boundary
      const above = boundary === undefined ? undefined : binding.find((each) => Ledger.isAbove(each.node, boundary))
      if (above !== undefined) return above.violation
      granted = low
      charge = chargeOf(claim, granted)
      vector = vectorOf(charge, costModel)
    }
    Ledger.add(ledger, "reserved", vector)
    return new Reserved(claim, { maxTokensPerSample: granted }, charge, vector, ledger, lane)
  }

  // Charges a reservation's real usage and gives `report` what was wanted and what was charged (nothing if it was
  // settled before). A metered call passes no `report`, so settling it allocates nothing more.
  const settle = (
    reservation: Reserved,
    usage: Usage.Usage,
    sampleOutputTokens: ReadonlyArray<number | undefined> | undefined,
    report?: (wanted: Ledger.Vector, charged: Ledger.Vector) => void
  ): void => {
    if (reservation.settled) return
    reservation.settled = true
    const lane = reservation.lane
    // A count the server did not report (or reported for only some parts of a sum) is charged at its worst case.
    const unreported = usage.unreported
    const outputTokens =
      usage.outputTokens === undefined || (unreported?.outputTokens ?? 0) > 0 ? reservation.charge.outputTokens : usage.outputTokens
    const inputTokens = usage.inputTokens === undefined || (unreported?.inputTokens ?? 0) > 0 ? reservation.charge.inputTokens : usage.inputTokens
    const actual: Charge = {
      role: reservation.claim.role,
      label: reservation.claim.label,
      model: reservation.claim.model,
      inputTokens,
      cachedInputTokens: usage.cachedInputTokens ?? 0,
      outputTokens,
      samples: reservation.claim.samples,
      sampleOutputTokens: sampleOutputsOf(sampleOutputTokens, outputTokens),
      verifierCalls: reservation.claim.verifierCalls,
      ...(reservation.claim.promptPerSample === true ? { promptPerSample: true } : {})
    }
    let wanted: Ledger.Vector
    try {
      wanted = vectorOf(actual, costModel)
    } catch (defect) {
      // A cost model that throws still gives the reservation back (nothing is charged).
      Ledger.remove(ledger, "reserved", reservation.vector)
      throw defect
    }
    // The reservation removed and the usage charged in one walk of the chain.
    const charged = Ledger.settle(ledger, reservation.vector, wanted)
    if (measures.length > 0) Ledger.measure(ledger, measures.map((measure) => [measure.name, measure.cost(actual)] as const))
    if (lane !== undefined && !lane.region.ended) {
      // The unused worst case stays held for the round's other lanes (its own lane sees it free at once).
      const unused = Ledger.vector()
      let any = false
      for (let index = 0; index < Ledger.size; index++) {
        const left = reservation.vector[index]! - charged[index]!
        if (left > 0) {
          unused[index] = left
          any = true
        }
      }
      if (any) hold(lane, ledger, unused)
    }
    report?.(wanted, charged)
  }

  const reserve = (claim: Meter.Claim): Effect.Effect<Reservation, BudgetExhausted> =>
    Effect.suspend(() => {
      const decision = decide(claim, undefined)
      return decision instanceof BudgetExhausted ? Effect.fail(decision) : Effect.succeed(decision)
    })

  const commit = (reservation: Reservation, usage: Usage.Usage, sampleOutputTokens?: ReadonlyArray<number | undefined>): Effect.Effect<CommitReport> =>
    Effect.sync(() => {
      let result: CommitReport = { charged: Resource.none, overrun: Resource.none }
      settle(reservation as Reserved, usage, sampleOutputTokens, (wanted, charged) => {
        const overrun = Ledger.vector()
        for (let index = 0; index < Ledger.size; index++) overrun[index] = wanted[index]! - charged[index]!
        result = { charged: Ledger.amountsOf(charged), overrun: Ledger.amountsOf(overrun) }
      })
      return result
    })

  const release = (reservation: Reservation): Effect.Effect<void> =>
    Effect.sync(() => {
      const reserved = reservation as Reserved
      if (reserved.settled) return
      reserved.settled = true
      Ledger.remove(ledger, "reserved", reserved.vector)
    })

  const undo = (decision: Reserved | BudgetExhausted): void => {
    if (decision instanceof Reserved && !decision.settled) {
      decision.settled = true
      Ledger.remove(ledger, "reserved", decision.vector)
    }
  }

  // A failed or interrupted call spends nothing; in a round, its worst case is held like an unused one.
  const abandon = (reservation: Reserved): void => {
    if (reservation.settled) return
    reservation.settled = true
    Ledger.remove(ledger, "reserved", reservation.vector)
    if (reservation.lane !== undefined && !reservation.lane.region.ended) hold(reservation.lane, ledger, reservation.vector)
  }

  const metered = <A, E, R>(
    claim: Meter.Claim,
    call: (grant: Meter.Grant) => Effect.Effect<A, E, R>,
    usageOf: (result: A) => Usage.Usage,
    sampleOutputs?: (result: A) => ReadonlyArray<number | undefined>,
    spentOnFailure?: () => Usage.Usage | undefined
  ): Effect.Effect<A, E | BudgetExhausted, R> =>
    Effect.suspend(() => {
      // Set once the call is granted; the exit handler (which runs uninterruptibly, whatever ends the call) settles
      // it on success and gives it back otherwise. Interrupted before the grant, there is nothing to give back.
      let granted: Reserved | undefined
      // `onExitPrimitive`: a handler with nothing to run returns undefined (no effect to evaluate after every call).
      return Effect.onExitPrimitive(
        Admission.admitThen(
          (lane) => decide(claim, lane),
          undo,
          (decision): Effect.Effect<A, E | BudgetExhausted, R> => {
            if (decision instanceof BudgetExhausted) return Effect.fail(decision)
            granted = decision
            return Admission.running(call(decision.grant))
          }
        ),
        (exit) => {
          if (granted !== undefined) {
            if (Exit.isSuccess(exit)) settle(granted, usageOf(exit.value), sampleOutputs?.(exit.value))
            else {
              // What a failed call spent before it failed (answered requests) is charged; the rest given back.
              const spent = spentOnFailure?.()
              if (spent === undefined) abandon(granted)
              else settle(granted, spent, undefined)
            }
          }
          return undefined
        }
      )
    })

  const meter: Meter.Service = { metered }

  return {
    budget: ledger.budget,
    costModel,
    reserve,
    commit,
    release,
    meter,
    child: (limits, label = "child", options = {}) =>
      Effect.map(Budget.make(limits, `${ledger.budget.label}/${label}`), (budget) =>
        makeWith(Ledger.make(budget, ledger, options), costModel, measures)
      ),
    snapshot: Effect.sync(() => Snapshot.of(ledger)),
    remaining: Effect.sync(() => {
      const vector = Ledger.zeros()
      for (let index = 0; index < Ledger.size; index++) vector[index] = Ledger.remainingAt(ledger, index)
      return Ledger.amountsOf(vector)
    }),
    available: Effect.sync(() => {
      const vector = Ledger.zeros().fill(Number.POSITIVE_INFINITY)
      for (const node of ledger.checked)
        for (const index of node.limited) vector[index] = Math.min(vector[index]!, Ledger.remainingAt(node, index))
      return Ledger.amountsOf(vector)
    }),
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
export const make = (limits: Budget.Limits, label = "root", options: Options = {}): Effect.Effect<Service, InvalidOptions> => {
  const costModel = options.costModel ?? CostModels.tokens
  const wrong = unpriced(costModel)
  if (wrong !== undefined) return Effect.fail(new InvalidOptions({ subject: "accountant", field: "costModel", detail: `${costModel.name} ${wrong}` }))
  return Effect.map(Budget.make(limits, label), (budget) => makeWith(Ledger.make(budget, undefined), costModel, options.measures ?? []))
}

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

/** What the current budget can still spend of each resource, its ancestors' limits included (see `Service.available`). */
export const available: Effect.Effect<Resource.Amounts, never, Accountant> = Effect.flatMap(Accountant, (accountant) => accountant.available)
