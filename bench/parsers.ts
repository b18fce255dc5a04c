/**
 * Worst-case time per call of every parser and grader entry point on adversarial families (long whitespace runs,
 * deep nesting, repeated openers) at 1k, 10k and 100k characters, measured side by side in one run (sizes
 * interleaved round by round, median of the rounds) and reported as ratios: a linear entry point shows about 10×
 * from one size to the next, a bounded one (an input cap) about 1×, a quadratic one 100×.
 *
 *   npx tsx bench/parsers.ts [--rounds 5]
 */
import { Answer } from "@stepwise/core"
import { Equivalence, FinalAnswer, Game24, Grader, Normalization } from "@stepwise/harness"
import { Arithmetic, ChainParser, VerdictParser } from "@stepwise/verifiers"

const sizes = [1_000, 10_000, 100_000] as const
const argument = process.argv.indexOf("--rounds")
const rounds = argument < 0 ? 5 : Number(process.argv[argument + 1])

/** Repeats a piece to about `size` characters. */
const fill = (piece: string, size: number): string => piece.repeat(Math.max(1, Math.floor(size / piece.length)))

interface Family {
  readonly entry: string
  readonly family: string
  readonly input: (size: number) => string
  readonly call: (input: string) => unknown
}

const noSymbolic = { symbolic: false } as const

const families: ReadonlyArray<Family> = [
  { entry: "ChainParser.parse", family: "Step line + spaces", input: (n) => "Step 1: 2 + 2 = 4\n" + " ".repeat(n), call: (text) => ChainParser.parse(text, 2) },
  { entry: "ChainParser.parse", family: "open judgement + spaces", input: (n) => "Step 1: \\boxed{correct" + " ".repeat(n), call: (text) => ChainParser.parse(text, 2) },
  { entry: "ChainParser.parse", family: "repeated headers", input: (n) => fill("Step 1\n", n), call: (text) => ChainParser.parse(text, 2) },
  { entry: "ChainParser.parse", family: "decision + marks", input: (n) => "Step 1: \\boxed{correct}\nIs the solution correct?" + fill(" *", n), call: (text) => ChainParser.parse(text, 1) },
  { entry: "VerdictParser.parse", family: "spaces", input: (n) => " ".repeat(n) + "x", call: (text) => VerdictParser.parse(text, "yes-no") },
  { entry: "VerdictParser.parse", family: "digits", input: (n) => "1".repeat(n), call: (text) => VerdictParser.parse(text, "scale") },
  { entry: "Arithmetic.evaluate", family: "nested parentheses", input: (n) => "(".repeat(n / 2) + "1" + ")".repeat(n / 2), call: (text) => Arithmetic.evaluate(text) },
  { entry: "Arithmetic.equations", family: "repeated =", input: (n) => fill("1=", n), call: (text) => Arithmetic.equations(text) },
  { entry: "Arithmetic.equations", family: "open parentheses after =", input: (n) => fill("1 = " + "(".repeat(46), n), call: (text) => Arithmetic.equations(text) },
  { entry: "Answer.extractBoxed", family: "repeated \\boxed{", input: (n) => fill("\\boxed{", n), call: (text) => Answer.extractBoxed(text) },
  { entry: "Answer.extractBoxed", family: "nested braces", input: (n) => "\\boxed{" + "{".repeat(n), call: (text) => Answer.extractBoxed(text) },
  { entry: "FinalAnswer.extract", family: "answer is a + spaces + x", input: (n) => "answer is a" + " ".repeat(n) + "x", call: (text) => FinalAnswer.extract(text) },
  { entry: "FinalAnswer.extract", family: "dollar run", input: (n) => "The answer is " + "$".repeat(n) + "x", call: (text) => FinalAnswer.extract(text) },
  { entry: "FinalAnswer.extract", family: "repeated markers", input: (n) => fill("answer is ", n) + "7.", call: (text) => FinalAnswer.extract(text) },
  { entry: "Normalization.normalize", family: "1. + zeros + x", input: (n) => "1." + "0".repeat(n) + "x", call: (text) => Normalization.normalize(text) },
  { entry: "Normalization.normalize", family: "nested \\text{", input: (n) => fill("\\text{", n / 2) + "yes" + "}".repeat(n / 12), call: (text) => Normalization.normalize(text) },
  { entry: "Normalization.normalize", family: "period run", input: (n) => "5" + ".".repeat(n), call: (text) => Normalization.normalize(text) },
  { entry: "Normalization.normalize", family: "spaces before a relation", input: (n) => "x \\geq" + " ".repeat(n) + "5", call: (text) => Normalization.normalize(text) },
  { entry: "Equivalence.compare", family: "nested tuples", input: (n) => fill("(1,", n / 2) + "2" + ")".repeat(n / 6), call: (text) => Equivalence.compare(text, text.replace("2", "3"), noSymbolic) },
  { entry: "Equivalence.compare", family: "long list", input: (n) => fill("1,", n) + "2", call: (text) => Equivalence.compare(text, text.replace("2", "3"), noSymbolic) },
  { entry: "Game24.check", family: "nested parentheses", input: (n) => "(".repeat(n / 2) + "4" + ")".repeat(n / 2) + "*6", call: (text) => Game24.check([4, 6, 8, 2], text) },
  { entry: "Grader.grade", family: "open boxes + phrase", input: (n) => fill("\\boxed{", n) + "The answer is " + " ".repeat(n) + "5", call: (text) => Grader.grade(text, "5", noSymbolic) }
]

