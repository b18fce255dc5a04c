import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { ChainParser } from "@stepwise/verifiers"
import { Adversarial } from "@stepwise/testing"
import { runs } from "./support/Fixtures.js"

const parsed = (result: ChainParser.Result): ChainParser.Parsed => {
  if (result._tag !== "Parsed") throw new Error(`expected Parsed, got ${result._tag}`)
  return result
}

describe("ChainParser on realistic verification chains", () => {
  it("reads a complete chain, one judgement per step", () => {
    const chain = `
Step 1: The solution adds 2 and 3 to get 5. This is correct. \\boxed{correct}

Step 2: It multiplies 5 by 4 and gets 20. 5 × 4 = 20, so this is right. \\boxed{correct}

Step 3: 20 - 6 is 14, but the solution writes 15. \\boxed{incorrect}
`
    const result = parsed(ChainParser.parse(chain, 3))
    expect(result.judgements).toEqual(["correct", "correct", "incorrect"])
    expect(result.missing).toEqual([])
    expect(result.outOfOrder).toBe(false)
    expect(result.numbered).toBe(true)
  })

  it("reports the missing steps of a truncated chain", () => {
    const chain = "\n**Step 1:** 2 + 3 = 5 is correct. \\boxed{correct}\n\n**Step 2:** Let's check 5 * 4. We have 5 * 4 = 2"
    const result = parsed(ChainParser.parse(chain, 3))
    expect(result.judgements).toEqual(["correct", undefined, undefined])
    expect(result.missing).toEqual([2, 3])
  })

  it("keeps the later judgement of a repeated step (a double check revises)", () => {
    const chain =
      "Step 1: fine \\boxed{correct}\nStep 2: 5 * 4 = 20 \\boxed{correct}\nLet me double check\nStep 2: wait, the solution wrote 21. \\boxed{incorrect}"
    const result = parsed(ChainParser.parse(chain, 2))
    expect(result.judgements).toEqual(["correct", "incorrect"])
    expect(result.repeated).toEqual([2])
    expect(result.outOfOrder).toBe(false)
  })

  it("assigns steps judged out of order by their number", () => {
    const chain = "Step 2: the product is right \\boxed{correct}\nStep 1: the sum is wrong \\boxed{incorrect}\nStep 3: \\boxed{correct}"
    const result = parsed(ChainParser.parse(chain, 3))
    expect(result.judgements).toEqual(["incorrect", "correct", "correct"])
    expect(result.outOfOrder).toBe(true)
  })

  it("ignores steps beyond the solution", () => {
    const result = parsed(ChainParser.parse("Step 1: ok \\boxed{correct}\nStep 4: \\boxed{incorrect}", 2))
    expect(result.judgements).toEqual(["correct", undefined])
    expect(result.beyond).toEqual([4])
  })

  it("accepts \\boxed{\\text{...}} and any case, and the last box of a section", () => {
    const chain = "### Step 1\nFirst I thought \\boxed{Incorrect}, but no: \\boxed{\\text{Correct}}"
    expect(parsed(ChainParser.parse(chain, 1)).judgements).toEqual(["correct"])
  })

  it("takes unnumbered judgements in order", () => {
    const result = parsed(ChainParser.parse("The first is \\boxed{correct}. The second is \\boxed{incorrect}.", 2))
    expect(result.judgements).toEqual(["correct", "incorrect"])
    expect(result.numbered).toBe(false)
  })

  it("has no decision when the chain stops before it, and reads one written after the question", () => {
    expect(parsed(ChainParser.parse("Step 1: \\boxed{correct}", 1)).decision).toBeUndefined()
    const withDecision = parsed(ChainParser.parse("Step 1: \\boxed{correct}\nIs the solution correct? Yes", 1))
    expect(withDecision.decision).toBe("yes")
    const no = ChainParser.parse("Step 1: \\boxed{correct}\nis the solution correct? no. Step 2: \\boxed{correct}", 2)
    expect(no.decision).toBe("no")
    expect(parsed(no).judgements).toEqual(["correct", undefined])
  })

  it("says why a chain is unparsable", () => {
    expect(ChainParser.parse("   ", 2)).toEqual({ _tag: "Unparsable", reason: "empty", decision: undefined })
    expect(ChainParser.parse("Step 1: looks fine to me.\nStep 2: also fine.", 2)).toMatchObject({ _tag: "Unparsable", reason: "no-judgement" })
  })
})

