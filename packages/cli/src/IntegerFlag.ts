import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { InvalidOptions } from "@stepwise/core"

/**
 * Integer flags checked by the command, not by the command-line parser: a bad value (`abc`, `NaN`, `1.5`, `0` where
 * the least is 1) fails the command with one `InvalidOptions` line naming the flag and its allowed range, instead of
 * the parser's full help page. The flag reads as text; its value is an Effect the command's handler runs first.
 *
 * @example
 * const concurrency = IntegerFlag.optional("concurrency", { description: "Problems run at once", minimum: 1, maximum: 256 })
 * // in the handler: const chosen = yield* flags.concurrency  // Option<number>, or the failure "… must be an integer from 1 to 256, got "0""
 */

/** The allowed range of an integer flag, both ends included. */
export interface Range {
  readonly minimum: number
  readonly maximum: number
}

/** What an integer flag is: its description for the help, the command it belongs to, and its range. */
export interface Settings extends Range {
  readonly description: string
  /** The command named in the failure (`solve`, `bench`, …). */
  readonly command: string
}

/** The largest integer a flag may take when it has no smaller bound: 2^53 − 1. */
export const largest = Number.MAX_SAFE_INTEGER

/** The range in words: `from 1 to 256`. */
export const rangeText = (range: Range): string =>
  `from ${range.minimum} to ${range.maximum}`

/** Shows a user's value in a failure: quoted, control characters escaped, long values cut. */
const shown = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)

/**
 * Reads one flag value: decimal digits with an optional sign (surrounding spaces allowed), within the range.
 * Anything else — `NaN`, `1e3`, `1.5`, `0x10`, an empty value, a number past the range — fails naming the flag.
 */
export const parse = (name: string, text: string, settings: Range & { readonly command: string }): Effect.Effect<number, InvalidOptions> => {
  const trimmed = text.trim()
  const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN
  return Number.isSafeInteger(value) && value >= settings.minimum && value <= settings.maximum
    ? Effect.succeed(value === 0 ? 0 : value)
    : Effect.fail(
        new InvalidOptions({ subject: settings.command, field: `--${name}`, detail: `must be an integer ${rangeText(settings)}, got ${shown(text)}` })
      )
}

const described = (name: string, settings: Settings, fallback?: number) =>
  Flag.String(name).pipe(
    Flag.withMetavar("integer"),
    Flag.withDescription(`${settings.description} (an integer ${rangeText(settings)}${fallback === undefined ? "" : `; default ${fallback}`})`)
  )

/** An integer flag with a default: the handler's `yield* flags.x` gives the checked number. */
export const withDefault = (name: string, settings: Settings & { readonly fallback: number }): Flag.Flag<Effect.Effect<number, InvalidOptions>> =>
  described(name, settings, settings.fallback).pipe(
    Flag.optional,
    Flag.map(Option.match({ onNone: () => Effect.succeed(settings.fallback), onSome: (text) => parse(name, text, settings) }))
  )

/** An optional integer flag: the handler's `yield* flags.x` gives `Option.some(number)` when given, checked. */
export const optional = (name: string, settings: Settings): Flag.Flag<Effect.Effect<Option.Option<number>, InvalidOptions>> =>
  described(name, settings).pipe(
    Flag.optional,
    Flag.map(Option.match({ onNone: () => Effect.succeedNone, onSome: (text) => Effect.asSome(parse(name, text, settings)) }))
  )
