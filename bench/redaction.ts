/**
 * What `Redaction.scrub` costs on adversarial server texts: for each family (long letter runs, credential names
 * followed by long runs, unclosed quotes, repeated openers, dense credentials), the time per call at 1k, 10k and
 * 100k characters, measured side by side in one run, and the time per character at 100k as a ratio of that at 1k
 * (about 1 when the time is linear in the text; 100 would be quadratic).
 *
 *   npx tsx bench/redaction.ts
 */
import { Redaction } from "@stepwise/core"

const repeat = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)

/** The families, each a text of about `length` characters. */
const families: ReadonlyArray<readonly [string, (length: number) => string]> = [
  ["plain prose", (length) => repeat("The server could not answer the request in time. ", length)],
  ["one letter run", (length) => repeat("a", length)],
  ["name then spaces", (length) => `authorization${repeat(" ", length)}`],
  ["field then value run", (length) => `api_key=${repeat("x", length)}`],
  ["bearer then spaces", (length) => `Bearer ${repeat(" ", length)}x`],
  ["repeated sk-", (length) => repeat("sk-", length)],
  ["unclosed quote", (length) => `"password": "${repeat("a", length)}`],
  ["repeated ://", (length) => repeat("://", length)],
  ["scheme without @", (length) => `https://${repeat("a", length)}`],
  ["escaped quotes", (length) => `{\\"api_key\\": \\"${repeat('\\"', length)}`],
  ["repeated names", (length) => repeat("password=api_key=token:", length)],
  ["dense credentials", (length) => repeat("Authorization: Bearer hf_abcdefghijklmnopqrstuvwxyz0123 https://u:p@h/?key=v ", length)]
]

const lengths = [1_000, 10_000, 100_000] as const

/** Median milliseconds per call, over rounds of enough calls to scrub about a million characters. */
const perCall = (text: string, rounds = 7): number => {
  const calls = Math.max(1, Math.round(1_000_000 / text.length))
  const samples: Array<number> = []
  for (let round = 0; round <= rounds; round++) {
    const start = performance.now()
    for (let call = 0; call < calls; call++) Redaction.scrub(text)
    if (round > 0) samples.push((performance.now() - start) / calls)
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!
}

console.log("family                  1k chars     10k chars    100k chars   per-char ratio 100k/1k")
for (const [label, make] of families) {
  const times = lengths.map((length) => perCall(make(length)))
  const ratio = times[2]! / 100_000 / (times[0]! / 1_000)
  console.log(
    `${label.padEnd(22)} ${times.map((millis) => `${millis.toFixed(4).padStart(9)} ms`).join("  ")}   ${ratio.toFixed(2)}`
  )
}
