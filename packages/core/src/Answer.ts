/**
 * Final answers: finding them in a text (`\boxed{…}`), a light normalizer, and the equivalence contract votes
 * group answers by (`Equivalence`, `partition`). Every function here is linear in its input (one pass, an explicit
 * stack for braces, no backtracking regular expression), so no model output can stall a caller.
 */

/** One closed `\boxed{…}` (or `\fbox{…}`) of a text: its content and where the command starts and ends. */
export interface Box {
  readonly content: string
  /** Index of the backslash of `\boxed`. */
  readonly start: number
  /** Index just past the closing brace. */
  readonly end: number
}

const isSpace = (code: number): boolean => code === 32 || (code >= 9 && code <= 13) || code === 160

/** The index of the `{` that opens a box whose command starts at `at`, or -1 when `at` starts no box command. */
const boxOpening = (text: string, at: number): number => {
  let index: number
  if (text.startsWith("boxed", at + 1)) index = at + 6
  else if (text.startsWith("fbox", at + 1)) index = at + 5
  else return -1
  while (index < text.length && isSpace(text.charCodeAt(index))) index++
  return text[index] === "{" ? index : -1
}

/**
 * Every closed `\boxed{…}` and `\fbox{…}` of a text, in order of their start (a box nested in another is listed
 * after it), nested braces honoured; a box whose braces never close is left out. One pass over the text.
 *
 * @example
 * Answer.boxes("\\boxed{1} and \\boxed{2}").map((box) => box.content) // ["1", "2"]
 */
export const boxes = (text: string): ReadonlyArray<Box> => {
  // The open braces are counted; only the boxes' own braces are kept, with the count at which each opened, so
  // memory grows with the open boxes, not with every open brace.
  const open: Array<{ readonly start: number; readonly contentStart: number; readonly depth: number }> = []
  const found: Array<Box> = []
  let depth = 0
  let index = 0
  while (index < text.length) {
    const character = text[index]
    if (character === "\\") {
      const brace = boxOpening(text, index)
      if (brace >= 0) {
        open.push({ start: index, contentStart: brace + 1, depth })
        depth++
        index = brace + 1
        continue
      }
      // An escaped brace (`\{`) is still a brace for nesting, as the boxed content reads it.
      index++
      continue
    }
    if (character === "{") depth++
    else if (character === "}" && depth > 0) {
      depth--
      const top = open[open.length - 1]
      if (top !== undefined && top.depth === depth) {
        open.pop()
        found.push({ content: text.slice(top.contentStart, index), start: top.start, end: index + 1 })
      }
    }
    index++
  }
  return found.sort((a, b) => a.start - b.start)
}

/**
 * Finds the content of the last `\boxed{…}` (or `\fbox{…}`) in a text, honouring nested braces.
 * Use to read a final answer; returns `undefined` when there is none, its braces never close, or it is empty
 * (`\boxed{}`, `\boxed{ }`: no answer, which must not win a vote as ""). Linear time.
 *
 * @example
 * Answer.extractBoxed("so \\boxed{\\frac{1}{2}}.") // "\\frac{1}{2}"
 */
export const extractBoxed = (text: string): string | undefined => {
  const all = boxes(text)
  const content = all[all.length - 1]?.content
  return content === undefined || content.trim() === "" ? undefined : content
}

/** True when the text holds a closed `\boxed{…}`. */
export const hasBoxed = (text: string): boolean => extractBoxed(text) !== undefined

const blankLine = /\n[ \t\r]*\n/

/**
 * The boxes of a text's final answer: the last box and the boxes before it in the same paragraph (no blank line
 * between them), outermost only, in order ("the solutions are `\boxed{1}` and `\boxed{2}`" gives both); the harness's
 * grader takes the last, as the reference evaluations do.
 *
 * @example
 * Answer.finalBoxes("Try \\boxed{7}.\n\nSo x is \\boxed{1} or \\boxed{2}.") // ["1", "2"]
 */
export const finalBoxes = (text: string): ReadonlyArray<string> => {
  const outer: Array<Box> = []
  for (const box of boxes(text)) {
    const last = outer[outer.length - 1]
    if (last !== undefined && box.start < last.end) continue
    outer.push(box)
  }
  const run: Array<Box> = []
  for (let index = outer.length - 1; index >= 0; index--) {
    const box = outer[index]!
    const after = run[run.length - 1]
    if (after !== undefined && blankLine.test(text.slice(box.end, after.start))) break
    run.push(box)
  }
  return run.reverse().map((box) => box.content)
}

/**
 * A light default normalizer for comparing answers: trims, drops spaces, `$`, a trailing period, and
 * `\text{}` wrappers. The harness's grader is the thorough one; strategies take any normalizer.
 */
export const normalize = (answer: string): string =>
  answer
    .replace(/\\text\{([^}]*)\}/g, "$1")
    .replace(/[\s$]/g, "")
    .replace(/\.$/, "")
    .replace(/^\{(.*)\}$/, "$1")

