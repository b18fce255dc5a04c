import { describe, expect } from "vitest"
import { Effect } from "effect"
import { Message, Problem } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { ChatTemplate, HuggingFace } from "@stepwise/models"
import { itEffect } from "@stepwise/testing"
import { TokenLogitPrm } from "@stepwise/verifiers"
import * as ScriptedModel from "./support/ScriptedModel.js"
import { problem, trajectoryOf } from "./support/Fixtures.js"

const steps = ["Step 1: 2 + 3 = 5", "Step 2: 5 * 4 = 21", "Step 3: 21 - 6 = 15"]

/** A problem with a system prompt, as search-and-learn's policy sees it. */
const withSystem = Problem.make({ id: "p2", question: problem.question, system: "Solve the following math problem efficiently and clearly." })

// The reference inputs, written the way the reference code writes them (not through the module under test).

/**
 * search-and-learn's `MathShepherd.score`: prompt = system_prompt + "\n" + question + "\n"; the output's "\n\n"
 * become " ки\n\n", " ки" ends an output that does not end with "\n\n"; the PRM input is f"{prompt} {output}".
 */
const searchAndLearnInput = (system: string, question: string, output: string): string => {
  const prompt = system + "\n" + question + "\n"
  let special = output.split("\n\n").join(" ки\n\n")
  if (special.slice(-2) !== "\n\n") special = special + " ки"
  return `${prompt} ${special}`
}

/** The model card of peiyi9979/math-shepherd-mistral-7b-prm: f"{question} {output}", each step followed by " ки". */
const modelCardInput = (question: string, stepTexts: ReadonlyArray<string>, join: string): string =>
  `${question} ${stepTexts.map((text) => `${text} ки`).join(join)}`

/** Where the reference reads step k's score: the end of the k-th " ки" (its logits predict the next token). */
const endOfTag = (text: string, k: number): number => {
  let at = -1
  for (let found = 0; found < k; found++) {
    at = text.indexOf(" ки", at + 1)
    if (at < 0) throw new Error(`no tag ${k}`)
  }
  return at + " ки".length
}

/** The raw text a math-shepherd request sends through a pass-through template: the header, then the prefix. */
const rawTextOf = (request: { readonly messages: ReadonlyArray<Message.Message>; readonly prefix?: string }) =>
  request.messages.map((message) => message.content).join("") + (request.prefix ?? "")

describe("TokenLogitPrm: rlhflow", () => {
  itEffect("alternating user steps and assistant '+' turns, P(+) over {+, -} per step", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make((request) => {
        const last = request.messages[request.messages.length - 1]!.content
        const good = last.includes("2 + 3")
        return { text: "+", tokens: 1, logprobs: [ScriptedModel.position(good ? { "+": 0.6, " +": 0.2, "-": 0.2 } : { "-": 0.5, "\u2212": 0.25, "+": 0.25 })] }
      })
      const prm = yield* TokenLogitPrm.make({ languageModel: model.service })
      const scoring = yield* prm.score(problem, trajectoryOf(steps))
      expect(scoring.stepScores[0]).toBeCloseTo(0.8, 10)
      // The reference reads only "+" and "-" (the Unicode minus is another token): 0.25 / (0.25 + 0.5).
      expect(scoring.stepScores[1]).toBeCloseTo(1 / 3, 10)
      const third = model.requests.find((request) => request.messages.length === 5)!
      expect(third).toMatchObject({ n: 1, maxTokens: 1, temperature: 0, topLogprobs: 20 })
      expect(third.prefix).toBeUndefined()
    })
  )

  itEffect("golden: the request is the reference's conversation up to step k, and its next token is the position it reads", () =>
    Effect.gen(function* () {
      // A Llama-3-style chat template (the RLHFlow PRMs are Llama 3.1 models).
      const template = yield* ChatTemplate.fromString(
        "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
        { bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>" }
      )
      for (let k = 1; k <= steps.length; k++) {
        // search-and-learn's RLHFFlow._score_single: ans.split("\n\n"); turn 0 is question + " " + step 1; each user
        // turn is followed by an assistant "+"; the logits at position -3 of the rendered conversation are read.
        const conversation: Array<Message.Message> = []
        steps.slice(0, k).forEach((text, index) => {
          conversation.push(Message.user(index === 0 ? problem.question + " " + text : text))
          conversation.push(Message.assistant("+"))
        })
        const request = TokenLogitPrm.request(problem, steps, k)
        expect(request.messages).toEqual(conversation.slice(0, -1))
        const reference = ChatTemplate.renderText(template, conversation, false)
        const ours = ChatTemplate.renderText(template, request.messages, true)
        // The reference ends "…assistant<|end_header_id|>\n\n" "+" "<|eot_id|>": position -3 is the last token of
        // ours, so the next token after ours is the one the reference's logits at -3 predict.
        expect(reference).toBe(ours + "+" + "<|eot_id|>")
      }
    })
  )
})

