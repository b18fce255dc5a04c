import type { Options } from "@stepwise/core"
import { Registry } from "@stepwise/core"

/**
 * Text of registered kinds and their options, generated from the registries' schemas: the command line's help
 * and `stepwise list` show these, so every kind and default a registry holds is documented where it is used.
 */

const show = (value: unknown): string => (value === undefined ? "—" : JSON.stringify(value))

/** What is shown of a registered kind, whatever its axis: its name, description and options schema. */
export interface Described {
  readonly kind: string
  readonly description: string
  readonly options: Options.Schema
}

/**
 * One line per kind: `kind: option=default, …` (options without a default are listed by name).
 *
 * @example
 * Describe.defaultsLine(AStar.entry) // "a-star: expansions=4, pathCost=\"depth\", …"
 */
export const defaultsLine = (entry: Described): string =>
  `${entry.kind}: ${Registry.describeOptions(entry.options)
    .filter((option) => option.type !== "code")
    .map((option) => (option.default === undefined ? option.name : `${option.name}=${show(option.default)}`))
    .join(", ")}`

/** A kind in full: its description, then each option with type, default and description, aligned. */
export const entryText = (entry: Described): string => {
  const options = Registry.describeOptions(entry.options)
  const width = Math.max(0, ...options.map((option) => option.name.length))
  const typeWidth = Math.max(0, ...options.map((option) => option.type.length))
  const lines = options.map(
    (option) =>
      `    ${option.name.padEnd(width)}  ${option.type.padEnd(typeWidth)}  ${option.required ? "required" : `default ${show(option.default)}`}${option.description === undefined ? "" : `  ${option.description}`}`
  )
  return [`  ${entry.kind} — ${entry.description}`, ...lines].join("\n")
}

/** Every kind of a registry, under a heading naming the axis. */
export const registryText = (title: string, registry: { readonly kinds: ReadonlyArray<string>; readonly entries: Readonly<Record<string, Described>> }): string =>
  [`${title}:`, ...registry.kinds.map((kind) => entryText(registry.entries[kind]!))].join("\n\n")
