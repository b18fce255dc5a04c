/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): self time by function (top N) and by where the code lives (our
 * packages by name, effect, other dependencies, Node internals, garbage collection), as shares of the samples.
 * Profile a bundle (`bench/bundle.sh`), not the sources under tsx: tsx's transform leaves every function of a module
 * on its line 1. In a bundle, esbuild's `// path` comments say which module each line came from.
 *
 *   bench/bundle.sh bench/search-speed.ts /tmp/prof/speed.mjs
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/prof/speed.mjs --only a-star --sizes 20000
 *   npx tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile [--top 25]
 */
import { readFileSync } from "node:fs"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const topIndex = process.argv.indexOf("--top")
const top = topIndex >= 0 ? Number(process.argv[topIndex + 1]) : 25
const files = process.argv.slice(2).filter((argument, index, all) => !argument.startsWith("--") && all[index - 1] !== "--top")

// For a bundle: the module each line came from (esbuild writes "// path" before each module's code).
const bundles = new Map<string, ReadonlyArray<string>>()
const moduleAt = (url: string, line: number): string => {
  if (!url.startsWith("file://") || !url.endsWith(".mjs")) return url
  let modules = bundles.get(url)
  if (modules === undefined) {
    const lines = readFileSync(new URL(url), "utf8").split("\n")
    const found: Array<string> = []
    let current = url
    for (const text of lines) {
      const marker = /^\/\/ ((?:packages|node_modules|bench)\/\S+\.[cm]?[jt]s)$/.exec(text)
      if (marker !== null) current = marker[1]!
      found.push(current)
    }
    modules = found
    bundles.set(url, modules)
  }
  return modules[line] ?? url
}

const areaOf = (url: string, functionName: string): string => {
  if (functionName === "(garbage collector)") return "garbage collection"
  if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName
  const ours = /packages\/([a-z-]+)\/src\//.exec(url)
  if (ours !== null) return `@stepwise/${ours[1]}`
  if (url.includes("/effect/") || url.includes("/effect@")) return "effect"
  if (url.includes("node_modules")) {
    const name = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
    return name?.[1] ?? "dependencies"
  }
  if (url.startsWith("node:") || url === "") return "node internals"
  return url.replace(/^.*\/(bench|test|examples)\//, "$1/")
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)))
  let total = 0
  for (const [id, micros] of self) {
    const name = byId.get(id)?.callFrame.functionName
    if (name !== "(idle)") total += micros
  }
  const byFunction = new Map<string, number>()
  const byArea = new Map<string, number>()
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === "(idle)") continue
    const url = moduleAt(frame.url, frame.lineNumber)
    const where = url.replace(/^.*\/(packages|node_modules)\//, "$1/").replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
    const key = `${frame.functionName || "(anonymous)"} ${where}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros)
    const area = areaOf(url, frame.functionName)
    byArea.set(area, (byArea.get(area) ?? 0) + micros)
  }
  const share = (micros: number) => `${((100 * micros) / total).toFixed(1).padStart(5)}%`
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled (idle excluded)`)
  console.log("self time by area:")
  for (const [area, micros] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${share(micros)}  ${area}`)
  console.log(`self time by function (top ${top}):`)
  for (const [name, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros)}  ${name}`)
}