describe("TokenLogitPrm: math-shepherd", () => {
  itEffect("golden (model card): the text of step k's request is the reference input cut right after the k-th tag", () =>
    Effect.gen(function* () {
      const multiline = ["Step 1: First,\nadd: 2 + 3 = 5", "Step 2: 5 * 4 = 21", "Step 3: 21 - 6 = 15. The answer is 15"]
      for (const join of ["\n\n", "\n"]) {
        const reference = modelCardInput(problem.question, multiline, join)
        for (let k = 1; k <= multiline.length; k++) {
          const request = TokenLogitPrm.request(problem, multiline, k, { style: "math-shepherd", delimiter: join })
          expect(request.messages).toEqual([Message.user(problem.question)])
          expect(rawTextOf(request)).toBe(reference.slice(0, endOfTag(reference, k)))
          expect(request).toMatchObject({ n: 1, maxTokens: 1, temperature: 0, topLogprobs: 20 })
        }
      }
    })
  )

  itEffect("golden (search-and-learn): system prompt, question, and the steps' blank lines tagged", () =>
    Effect.gen(function* () {
      const system = withSystem.messages[0]!.content
      const reference = searchAndLearnInput(system, withSystem.question, steps.join("\n\n"))
      expect(reference.split(" ки").length - 1).toBe(steps.length)
      for (let k = 1; k <= steps.length; k++) {
        const request = TokenLogitPrm.request(withSystem, steps, k, { style: "math-shepherd", header: "system-and-question" })
        expect(rawTextOf(request)).toBe(reference.slice(0, endOfTag(reference, k)))
      }
      // The last request is the whole reference input: its last token is the last tag.
      expect(rawTextOf(TokenLogitPrm.request(withSystem, steps, steps.length, { style: "math-shepherd", header: "system-and-question" }))).toBe(reference)
    })
  )

  itEffect("golden, end to end: a /v1/completions server behind the pass-through template receives exactly the reference text", () =>
    Effect.gen(function* () {
      const prompts: Array<string> = []
      const fakeFetch = (async (_url: unknown, init?: { body?: unknown }) => {
        const body = JSON.parse(String(init?.body)) as { prompt: string }
        prompts.push(body.prompt)
        // The token after the k-th tag: " +" (Mistral's id 648) likelier after a right step.
        const right = !body.prompt.slice(body.prompt.lastIndexOf("\n") + 1).includes("= 21 ки") && !body.prompt.endsWith("= 15 ки")
        const plus = right ? 0.9 : 0.2
        return new Response(
          JSON.stringify({
            choices: [{ index: 0, text: " +", finish_reason: "length", logprobs: { tokens: [" +"], token_logprobs: [Math.log(plus)], top_logprobs: [{ " +": Math.log(plus), " -": Math.log(1 - plus) }] } }],
            usage: { prompt_tokens: 40, completion_tokens: 1, total_tokens: 41 }
          }),
          { status: 200, headers: { "content-type": "application/json" } }
        )
      }) as typeof fetch
      const template = yield* ChatTemplate.fromString(TokenLogitPrm.passThroughTemplate)
      const languageModel = yield* HuggingFace.make({
        model: "peiyi9979/math-shepherd-mistral-7b-prm",
        kind: "vllm",
        endpointUrl: "http://127.0.0.1:1",
        continuation: "completions",
        template,
        fetch: fakeFetch,
        retry: { times: 0, baseMillis: 1, capMillis: 1 }
      })
      const prm = yield* TokenLogitPrm.make({ languageModel, style: "math-shepherd", concurrency: 1 })
      const scoring = yield* prm.score(problem, trajectoryOf(steps))
      const reference = modelCardInput(problem.question, steps, "\n\n")
      expect(prompts).toEqual(steps.map((_, index) => reference.slice(0, endOfTag(reference, index + 1))))
      expect(scoring.stepScores[0]).toBeCloseTo(0.9, 10)
      expect(scoring.stepScores[1]).toBeCloseTo(0.2, 10)
      expect(scoring.stepScores[2]).toBeCloseTo(0.2, 10)
    })
  )

  itEffect("matching: exact reads only the spellings given; variants sums their case and space variants", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: " +", tokens: 1, logprobs: [ScriptedModel.position({ " +": 0.6, "+": 0.2, " -": 0.1, "-": 0.1 })] }))
      const exact = yield* TokenLogitPrm.make({ languageModel: model.service, style: "math-shepherd", matching: "exact", sides: { positive: [" +"], negative: [" -"] } })
      expect((yield* exact.score(problem, trajectoryOf(steps.slice(0, 1)))).stepScores[0]).toBeCloseTo(0.6 / 0.7, 10)
      const variants = yield* TokenLogitPrm.make({ languageModel: model.service, style: "math-shepherd" })
      expect((yield* variants.score(problem, trajectoryOf(steps.slice(0, 1)))).stepScores[0]).toBeCloseTo(0.8, 10)
    })
  )

  itEffect("rejects the removed tagLead and unknown options by name", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "+", tokens: 1 }))
      const error = yield* Effect.flip(TokenLogitPrm.make({ languageModel: model.service, tagLead: " " } as never))
      expect(error._tag).toBe("InvalidOptions")
      expect(error.field).toBe("tagLead")
      const header = yield* Effect.flip(TokenLogitPrm.make({ languageModel: model.service, header: "system" } as never))
      expect(header.field).toBe("header")
    })
  )
})

