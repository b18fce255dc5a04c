/**
 * A chat message: the unit of a prompt.
 * Use to build a `Problem`'s prompt or a verifier's request.
 */
export interface Message {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** A system message. */
export const system = (content: string): Message => ({ role: "system", content })

/** A user message. */
export const user = (content: string): Message => ({ role: "user", content })

/** An assistant message. */
export const assistant = (content: string): Message => ({ role: "assistant", content })
