import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// The workspace's packages (pnpm-workspace.yaml: packages/*, examples, bench) and the workspace packages each one
// lists in any dependency field: pnpm warns on every install when they form a cycle, and a cycle means no package
// of it can be built or tested without the others.

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const fields = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const

interface Manifest {
  readonly name: string
  readonly dependsOn: ReadonlyArray<string>
}

const manifests: ReadonlyArray<Manifest> = [...readdirSync(join(root, "packages")).map((name) => join(root, "packages", name)), join(root, "examples"), join(root, "bench")]
  .map((folder) => join(folder, "package.json"))
  .filter((path) => existsSync(path))
  .map((path) => {
    const manifest = JSON.parse(readFileSync(path, "utf8")) as { readonly name: string } & Partial<Record<(typeof fields)[number], Record<string, string>>>
    return { name: manifest.name, dependsOn: fields.flatMap((field) => Object.keys(manifest[field] ?? {})) }
  })

/** A cycle of workspace packages, as the path around it, or undefined when the graph has none. */
const cycleIn = (packages: ReadonlyArray<Manifest>): ReadonlyArray<string> | undefined => {
  const names = new Set(packages.map((each) => each.name))
  const edges = new Map(packages.map((each) => [each.name, each.dependsOn.filter((name) => names.has(name))]))
  const state = new Map<string, "open" | "done">()
  const path: Array<string> = []
  const visit = (name: string): ReadonlyArray<string> | undefined => {
    if (state.get(name) === "done") return undefined
    if (state.get(name) === "open") return [...path.slice(path.indexOf(name)), name]
    state.set(name, "open")
    path.push(name)
    for (const next of edges.get(name) ?? []) {
      const found = visit(next)
      if (found !== undefined) return found
    }
    path.pop()
    state.set(name, "done")
    return undefined
  }
  for (const name of names) {
    const found = visit(name)
    if (found !== undefined) return found
  }
  return undefined
}

describe("the workspace's packages", () => {
  it("are all found", () => {
    const names = manifests.map((each) => each.name)
    for (const name of ["@stepwise/core", "@stepwise/accountant", "@stepwise/testing", "@stepwise/testing-base", "stepwise-decoding"]) expect(names).toContain(name)
  })

  it("depend on each other without a cycle (in any dependency field)", () => {
    expect(cycleIn(manifests)).toBeUndefined()
  })

  it("the cycle check finds a cycle where there is one", () => {
    const withCycle = [...manifests, { name: "@stepwise/cycle-probe", dependsOn: ["@stepwise/core"] }].map((each) =>
      each.name === "@stepwise/core" ? { ...each, dependsOn: [...each.dependsOn, "@stepwise/cycle-probe"] } : each
    )
    expect(cycleIn(withCycle)).toEqual(["@stepwise/core", "@stepwise/cycle-probe", "@stepwise/core"])
  })
})
