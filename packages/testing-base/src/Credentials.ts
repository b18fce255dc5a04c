import fc from "fast-check"

/**
 * Generated credentials as servers echo them (headers, bearer tokens, key shapes, credential fields, query
 * parameters, URL user information), embedded in arbitrary text: for property tests that a text which reaches a
 * result or a terminal never carries a secret. Each value lists the secret parts that must not survive.
 */

/** A string of `minLength..maxLength` characters drawn from `characters`. */
const over = (characters: string, minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...characters), minLength, maxLength })

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
const alphanumeric = `${letters}0123456789`
const upperAlphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
/** RFC 6750 `b64token` characters. */
const tokenCharacters = `${alphanumeric}-._~+/`

/** A name in random letter case. */
const anyCase = (name: string) =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    [...name].map((character, index) => (upper[index] ? character.toUpperCase() : character.toLowerCase())).join("")
  )

/** A credential as it appears in a server's text, and the parts of it that must not survive scrubbing. */
export interface Embedded {
  readonly text: string
  readonly secrets: ReadonlyArray<string>
}

/** A secret token that cannot be mistaken for the rest of the text: 16 or more characters, starting alphanumeric. */
const token = fc.tuple(over(alphanumeric, 1, 1), over(tokenCharacters, 15, 63)).map(([first, rest]) => first + rest)

const bearer: fc.Arbitrary<Embedded> = fc
  .tuple(anyCase("bearer"), fc.constantFrom(" ", "  ", "\t"), token, fc.constantFrom("", "=", "=="))
  .map(([scheme, space, value, padding]) => ({ text: `${scheme}${space}${value}${padding}`, secrets: [value] }))

const headerNames = ["authorization", "proxy-authorization", "x-api-key", "api-key", "x-auth-token"] as const
const headerSchemes = ["Bearer ", "Basic ", "Token ", "ApiKey ", "Digest ", ""] as const

const header: fc.Arbitrary<Embedded> = fc
  .tuple(
    fc.constantFrom(...headerNames).chain(anyCase),
    fc.constantFrom(...headerSchemes),
    token,
    fc.constantFrom("plain", "json", "escaped-json", "single-quoted")
  )
  .map(([name, scheme, value, form]) => {
    const text =
      form === "plain"
        ? `${name}: ${scheme}${value}`
        : form === "json"
          ? `"${name}": "${scheme}${value}"`
          : form === "escaped-json"
            ? `\\"${name}\\":\\"${scheme}${value}\\"`
            : `'${name}': '${scheme}${value}'`
    return { text, secrets: [value] }
  })

/** Well-known key shapes, at realistic lengths. */
const key: fc.Arbitrary<Embedded> = fc
  .oneof(
    over(alphanumeric, 34, 34).map((rest) => `hf_${rest}`),
    over(alphanumeric, 34, 34).map((rest) => `api_org_${rest}`),
    fc.tuple(fc.constantFrom("", "proj-", "ant-api03-", "svcacct-"), over(`${alphanumeric}_-`, 20, 120)).map(([kind, rest]) => `sk-${kind}${rest}`),
    fc.tuple(fc.constantFrom("p", "o", "u", "s", "r"), over(alphanumeric, 36, 36)).map(([kind, rest]) => `gh${kind}_${rest}`),
    over(`${alphanumeric}_`, 60, 90).map((rest) => `github_pat_${rest}`),
    over(`${alphanumeric}_-`, 20, 20).map((rest) => `glpat-${rest}`),
    fc.tuple(fc.constantFrom("b", "p", "a"), over(`${alphanumeric}-`, 20, 60)).map(([kind, rest]) => `xox${kind}-${rest}`),
    over(upperAlphanumeric, 16, 16).map((rest) => `AKIA${rest}`),
    over(`${alphanumeric}_-`, 35, 35).map((rest) => `AIza${rest}`),
    over(alphanumeric, 37, 37).map((rest) => `r8_${rest}`),
    fc
      .tuple(over(`${alphanumeric}_-`, 10, 40), over(`${alphanumeric}_-`, 10, 80), over(`${alphanumeric}_-`, 20, 60))
      .map(([head, body, signature]) => `eyJ${head}.eyJ${body}.${signature}`)
  )
  .map((value) => ({ text: value, secrets: [value] }))

const fieldNames = [
  "api_key", "api-key", "apikey", "apiKey", "access_token", "accessToken", "auth_token", "refresh_token", "id_token",
  "client_secret", "secret_key", "private_key", "hf_token", "HF_TOKEN", "password", "passwd"
] as const

const field: fc.Arbitrary<Embedded> = fc
  .tuple(
    fc.constantFrom(...fieldNames),
    fc.constantFrom("=", ": ", ":", " = "),
    token,
    fc.constantFrom("bare", "json", "json-with-spaces", "escaped-json")
  )
  .map(([name, separator, value, form]) => {
    if (form === "bare") return { text: `${name}${separator}${value}`, secrets: [value] }
    if (form === "escaped-json") return { text: `{\\"${name}\\": \\"${value}\\"}`, secrets: [value] }
    const words = form === "json" ? value : `${value.slice(0, 8)} ${value.slice(8)}`
    return { text: `{"${name}": "${words}"}`, secrets: form === "json" ? [value] : [value.slice(0, 8), value.slice(8)] }
  })

const query: fc.Arbitrary<Embedded> = fc
  .tuple(
    fc.constantFrom(...fieldNames, "token", "key", "sig", "signature", "secret", "auth", "code"),
    over(`${alphanumeric}%._~-`, 16, 48),
    fc.constantFrom("?", "&")
  )
  .map(([name, value, opener]) => ({
    text: `https://api.example.com/v1/models${opener === "?" ? "" : "?model=m"}${opener}${name}=${value}&stream=false`,
    secrets: [value]
  }))

const userInfo: fc.Arbitrary<Embedded> = fc
  .tuple(
    fc.constantFrom("https", "http", "postgres", "git+ssh"),
    over(`${alphanumeric}._-`, 1, 12),
    over(`${alphanumeric}._~!$&'()*+,;=%-`, 12, 40),
    fc.boolean()
  )
  .map(([scheme, user, password, withUser]) =>
    withUser
      ? { text: `${scheme}://${user}:${password}@host.example:8080/v1`, secrets: [password] }
      : { text: `${scheme}://${password}@host.example/v1`, secrets: [password] }
  )

/** Any one credential form. */
export const credential: fc.Arbitrary<Embedded> = fc.oneof(bearer, header, key, field, query, userInfo)

/** Whatever text surrounds a credential: any characters, separated from it by a space, a newline or punctuation. */
export const surrounding: fc.Arbitrary<string> = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }))
const separator = fc.constantFrom(" ", "\n", "\t", "\r\n", " (", ") ", ", ", "; ", " — ")

/** One to three credentials in arbitrary surrounding text. */
export const embedded: fc.Arbitrary<Embedded> = fc
  .tuple(surrounding, separator, fc.array(credential, { minLength: 1, maxLength: 3 }), separator, surrounding)
  .map(([before, first, credentials, last, after]) => ({
    text: `${before}${first}${credentials.map((one) => one.text).join(first)}${last}${after}`,
    secrets: credentials.flatMap((one) => one.secrets)
  }))
