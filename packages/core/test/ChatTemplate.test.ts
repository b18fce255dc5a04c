import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Message } from "@stepwise/core"
import { itEffect } from "@stepwise/testing-base"
import { ChatTemplate } from "../src/index.js"

const root = mkdtempSync(join(tmpdir(), "stepwise-templates-"))
const jinja = "{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}"
const config = { bos_token: "<s>", eos_token: { content: "</s>" }, chat_template: "{% for m in messages %}{{ m.content }}|{% endfor %}" }

// A newer Hub folder: chat_template.jinja beside tokenizer_config.json (whose template is the older one).
const newer = join(root, "newer")
mkdirSync(newer)
writeFileSync(join(newer, "chat_template.jinja"), jinja)
writeFileSync(join(newer, "tokenizer_config.json"), JSON.stringify(config))
// An older folder: the template only in tokenizer_config.json.
const older = join(root, "older")
mkdirSync(older)
writeFileSync(join(older, "tokenizer_config.json"), JSON.stringify(config))
const empty = join(root, "empty")
mkdirSync(empty)

const messages = [Message.user("What is 2 + 3?")]

describe("ChatTemplate.fromPath", () => {
  itEffect("reads chat_template.jinja from a Hub-style folder, with the special tokens of its tokenizer_config.json", () =>
    Effect.gen(function* () {
      const template = yield* ChatTemplate.fromPath(newer)
      expect(ChatTemplate.renderText(template, messages, true)).toBe("<s>[user] What is 2 + 3?\n[assistant] ")
      expect(template.eosToken).toBe("</s>")
    })
  )

  itEffect("falls back to tokenizer_config.json's chat_template, and reads a .json or .jinja file given directly", () =>
    Effect.gen(function* () {
      expect(ChatTemplate.renderText(yield* ChatTemplate.fromPath(older), messages, true)).toBe("What is 2 + 3?|")
      expect(ChatTemplate.renderText(yield* ChatTemplate.fromPath(join(older, "tokenizer_config.json")), messages, true)).toBe("What is 2 + 3?|")
      expect(ChatTemplate.renderText(yield* ChatTemplate.fromPath(join(newer, "chat_template.jinja")), messages, false)).toBe("[user] What is 2 + 3?\n")
    })
  )

  itEffect("names chatTemplate and the path when there is no template to read", () =>
    Effect.gen(function* () {
      const none = yield* Effect.flip(ChatTemplate.fromPath(empty))
      expect(none).toMatchObject({ _tag: "InvalidOptions", field: "chatTemplate" })
      expect(none.message).toContain("chat_template.jinja")
      const missing = yield* Effect.flip(ChatTemplate.fromPath(join(root, "nowhere.jinja")))
      expect(missing).toMatchObject({ _tag: "InvalidOptions", field: "chatTemplate" })
    })
  )
})

describe("ChatTemplate.renderText", () => {
  it("gives a template the variables transformers gives a chat with no tools or documents: defined, and none", () => {
    const template = Effect.runSync(
      ChatTemplate.fromString(
        "{% if tools is not none %}TOOLS{% else %}NOTOOLS{% endif %}|{% if tools is defined %}DEF{% else %}UNDEF{% endif %}|{% if documents is not none %}DOCS{% else %}NODOCS{% endif %}"
      )
    )
    expect(ChatTemplate.renderText(template, [Message.user("hi")], true)).toBe("NOTOOLS|DEF|NODOCS")
  })
})
