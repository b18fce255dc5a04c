import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { Redaction } from "@stepwise/core"
import { Auth } from "../src/index.js"

describe("Auth", () => {
  it("labels keys in order and accepts each as a bearer token; refuses missing, wrong and prefix keys", () => {
    const keys = Auth.make(["sk-one-abc", " sk-two-def ", ""])
    expect(keys.labels).toEqual(["key-1", "key-2"])
    expect(Auth.check(keys, { authorization: "Bearer sk-two-def" })).toEqual(Result.succeed("key-2"))
    expect(Auth.check(keys, { authorization: "bearer   sk-one-abc" })).toEqual(Result.succeed("key-1"))
    for (const header of [undefined, "Bearer", "Bearer sk-one-ab", "Bearer sk-one-abcd", "Basic sk-one-abc"])
      expect(Result.isFailure(Auth.check(keys, header === undefined ? {} : { authorization: header })), String(header)).toBe(true)
  })
  it("says how to send a key in words the credential scrubber leaves intact", () => {
    const missing = Auth.check(Auth.make(["sk-one-abc"]), {})
    if (!Result.isFailure(missing)) throw new Error("a request without a key was let in")
    expect(missing.failure.status).toBe(401)
    expect(missing.failure.detail).toContain("Authorization")
    expect(missing.failure.detail).toContain("Bearer")
    expect(missing.failure.message).toBe(missing.failure.detail)
    expect(Redaction.scrub(missing.failure.detail)).toBe(missing.failure.detail)
  })

  it("lets every request in as local without keys", () => {
    expect(Auth.check(Auth.make([]), {})).toEqual(Result.succeed("local"))
  })
})
