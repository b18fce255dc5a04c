import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Redaction } from "@stepwise/core"
import { Credentials } from "@stepwise/testing-base"

const { embedded, surrounding } = Credentials

/** Realistic error texts without credentials, including words close to the scrubbed ones. */
const harmlessWords = [
  "HTTP", "401", "403", "500:", "Unauthorized", "Authorization", "required", "invalid", "token", "tokens", "key", "keys",
  "api", "API", "password", "secret", "Missing", "at", "choices", "max_tokens=1024", "Unexpected", "'<'", "in", "JSON",
  "position", "0", "https://api.example.com/v1/chat/completions", "http://127.0.0.1:8000/v1", "user@example.com",
  "risk-averse", "task-12", "sk-", "hf_", "hf_hub", "tasks-1234567890abcdefghijkl", "{\"error\":", "\"Invalid", "key\"}",
  "?model=x", "&stream=true", "key:", "token:", "ghp", "AKIA", "eyJ", "Basic", "usage"
] as const
const harmless = fc.array(fc.constantFrom(...harmlessWords), { maxLength: 30 }).map((words) => words.join(" "))

describe("Redaction.scrub", () => {
  property.prop([embedded], { numRuns: 2000 })("removes every generated secret embedded in any text", ({ text, secrets }) => {
    const scrubbed = Redaction.scrub(text)
    for (const secret of secrets) expect(scrubbed).not.toContain(secret)
    expect(scrubbed).toContain(Redaction.marker)
  })

  property.prop([surrounding], { numRuns: 2000 })("leaves text without credentials unchanged", (text) => {
    expect(Redaction.scrub(text)).toBe(text)
  })

  property.prop([harmless])("leaves error texts with credential-like words but no credential unchanged", (text) => {
    expect(Redaction.scrub(text)).toBe(text)
  })

  property.prop([fc.oneof(embedded.map((one) => one.text), surrounding, harmless)])("scrubbing twice is the same as once", (text) => {
    const once = Redaction.scrub(text)
    expect(Redaction.scrub(once)).toBe(once)
  })

  property.prop([
    surrounding,
    fc.string({ minLength: 4, maxLength: 40 }).filter((secret) => !/[[\]]/.test(secret) && !Redaction.marker.includes(secret)),
    surrounding,
    fc.boolean()
  ])("removes a known secret wherever it appears, as written or URL-encoded", (before, secret, after, encoded) => {
    const written = encoded ? encodeURIComponent(secret) : secret
    const scrubbed = Redaction.scrub(`${before}${written}${after}${written}`, [secret])
    expect(scrubbed).not.toContain(written)
  })

  it.each([
    ["HTTP 401: header Authorization: Bearer hf_abcdefghijklmnopqrstuvwxyz012345 rejected", "HTTP 401: header Authorization: Bearer [redacted] rejected"],
    ['{"headers":{"Authorization":"Bearer abc.def-123","Accept":"*/*"}}', '{"headers":{"Authorization":"[redacted]","Accept":"*/*"}}'],
    ["GET https://me:hunter2secret@host/v1?api_key=abc123xyz&stream=true", "GET https://[redacted]@host/v1?api_key=[redacted]&stream=true"],
    ["invalid key sk-proj-abcdefghijklmnopqrstuvwxyz0123 (check your settings)", "invalid key [redacted] (check your settings)"],
    ["x-api-key: 0123456789abcdef", "x-api-key: [redacted]"],
    ['{"password": "correct horse battery staple"}', '{"password": "[redacted]"}']
  ])("scrubs %j", (text, expected) => {
    expect(Redaction.scrub(text)).toBe(expected)
  })

  it.each([
    "Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
    "Missing key at choices",
    "Authorization required",
    "the bearer of news",
    "max_tokens=1024 exceeds the context",
    "https://api.example.com/v1/chat/completions?model=meta-llama/Llama-3.1-8B",
    "contact user@example.com",
    "sk-learn",
    "Incorrect API key provided: sk-proj-********abcd"
  ])("leaves %j unchanged", (text) => {
    expect(Redaction.scrub(text)).toBe(text)
  })
})
