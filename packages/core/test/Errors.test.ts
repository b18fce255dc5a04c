import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { BadResponse, InvalidRequest, RateLimited, Unavailable, VerifierError } from "@stepwise/core"
import { Credentials } from "@stepwise/testing-base"

/** Each error class whose message carries a server's text, built around that text. */
const carriers = {
  RateLimited: (detail: string) => new RateLimited({ backend: "server", retryAfterMillis: undefined, detail }),
  BadResponse: (detail: string) => new BadResponse({ backend: "server", detail }),
  Unavailable: (detail: string) => new Unavailable({ backend: "server", detail, status: 503 }),
  InvalidRequest: (detail: string) => new InvalidRequest({ backend: "server", detail, field: "messages" }),
  VerifierError: (detail: string) => new VerifierError({ verifier: "pooling", detail })
} as const

describe("error messages that carry a server's text", () => {
  property.prop([fc.constantFrom(...Object.keys(carriers)), Credentials.embedded])(
    "never show a credential the server echoed",
    (name, { text, secrets }) => {
      const message = carriers[name as keyof typeof carriers](text).message
      for (const secret of secrets) expect(message).not.toContain(secret)
    }
  )

  property.prop([fc.constantFrom(...Object.keys(carriers)), Credentials.surrounding])("keep a text without credentials whole", (name, text) => {
    expect(carriers[name as keyof typeof carriers](text).message).toContain(text)
  })
})
