import fc from "fast-check"

/**
 * Text arbitraries for fuzzing parsers and graders: random strings mixed with the adversarial families that make
 * backtracking or recursive code super-linear — long whitespace runs, deep nesting, repeated openers — each
 * spliced with pieces of the format under test.
 *
 * @example
 * property.prop([Adversarial.text(["\\boxed{", "Step 1:"])], { numRuns: Adversarial.runs() })("never throws", …)
 */

/** The number of fuzz runs of one entry point: 100,000 in CI, `local` otherwise (or `FUZZ_RUNS`). */
export const runs = (local = 2_000): number => Number(process.env["FUZZ_RUNS"] ?? (process.env["CI"] ? 100_000 : local))

/** A test time limit that fits `runs()` (15 minutes in CI, where 100,000 inputs run; 2 minutes otherwise). */
export const timeoutMillis = (): number => (process.env["CI"] || process.env["FUZZ_RUNS"] ? 900_000 : 120_000)

const whitespace = fc.constantFrom(" ", "\t", "\n", "\r\n", "\u00a0")
const openers = fc.constantFrom("(", "[", "{", "\\{", "\\left(", "\\boxed{", "\\frac{", "\\text{", "$", "\\sqrt{")
const closers = fc.constantFrom(")", "]", "}", "\\}", "\\right)", "$")

/**
 * Random text with the adversarial families, spliced with `pieces` (format words such as "Step 1:" or
 * "\\boxed{"). Runs are at most `maxRun` characters (default 600), so a fuzz run stays fast; the benchmarks
 * take the families to 100,000 characters.
 */
export const text = (pieces: ReadonlyArray<string>, maxRun = 600): fc.Arbitrary<string> => {
  const piece = pieces.length === 0 ? fc.string({ maxLength: 6 }) : fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 }))
  const run = fc.integer({ min: 1, max: maxRun })
  const families: ReadonlyArray<fc.Arbitrary<string>> = [
    // Long whitespace runs between pieces.
    fc.tuple(piece, whitespace, run, piece).map(([before, space, count, after]) => before + space.repeat(count) + after),
    // Deep nesting, closed or not.
    fc.tuple(openers, run, piece, fc.boolean(), closers).map(([open, depth, inner, closed, close]) => open.repeat(depth) + inner + (closed ? close.repeat(depth) : "")),
    // One piece repeated (openers, headers, digits, separators).
    fc.tuple(fc.oneof(piece, openers, fc.constantFrom("0", "1.", ", ", " and ", "=", ".")), fc.integer({ min: 1, max: Math.max(1, Math.floor(maxRun / 4)) })).map(
      ([repeated, count]) => repeated.repeat(count)
    ),
    // Pieces and noise, shuffled together.
    fc.array(fc.oneof(piece, whitespace, openers, closers), { maxLength: 40 }).map((parts) => parts.join(""))
  ]
  return fc.oneof(
    { arbitrary: fc.string({ maxLength: 200 }), weight: 3 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 60 }), weight: 1 },
    ...families.map((arbitrary) => ({ arbitrary, weight: 2 })),
    // Two families glued.
    { arbitrary: fc.tuple(fc.oneof(...families), fc.oneof(...families)).map(([a, b]) => a + b), weight: 2 }
  )
}
