import { createHash } from "node:crypto"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { InvalidOptions } from "@stepwise/core"

/**
 * The recipe `stepwise bench` runs when none is given: six strategies swept over their sizes on 200 simulator
 * problems, compared on the compute they actually spend.
 */
export const defaultRecipe: string = fileURLToPath(new URL("../recipes/default.json", import.meta.url))

/** The paper-sized recipe of `stepwise bench --full`: 500 problems, three seeds, wider sweeps. */
export const fullRecipe: string = fileURLToPath(new URL("../recipes/full.json", import.meta.url))

/** Characters no output name keeps: path separators, characters Windows forbids, control and format characters. */
const unsafeCharacters = /[/\\<>:"|?*\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/gu

/** Names Windows reserves for devices, with or without an extension (`CON`, `nul.txt`, `COM1`, …). */
const reservedName = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?$/i

/** The most UTF-8 bytes a name keeps, leaving room for the suffix and the extension within a 255-byte file name. */
const maximumBytes = 200

const bytesOf = (text: string): number => Buffer.byteLength(text, "utf8")

/** Whether a name can be a file name as it is: no unsafe character, no leading or trailing dot or space, not reserved, short. */
const isSafe = (name: string): boolean =>
  name.length > 0 &&
  !new RegExp(unsafeCharacters.source, "u").test(name) &&
  !/^[.\s]|[.\s]$/u.test(name) &&
  !reservedName.test(name) &&
  bytesOf(name) <= maximumBytes

/** Cuts a text to at most `bytes` UTF-8 bytes, at a code point boundary. */
const cut = (text: string, bytes: number): string => {
  let kept = ""
  for (const character of text) {
    if (bytesOf(kept) + bytesOf(character) > bytes) break
    kept += character
  }
  return kept
}

/**
 * The file name (without extension) that a recipe name is written under, inside the output folder. A name that is
 * already a plain file name is kept as it is (`gsm8k quick run`, `math500-α`); any other is rewritten readably —
 * path separators, `..`, control characters and characters Windows forbids become `-`, leading and trailing dots
 * and spaces go, reserved device names and long names are changed — and gets 8 hex digits of the original name's
 * SHA-256, so two different names never share a results file. The result never leaves the folder it is joined to.
 *
 * @example
 * Paths.fileNameOf("gsm8k") // "gsm8k"
 * Paths.fileNameOf("../../../tmp/x") // "tmp-x-<8 hex digits>"
 */
export const fileNameOf = (name: string): string => {
  if (isSafe(name)) return name
  const readable = cut(
    name
      .replace(unsafeCharacters, "-")
      .replace(/-{2,}/g, "-")
      .replace(/^[-.\s]+|[-.\s]+$/gu, ""),
    maximumBytes - 9
  ).replace(/[.\s]+$/u, "")
  const digest = createHash("sha256").update(name, "utf8").digest("hex").slice(0, 8)
  const named = `${readable === "" ? "recipe" : readable}-${digest}`
  return reservedName.test(named) ? `recipe-${named}` : named
}

/** Where a recipe's results go by default: `results/<recipe name>.jsonl` under the working folder (see `fileNameOf`). */
export const resultsFileOf = (recipeName: string): string => `results/${fileNameOf(recipeName)}.jsonl`

/** Where a recipe's report goes by default: `reports/<recipe name>.html` (and `.md`) under the working folder (see `fileNameOf`). */
export const reportFilesOf = (recipeName: string): { readonly html: string; readonly markdown: string } => ({
  html: `reports/${fileNameOf(recipeName)}.html`,
  markdown: `reports/${fileNameOf(recipeName)}.md`
})

/**
 * Why a command's output files would overwrite its results file or each other (`--report`/`--html`/`--markdown`
 * pointing at the results, or the HTML and Markdown at one file), as an error naming the flag; `undefined` when
 * every path is its own. Paths are compared resolved against the working folder.
 */
export const overwriteError = (
  command: string,
  results: string,
  outputs: ReadonlyArray<readonly [flag: string, path: string]>
): InvalidOptions | undefined => {
  const taken = new Map<string, string>([[resolve(results), "the results file"]])
  for (const [flag, path] of outputs) {
    const earlier = taken.get(resolve(path))
    if (earlier !== undefined)
      return new InvalidOptions({ subject: command, field: flag, detail: `${path} is ${earlier}: writing it there would overwrite it; give another file` })
    taken.set(resolve(path), `the ${flag} file`)
  }
  return undefined
}
