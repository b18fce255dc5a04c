import { Effect } from "effect"
import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import * as IntegerFlag from "../src/IntegerFlag.js"

const settings = { command: "test", minimum: -5, maximum: 300 }
const parsed = (text: string) => Effect.runSync(Effect.result(IntegerFlag.parse("count", text, settings)))

describe("IntegerFlag.parse", () => {
  property.prop([fc.integer({ min: settings.minimum, max: settings.maximum }), fc.constantFrom("plain", "spaced", "signed", "zero-padded")])(
    "accepts every integer in the range, as decimal digits",
    (value, form) => {
      const digits = String(Math.abs(value))
      const sign = value < 0 ? "-" : form === "signed" ? "+" : ""
      const text = form === "spaced" ? ` ${value} ` : form === "zero-padded" ? `${sign}00${digits}` : `${sign}${digits}`
      const result = parsed(text)
      expect(result).toMatchObject({ _tag: "Success", success: value })
    }
  )

  property.prop([
    fc.oneof(
      fc.string(),
      fc.double().map(String),
      fc.integer().filter((value) => value < settings.minimum || value > settings.maximum).map(String),
      fc.bigInt().filter((value) => value > 2n ** 53n || value < -(2n ** 53n)).map(String),
      fc.constantFrom("NaN", "Infinity", "-Infinity", "1e2", "0x10", "1.0", "1_000", "", " ", "--5", "12abc", "١٢")
    )
  ])("refuses everything else, with one line naming the flag, the range and the value", (text) => {
    const trimmed = text.trim()
    fc.pre(!(/^[+-]?\d+$/.test(trimmed) && Number(trimmed) >= settings.minimum && Number(trimmed) <= settings.maximum))
    const result = parsed(text)
    expect(result._tag).toBe("Failure")
    if (result._tag === "Failure") {
      expect(result.failure).toMatchObject({ _tag: "InvalidOptions", subject: "test", field: "--count" })
      expect(result.failure.message).toContain('test: option "--count" must be an integer from -5 to 300, got ')
      expect(result.failure.message).not.toContain("\n")
    }
  })
})
