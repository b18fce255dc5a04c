import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"

/**
 * Where a report's numbers came from: the code's commit, the packages' versions and the runtime, so a result can be
 * traced to what produced it.
 */

/** What a report records of the code and runtime that produced it. */
export interface Provenance {
  /** The git commit of the working folder (with "+changes" when it has uncommitted changes), when it is a checkout. */
  readonly commit: string | undefined
  /** Versions of stepwise's packages and of the runtime. */
  readonly versions: Readonly<Record<string, string>>
}

const packageVersion = (relative: string): string | undefined => {
  try {
    const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as { readonly version?: unknown }
    return typeof parsed.version === "string" ? parsed.version : undefined
  } catch {
    return undefined
  }
}

const git = (args: ReadonlyArray<string>, folder: string): string | undefined => {
  try {
    return execFileSync("git", [...args], { cwd: folder, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim()
  } catch {
    return undefined
  }
}

/** The commit of a folder's checkout (`undefined` outside one, or without git). */
export const commitOf = (folder: string): string | undefined => {
  const head = git(["rev-parse", "HEAD"], folder)
  if (head === undefined || head === "") return undefined
  const changes = git(["status", "--porcelain", "--untracked-files=no"], folder)
  return changes === undefined || changes === "" ? head : `${head}+changes`
}

/**
 * The provenance of a run in `folder` (default: the working folder).
 *
 * @example
 * Provenance.of().commit // "5a811b3…" or undefined
 */
export const of = (folder: string = process.cwd()): Provenance => ({
  commit: commitOf(folder),
  versions: {
    "@stepwise/harness": packageVersion("../package.json") ?? "unknown",
    node: process.version
  }
})
