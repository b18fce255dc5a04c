import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect } from "effect"
import { BestFirst } from "@stepwise/search"

const runs = Number(process.env.PROPERTY_RUNS ?? (process.env.CI ? 300 : 100))

// A random directed graph: vertices 0..n-1, start 0, a few goals; a chain 0→1→…→n-1 keeps a goal reachable.
const graphArbitrary = fc
  .integer({ min: 2, max: 12 })
  .chain((size) =>
    fc.record({
      size: fc.constant(size),
      edges: fc.array(
        fc.record({ from: fc.nat({ max: size - 1 }), to: fc.nat({ max: size - 1 }), cost: fc.integer({ min: 1, max: 20 }) }),
        { maxLength: size * 3 }
      ),
      chainCosts: fc.array(fc.integer({ min: 1, max: 20 }), { minLength: size - 1, maxLength: size - 1 }),
      goals: fc.uniqueArray(fc.integer({ min: 1, max: size - 1 }), { minLength: 1, maxLength: 3 }),
      // Per-vertex fraction of the true distance used as heuristic: admissible, usually inconsistent.
      fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: size, maxLength: size })
    })
  )

type GraphValue = typeof graphArbitrary extends fc.Arbitrary<infer G> ? G : never

const adjacency = (graph: GraphValue) => {
  const out = Array.from({ length: graph.size }, () => [] as Array<{ to: number; cost: number }>)
  graph.chainCosts.forEach((cost, index) => out[index]?.push({ to: index + 1, cost }))
  for (const edge of graph.edges) if (edge.from !== edge.to) out[edge.from]?.push({ to: edge.to, cost: edge.cost })
  return out
}

// Bellman-Ford style relaxation (tiny graphs): shortest distance from every vertex to the nearest goal.
const distancesToGoal = (graph: GraphValue, out: ReturnType<typeof adjacency>): Array<number> => {
  const distance = Array.from({ length: graph.size }, (_, vertex) => (graph.goals.includes(vertex) ? 0 : Infinity))
  for (let round = 0; round < graph.size; round++)
    out.forEach((edges, from) => {
      for (const { to, cost } of edges) distance[from] = Math.min(distance[from] ?? Infinity, cost + (distance[to] ?? Infinity))
    })
  return distance
}

describe("BestFirst (A*) on explicit random graphs", () => {
  property.prop([graphArbitrary], { numRuns: runs })(
    "with an admissible heuristic, returns an optimal goal and never expands a node with f > f*",
    (graph) => {
      const out = adjacency(graph)
      const distance = distancesToGoal(graph, out)
      const optimal = distance[0] ?? Infinity
      expect(Number.isFinite(optimal)).toBe(true)
      // A vertex that reaches no goal gets h = ∞ (still admissible; ∞ · fraction would be NaN when the fraction is 0).
      const h = (vertex: number) => {
        const toGoal = distance[vertex] ?? Infinity
        return Number.isFinite(toGoal) ? toGoal * (graph.fractions[vertex] ?? 0) : Infinity
      }
      const node = (vertex: number, g: number) => ({ state: vertex, key: String(vertex), g, h: h(vertex), goal: graph.goals.includes(vertex) })
      const outcome = Effect.runSync(
        BestFirst.search({
          start: node(0, 0),
          expand: (parent) => Effect.succeed((out[parent.state] ?? []).map(({ to, cost }) => node(to, parent.g + cost)))
        })
      )
      expect(outcome.goals).toHaveLength(1)
      expect(outcome.goals[0]?.g).toBe(optimal)
      for (const expanded of outcome.expanded) expect(BestFirst.f(expanded)).toBeLessThanOrEqual(optimal + 1e-9)
    }
  )

  property.prop([graphArbitrary, fc.integer({ min: 1, max: 3 })], { numRuns: runs })(
    "pops goals in non-decreasing g under a zero heuristic, and stops after m goals",
    (graph, wanted) => {
      const out = adjacency(graph)
      const outcome = Effect.runSync(
        BestFirst.search({
          start: { state: 0, key: "0", g: 0, h: 0, goal: graph.goals.includes(0) },
          goals: wanted,
          expand: (parent) =>
            Effect.succeed(
              graph.goals.includes(parent.state)
                ? []
                : (out[parent.state] ?? []).map(({ to, cost }) => ({ state: to, key: String(to), g: parent.g + cost, h: 0, goal: graph.goals.includes(to) }))
            )
        })
      )
      expect(outcome.goals.length).toBeLessThanOrEqual(wanted)
      for (let index = 1; index < outcome.goals.length; index++)
        expect(outcome.goals[index]?.g).toBeGreaterThanOrEqual(outcome.goals[index - 1]?.g ?? 0)
    }
  )
})