describe("TokenLogitPrm: failures and metering", () => {
  itEffect("fails with VerifierError when neither token is in the logprobs, unless whenMissing is set", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "The", tokens: 1, logprobs: [ScriptedModel.position({ The: 0.9, A: 0.1 })] }))
      const strict = yield* TokenLogitPrm.make({ languageModel: model.service })
      const error = yield* Effect.flip(strict.score(problem, trajectoryOf(steps)))
      expect(error._tag).toBe("VerifierError")
      const lenient = yield* TokenLogitPrm.make({ languageModel: model.service, whenMissing: 0.5 })
      expect((yield* lenient.score(problem, trajectoryOf(steps))).stepScores).toEqual([0.5, 0.5, 0.5])
    })
  )

  itEffect("counts one verifier call per score, its tokens once as verifier tokens", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => ({ text: "+", tokens: 1, logprobs: [ScriptedModel.position({ "+": 0.9, "-": 0.1 })] }))
      const prm = yield* TokenLogitPrm.make({ languageModel: model.service })
      const accountant = yield* Accountant.make({})
      yield* Accountant.provide(accountant)(prm.score(problem, trajectoryOf(steps)))
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(1)
      expect(snapshot.spent.verifierTokens).toBe(model.requests.reduce((total, request) => total + ScriptedModel.inputTokensOf(request) + 1, 0))
    })
  )
})
