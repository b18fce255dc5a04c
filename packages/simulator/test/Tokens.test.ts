import { fc, test } from "@fast-check/vitest"
import { encode } from "gpt-tokenizer/encoding/cl100k_base"
import { describe, expect, it } from "vitest"
import { Tokens } from "../src/index.js"

const runs = process.env["CI"] ? 300 : 100
const word = fc.constantFrom("Mia", " gets", " 12", " more", " marbles", ",", " so", " 40 * 3 = 120", ".", " Step", "## Step 2:", "\n", "\n\n", " ", "$\\boxed{52}$.")

describe("Tokens", () => {
  test.prop([fc.array(word, { maxLength: 30 })], { numRuns: runs })("counts a segment exactly as the tokenizer does", (words) => {
    const text = words.join("")
    expect(Tokens.count(text)).toBe(encode(text).length)
  })

  test.prop([fc.array(fc.array(word, { minLength: 1, maxLength: 10 }).map((words) => words.join("").trim()).filter((text) => text.length > 0), { minLength: 1, maxLength: 6 })], { numRuns: runs })(
    "counts blank-line-separated steps exactly, whatever their first and last characters",
    (steps) => {
      const text = steps.join("\n\n")
      expect(Tokens.count(text)).toBe(encode(text).length)
      expect(Tokens.count(`${text}\n\n`)).toBe(encode(`${text}\n\n`).length)
    }
  )

  test.prop(
    [fc.string({ minLength: 1, maxLength: 3 }).filter((piece) => !/\s/.test(piece)), fc.integer({ min: 101, max: 5000 }), fc.constantFrom("", "What is ", "Count: ")],
    { numRuns: 30 }
  )("counts a run of over 100 characters without a space in 100-character chunks (linear: a 120,000-character word held the server 7 s), ids alike", (unit, length, before) => {
    const run = `${unit.repeat(Math.ceil(length / unit.length)).slice(0, length)}?`
    let expected = before === "" ? 0 : encode(before).length
    for (let start = 0; start < run.length; start += 100) expected += encode(run.slice(start, start + 100)).length
    expect(Tokens.count(`${before}${run}`)).toBe(expected)
    expect(Tokens.ids(`${before}${run}`)).toHaveLength(expected)
  })

  it("counts chat prompts with template tokens, special markers as single tokens", () => {
    const messages = [{ role: "user" as const, content: "What is 2 + 2?" }]
    expect(Tokens.prompt(messages, undefined)).toBe(Tokens.count("What is 2 + 2?") + Tokens.perMessage + Tokens.assistantOpening)
    expect(Tokens.prompt(messages, "## Step 1:")).toBe(Tokens.prompt(messages, undefined) + Tokens.count("## Step 1:"))
    expect(Tokens.count("<|im_start|>")).toBe(1)
  })

  it("truncates to a token limit and spells text back from pieces", () => {
    const text = "## Step 1: Mia gets 12 more marbles, so 40 + 12 = 52."
    expect(Tokens.pieces(text).join("")).toBe(text)
    expect(Tokens.count(Tokens.truncate(text, 5))).toBe(5)
    expect(text.startsWith(Tokens.truncate(text, 5))).toBe(true)
  })
})
