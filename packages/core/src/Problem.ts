import type { Message } from "./Message.js"
import * as Message_ from "./Message.js"

/**
 * A problem to solve: an id, the prompt as chat messages, an optional reference answer and free metadata.
 * Use it as the input of every strategy and of the benchmark harness.
 *
 * @example
 * const problem = Problem.make({ id: "p1", question: "What is 2 + 2?", reference: "4" })
 */
export interface Problem {
  readonly id: string
  /** The prompt, as chat messages; the last one is usually the user's question. */
  readonly messages: ReadonlyArray<Message>
  /** The question alone, as plain text (used by verifiers that restate the problem). */
  readonly question: string
  /** The reference answer, when known. */
  readonly reference?: string
  /** Free metadata: difficulty level, subject, source, … */
  readonly metadata?: Readonly<Record<string, unknown>>
}

/**
 * Makes a problem from a question, with an optional system prompt.
 * Use when a plain question is all you have; pass `messages` to control the whole prompt.
 */
export const make = (options: {
  readonly id: string
  readonly question: string
  readonly system?: string
  readonly messages?: ReadonlyArray<Message>
  readonly reference?: string
  readonly metadata?: Readonly<Record<string, unknown>>
}): Problem => {
  const messages =
    options.messages ??
    (options.system === undefined
      ? [Message_.user(options.question)]
      : [Message_.system(options.system), Message_.user(options.question)])
  return {
    id: options.id,
    question: options.question,
    messages,
    ...(options.reference === undefined ? {} : { reference: options.reference }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata })
  }
}