const timePerCall = (family: Family, input: string): number => {
  let calls = 0
  const start = performance.now()
  let elapsed = 0
  while (calls < 3 || elapsed < 20) {
    family.call(input)
    calls++
    elapsed = performance.now() - start
    if (elapsed > 2_000) break
  }
  return elapsed / calls
}

const median = (values: ReadonlyArray<number>): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const inputs = families.map((family) => sizes.map((size) => family.input(size)))
const samples = families.map(() => sizes.map(() => [] as Array<number>))
for (const [index, family] of families.entries()) for (const input of inputs[index]!) family.call(input) // warm up
for (let round = 0; round < rounds; round++)
  for (const [index, family] of families.entries())
    for (const [position, input] of inputs[index]!.entries()) samples[index]![position]!.push(timePerCall(family, input))

const microseconds = (millis: number) => (millis * 1000).toFixed(millis < 0.01 ? 2 : 1)
const rows = families.map((family, index) => {
  const times = samples[index]!.map(median)
  return { family, times, ratios: [times[1]! / times[0]!, times[2]! / times[1]!] }
})

console.log(`Time per call (µs, median of ${rounds} interleaved rounds) at 1k / 10k / 100k characters, and the ratios.\n`)
console.log("| entry point | family | 1k | 10k | 100k | 10k/1k | 100k/10k |")
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for (const { family, times, ratios } of rows)
  console.log(`| ${family.entry} | ${family.family} | ${times.map(microseconds).join(" | ")} | ${ratios.map((ratio) => ratio.toFixed(1)).join(" | ")} |`)

console.log("\nWorst family per entry point (the slowest at 100k):\n")
console.log("| entry point | worst family | µs per call at 100k | 10k/1k | 100k/10k |")
console.log("| --- | --- | ---: | ---: | ---: |")
const entries = [...new Set(families.map((family) => family.entry))]
for (const entry of entries) {
  const worst = rows.filter((row) => row.family.entry === entry).sort((a, b) => b.times[2]! - a.times[2]!)[0]!
  console.log(`| ${entry} | ${worst.family.family} | ${microseconds(worst.times[2]!)} | ${worst.ratios[0]!.toFixed(1)} | ${worst.ratios[1]!.toFixed(1)} |`)
}
