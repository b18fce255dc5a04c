/**
 * Credential scrubbing for text that came from outside: a server's error body, an HTTP client's exception, a URL.
 * Every such text passes `scrub` before it is stored in a result or printed, so a server that echoes the request's
 * `Authorization` header or a URL with a key in it does not leak the key into results files, reports or terminals.
 *
 * What is recognised (each replaced by `[redacted]`, the rest of the text kept as it was):
 * - header-style credentials: `Authorization: Bearer …`, `Proxy-Authorization`, `X-Api-Key`, `Api-Key`,
 *   `X-Auth-Token` (the scheme word is kept, the credential removed), also as JSON keys (`"authorization": "…"`);
 * - `Bearer <token>` anywhere (tokens of 8 or more characters);
 * - well-known key shapes: Hugging Face (`hf_…`, `api_org_…`), OpenAI/Anthropic (`sk-…`), GitHub (`ghp_…`,
 *   `github_pat_…`), GitLab (`glpat-…`), Slack (`xox…-`), AWS (`AKIA…`), Google (`AIza…`), Replicate (`r8_…`),
 *   JSON Web Tokens (`eyJ….eyJ….…`);
 * - credential-named fields and query parameters: `api_key=`, `apikey`, `access_token`, `password`, `client_secret`,
 *   `hf_token`, … in `name=value`, `name: value` and `"name": "value"` forms, and `?token=` / `&key=` / `&sig=` in URLs;
 * - user information in URLs: `https://user:password@host` becomes `https://[redacted]@host`;
 * - any literal secret the caller knows (`scrub(text, [token])`), as written and URL-encoded.
 *
 * Every pattern is matched in time linear in the text (each starts only at a word boundary and scans one run).
 *
 * @example
 * Redaction.scrub("HTTP 401: bad header Authorization: Bearer hf_abcdefghijklmnopqrstuvwxyz0123")
 * // "HTTP 401: bad header Authorization: Bearer [redacted]"
 */

/** What a removed credential is replaced with. */
export const marker = "[redacted]"

/** Characters of a bearer token (RFC 6750 `b64token`). */
const tokenCharacter = "[A-Za-z0-9\\-._~+/]"

/**
 * A value after a credential name: the marker of an earlier scrub, a quoted value (up to its closing quote, escaped
 * or not, or the line's end; the groups `escape`, `quote`), or a bare value up to a space or one of `stops`.
 */
const valueAfter = (stops: string) =>
  `(?:\\[redacted\\]|(?<escape>\\\\?)(?<quote>["'])(?:(?!\\\\?\\k<quote>)[^\\n])*|[^\\s"'\\\\${stops}]+)`

/** Authorization schemes, kept before a removed credential. */
const schemes = "(?:bearer|basic|token|digest|negotiate|apikey|key)"

/** Header names whose value is a credential; the scheme word (`Bearer`, `Basic`, …) is kept. */
const headerPattern = new RegExp(
  "(?<![A-Za-z0-9_-])(?<name>(?:proxy-)?authorization|x-api-key|api-key|x-auth-token)(?<separator>\\\\?[\"']?[ \\t]*[:=][ \\t]*)" +
    `(?<scheme>${schemes}[ \\t]+)?${valueAfter(",;}\\[\\])<>")}`,
  "gi"
)

/** The named groups of the header and field patterns. */
interface Groups {
  readonly name: string
  readonly separator?: string | undefined
  readonly scheme?: string | undefined
  readonly escape?: string | undefined
  readonly quote?: string | undefined
}

/** A bearer token anywhere in the text. */
const bearerPattern = new RegExp(`(?<![A-Za-z0-9_-])(bearer[ \\t]+)${tokenCharacter}{8,}=*`, "gi")

/** Well-known key shapes, matched only where the key starts (not inside a longer word). */
const keyPattern = new RegExp(
  "(?<![A-Za-z0-9_-])(?:" +
    [
      "hf_[A-Za-z0-9]{20,}",
      "api_org_[A-Za-z0-9]{20,}",
      "sk-[A-Za-z0-9_-]{20,}",
      "gh[pousr]_[A-Za-z0-9]{20,}",
      "github_pat_[A-Za-z0-9_]{20,}",
      "glpat-[A-Za-z0-9_-]{20,}",
      "xox[abposr]-[A-Za-z0-9-]{10,}",
      "AKIA[0-9A-Z]{16}",
      "AIza[0-9A-Za-z_-]{35}",
      "r8_[A-Za-z0-9]{20,}",
      "eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*"
    ].join("|") +
    ")",
  "g"
)

/** Field names whose value is a credential, in `name=value`, `name: value` and JSON forms. */
const fieldPattern = new RegExp(
  "(?<![A-Za-z0-9_-])(?<name>(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|refresh[_-]?token|id[_-]?token|" +
    "client[_-]?secret|secret[_-]?key|private[_-]?key|hf[_-]?token|password|passwd)\\\\?[\"']?[ \\t]*[:=][ \\t]*)" +
    `(?<scheme>${schemes}[ \\t]+)?` +
    valueAfter("&#,;}\\[\\])<>"),
  "gi"
)

/** Short credential-named URL query parameters (`?token=`, `&key=`, `&sig=`, …), only in a query string. */
const queryPattern = /([?&;](?:token|key|secret|sig|signature|auth|code)=)[^\s&#"'<>]+/gi

/** User information in a URL (`scheme://user:password@host`); the scheme starts only at a word's start. */
const userInfoPattern = /(?<![A-Za-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi

/** The replacement of a value matched by `valueAfter`: the marker, inside the value's quotes when it had them. */
const redactedValue = (groups: { readonly escape?: string | undefined; readonly quote?: string | undefined }): string =>
  groups.quote === undefined ? marker : `${groups.escape ?? ""}${groups.quote}${marker}`

/**
 * Removes credentials from a text (see the module's list), plus every literal `known` secret of 4 or more
 * characters. Text without credentials comes back unchanged; scrubbing twice is the same as once.
 *
 * @example
 * Redaction.scrub("GET https://me:pw@host/v1?api_key=abc123 failed") // "GET https://[redacted]@host/v1?api_key=[redacted] failed"
 */
export const scrub = (text: string, known: ReadonlyArray<string> = []): string => {
  let result = text
  for (const secret of known)
    if (secret.length >= 4)
      for (const form of new Set([secret, encodeURIComponent(secret)])) result = result.split(form).join(marker)
  return result
    .replace(userInfoPattern, (_match, scheme: string) => `${scheme}${marker}@`)
    .replace(headerPattern, (...match) => {
      const groups = match.at(-1) as Groups
      return `${groups.name}${groups.separator}${groups.scheme ?? ""}${redactedValue(groups)}`
    })
    .replace(fieldPattern, (...match) => {
      const groups = match.at(-1) as Groups
      return `${groups.name}${groups.scheme ?? ""}${redactedValue(groups)}`
    })
    .replace(queryPattern, (_match, name: string) => `${name}${marker}`)
    .replace(bearerPattern, (_match, scheme: string) => `${scheme}${marker}`)
    .replace(keyPattern, marker)
}