describe("ChainParser on arbitrary input", () => {
  const pieces = fc.constantFrom(
    "Step 1:", "Step 2:", "**Step 3**", "\n", " ", "\\boxed{correct}", "\\boxed{incorrect}", "\\boxed{", "}", "Is the solution correct?",
    " yes", " no", "Let me double check", "\\text{", "Step 99:", "step 0:"
  )
  const text = fc.oneof(fc.string({ maxLength: 400 }), fc.array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 60 }).map((parts) => parts.join("")))
  property.prop([text, fc.integer({ min: -2, max: 12 })], { numRuns: runs(10_000, 500) })(
    "never throws and always returns a typed result of the right shape",
    (input, steps) => {
      const result = ChainParser.parse(input, steps)
      expect(["Parsed", "Unparsable"]).toContain(result._tag)
      if (result._tag === "Parsed") {
        expect(result.judgements.length).toBe(Math.max(0, steps))
        expect(result.judgements.some((judgement) => judgement !== undefined)).toBe(true)
        for (const step of result.missing) expect(result.judgements[step - 1]).toBeUndefined()
      }
    }
  )
})

describe("ChainParser on adversarial input", { timeout: Adversarial.timeoutMillis() }, () => {
  /** The former header pattern (cubic on whitespace runs), kept as the oracle on short chains. */
  const oracleHeaders = (chain: string) =>
    [...chain.matchAll(/(?:^|\n)[ \t]*[#*>_\-]*[ \t]*\**[ \t]*step[ \t]*(\d{1,9})/gi)].map((match) => ({
      index: match.index,
      end: match.index + match[0].length,
      number: Number(match[1])
    }))

  it("reads a Step line followed by 4,000 and 100,000 spaces (once 33.7 s at 4,000) as unjudged", () => {
    for (const spaces of [4_000, 100_000]) {
      expect(ChainParser.parse("Step 1: 2 + 2 = 4\n" + " ".repeat(spaces), 2)).toEqual({ _tag: "Unparsable", reason: "no-judgement", decision: undefined })
      const judged = parsed(ChainParser.parse("Step 1: 2 + 2 = 4\n" + " ".repeat(spaces) + "\\boxed{correct}\nStep 2:\t" + "\t".repeat(spaces) + "\\boxed{ incorrect " + " ".repeat(spaces), 2))
      expect(judged.judgements).toEqual(["correct", undefined])
    }
  })

  it("reads a long run after the decision question and after a judgement's word", () => {
    const result = parsed(ChainParser.parse("Step 1: \\boxed{correct" + " ".repeat(50_000) + "}\nIs the solution correct?" + " *".repeat(50_000) + " yes", 1))
    expect(result.judgements).toEqual(["correct"])
    // The decision is looked for in the 200 characters after the question only.
    expect(result.decision).toBeUndefined()
    expect(ChainParser.splitDecision("Is the solution correct? **\\boxed{ Yes}**").decision).toBe("yes")
  })

  const headerText = fc
    .array(fc.constantFrom("Step 1", "step 22", "STEP\t3", "## Step 4:", "> * Step 5", "__step 6", "- Step 7", "Step", "Step 1234567890", "\n", " ", "\t", "#", "*", "x", "\r\n"), {
      maxLength: 30
    })
    .map((parts) => parts.join(""))
  property.prop([headerText], { numRuns: runs(20_000, 2_000) })("finds the headers the former pattern found, and those with marks in any order", (chain) => {
    const found = ChainParser.headers(chain)
    const expected = oracleHeaders(chain)
    // Every header of the former pattern is found, at the same place with the same number.
    for (const header of expected) expect(found).toContainEqual(header)
    // Any extra header starts a line whose marks came in another order.
    for (const header of found) if (!expected.some((other) => other.index === header.index)) expect(chain.slice(header.index).trimStart()[0]).toMatch(/[#*>_\-]/)
  })

  property.prop([Adversarial.text(["Step 1:", "Step 2:", "**Step 3**", "\\boxed{correct}", "\\boxed{incorrect}", "\\text{", "Is the solution correct?", " yes", "Let me double check"]), fc.integer({ min: -2, max: 12 })], {
    numRuns: Adversarial.runs()
  })("never throws and returns a well-typed result on adversarial text", (input, steps) => {
    const result = ChainParser.parse(input, steps)
    expect(["Parsed", "Unparsable"]).toContain(result._tag)
    expect([undefined, "yes", "no"]).toContain(result.decision)
    if (result._tag === "Parsed") expect(result.judgements.length).toBe(Math.max(0, steps))
  })
})
