import { createHash, timingSafeEqual } from "node:crypto"
import type { IncomingHttpHeaders } from "node:http"
import { Result } from "effect"
import { ApiError } from "./ApiError.js"

/**
 * The server's API keys, each known by a label (`key-1`, `key-2`, … in the order given) that names its budget
 * and never reveals it. With no keys every request is `local`; with keys a request must send one as
 * `Authorization: Bearer <key>` (what OpenAI and Hugging Face clients send as their API key or token).
 */
export interface Keys {
  readonly labels: ReadonlyArray<string>
  /** The keys themselves, for scrubbing them from anything written. */
  readonly secrets: ReadonlyArray<string>
  readonly digests: ReadonlyArray<Buffer>
}

/** The label of every request when the server has no keys. */
export const localLabel = "local"

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

/** Keys from their texts (empty ones dropped). */
export const make = (keys: ReadonlyArray<string>): Keys => {
  const secrets = keys.map((key) => key.trim()).filter((key) => key !== "")
  return {
    labels: secrets.length === 0 ? [localLabel] : secrets.map((_, index) => `key-${index + 1}`),
    secrets,
    digests: secrets.map(digest)
  }
}

/** True when the server checks keys. */
export const required = (keys: Keys): boolean => keys.secrets.length > 0

/**
 * The label of a request's key, or a 401. Keys are compared by their SHA-256 digests in constant time, so neither
 * a key's length nor its prefix can be learnt from timings.
 */
export const check = (keys: Keys, headers: IncomingHttpHeaders): Result.Result<string, ApiError> => {
  if (!required(keys)) return Result.succeed(localLabel)
  const header = headers["authorization"] ?? ""
  const match = /^Bearer\s+(.+)$/i.exec(header.trim())
  const refused = (detail: string) => Result.fail(new ApiError({ status: 401, type: "authentication_error", code: "invalid_api_key", detail }))
  // Worded so the credential scrubber, which every error message passes, leaves it whole.
  if (match === null) return refused("this server needs an API key: send it in the Authorization header, after the word Bearer and a space (an OpenAI client does so with its apiKey)")
  const given = digest((match[1] ?? "").trim())
  let found: number | undefined
  keys.digests.forEach((known, index) => {
    if (timingSafeEqual(known, given) && found === undefined) found = index
  })
  return found === undefined ? refused("the API key is not valid") : Result.succeed(keys.labels[found] ?? localLabel)
}