/**
 * When two answers are the same answer, for votes: a canonical `key` (answers with equal keys are equivalent),
 * and optionally the full relation `equivalent` for keys that may still be equivalent although they differ.
 * `buckets` says which keys those are: two different keys are compared with `equivalent` only when they share a
 * bucket; a key with no bucket (an empty list) is exact, its class holds that key alone. With `equivalent` and no
 * `buckets`, every key is in one bucket. The harness's grader provides one (`Grader.equivalence`).
 *
 * @example
 * const byText: Answer.Equivalence = { key: Answer.normalize }
 */
export interface Equivalence {
  /** The canonical key of an answer; equal keys must mean equivalent answers. */
  readonly key: (answer: string) => string
  /** The buckets of a key whose class may hold other keys (empty: the key is exact). */
  readonly buckets?: (key: string) => ReadonlyArray<string>
  /** The full relation, asked only about representatives of different keys that share a bucket. */
  readonly equivalent?: (left: string, right: string) => boolean
}

/** The default equivalence: answers are equal when `normalize` makes them equal strings (exact keys). */
export const byNormalization: Equivalence = { key: normalize }

/** Options of `partition`. */
export interface PartitionOptions {
  /** Most `equivalent` calls in one partition (default 4,096); past it, classes are no longer merged. */
  readonly maxComparisons?: number
}

/** Answers split into equivalence classes. */
export interface Partition {
  /** Indices into the answers, one array per class; each ascending, classes in order of their first answer. */
  readonly classes: ReadonlyArray<ReadonlyArray<number>>
  /** How many times `equivalent` was called. */
  readonly comparisons: number
  /** True when `maxComparisons` stopped the merging (some equivalent keys may be in separate classes). */
  readonly capped: boolean
}

/**
 * Splits answers into equivalence classes, efficiently: answers are grouped by `key` first (one call each), so
 * equal keys cost nothing more. Only different keys that share a bucket (`Equivalence.buckets`) — the ambiguous
 * ones — are compared with `equivalent`, once per pair of a key and an earlier class of its bucket, through one
 * representative each (the smallest answer string of the key). Keys and buckets are visited in sorted order, so
 * the classes do not depend on the order of the answers. Cost: n key calls plus, per bucket, at most
 * (distinct keys × classes) comparisons, and never more than `maxComparisons`.
 *
 * @example
 * Answer.partition(["1/2", "0.5", "3"], Grader.equivalence()).classes // [[0, 1], [2]]
 */
export const partition = (answers: ReadonlyArray<string>, equivalence: Equivalence, options: PartitionOptions = {}): Partition => {
  const maxComparisons = options.maxComparisons ?? 4096
  const byKey = new Map<string, { representative: string; members: Array<number> }>()
  answers.forEach((answer, index) => {
    const key = equivalence.key(answer)
    const group = byKey.get(key)
    if (group === undefined) byKey.set(key, { representative: answer, members: [index] })
    else {
      group.members.push(index)
      if (answer < group.representative) group.representative = answer
    }
  })
  const keys = [...byKey.keys()].sort()
  const parent = keys.map((_, ordinal) => ordinal)
  const find = (ordinal: number): number => {
    let root = ordinal
    while (parent[root] !== root) root = parent[root]!
    while (parent[ordinal] !== root) {
      const next = parent[ordinal]!
      parent[ordinal] = root
      ordinal = next
    }
    return root
  }
  let comparisons = 0
  let capped = false
  const relation = equivalence.equivalent
  if (relation !== undefined) {
    const bucketMembers = new Map<string, Array<number>>()
    keys.forEach((key, ordinal) => {
      for (const bucket of equivalence.buckets === undefined ? [""] : new Set(equivalence.buckets(key))) {
        const members = bucketMembers.get(bucket)
        if (members === undefined) bucketMembers.set(bucket, [ordinal])
        else members.push(ordinal)
      }
    })
    const bucketNames = [...bucketMembers.keys()].sort()
    merging: for (const bucket of bucketNames) {
      const members = bucketMembers.get(bucket)!
      for (let position = 1; position < members.length; position++) {
        const ordinal = members[position]!
        const compared = new Set<number>()
        for (let earlier = 0; earlier < position; earlier++) {
          const other = members[earlier]!
          const root = find(other)
          if (root === find(ordinal) || compared.has(root)) continue
          compared.add(root)
          if (comparisons >= maxComparisons) {
            capped = true
            break merging
          }
          comparisons++
          if (relation(byKey.get(keys[other]!)!.representative, byKey.get(keys[ordinal]!)!.representative))
            parent[find(ordinal)] = root
        }
      }
    }
  }
  const classes = new Map<number, Array<number>>()
  keys.forEach((key, ordinal) => {
    const root = find(ordinal)
    const members = classes.get(root)
    const indices = byKey.get(key)!.members
    if (members === undefined) classes.set(root, [...indices])
    else members.push(...indices)
  })
  const ordered = [...classes.values()].map((members) => members.sort((a, b) => a - b))
  ordered.sort((a, b) => a[0]! - b[0]!)
  return { classes: ordered, comparisons, capped }
}
