import { describe, expect } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Effect, Layer } from "effect"
import { LanguageModel, Message, ProcessRewardModel, RateLimited, Step } from "@stepwise/core"
import { Accountant } from "@stepwise/accountant"
import { ChatTemplate } from "@stepwise/models"
import { itEffect } from "@stepwise/testing"
import { ThinkPrm } from "@stepwise/verifiers"
import * as ScriptedModel from "./support/ScriptedModel.js"
import { problem, rightSteps, runs, trajectoryOf } from "./support/Fixtures.js"

const chainStart = "\nLet's verify step by step:"
const isDecision = (request: LanguageModel.GenerateRequest) => request.maxTokens === 1

/** A verifier model: chains judging steps by a table, and a decision position with the given P(yes), P(no). */
const verifierModel = (chainOf: (index: number, request: LanguageModel.GenerateRequest) => string, yes = 0.8, no = 0.2) =>
  ScriptedModel.make((request, index) =>
    isDecision(request)
      ? { text: "yes", tokens: 1, logprobs: [ScriptedModel.position({ yes: yes * 0.75, " Yes": yes * 0.25, no: no / 2, " NO": no / 2 })] }
      : { text: chainOf(index, request), finishReason: "stop" }
  )

// The reference, written as ThinkPRM's code writes it (not through the module under test).

/** `format_verification_cot_for_thinkprm`'s instruction template, filled and stripped as the reference does. */
const referenceUserText = (question: string, solution: string): string =>
  `You are given a math problem and a proposed step-by-step solution:

[Math Problem]

{problem}

[Solution]

{solution}

{_instruction}
`
    .trim()
    .replace("{problem}", question)
    .replace("{solution}", solution)
    .replace(
      "{_instruction}",
      "Review and critique each step in the proposed solution to determine whether each step is correct. If the solution is incomplete, only verify the provided steps."
    )

/**
 * `APIThinkPRMVerifier.score` then `process_example` (process_verifier on, as in search): "## Step" becomes "Step",
 * the text is split at "Step N:", pieces stripped and empty ones dropped, each renumbered "Step {i}: " with any
 * "Step N:" left in it removed, joined by a newline.
 */
const referenceSolution = (completion: string): string =>
  completion
    .replaceAll("## Step", "Step")
    .trim()
    .split(/Step \d+:/)
    .map((piece) => piece.trim())
    .filter((piece) => piece.length > 0)
    .map((piece, index) => `Step ${index + 1}: ` + piece.replace(/Step \d+:/g, "").trim())
    .join("\n")

/** The reference's stop patterns (bar the EOS token): the decision question, </think>, and "Step {max + 1}:". */
const referenceStops = (userText: string): ReadonlyArray<string> => {
  const matches = [...userText.matchAll(/Step (\d+):/g)].map((match) => match[1]!)
  // Python's max over the matched strings: a string maximum, as the reference computes it.
  const max = matches.length === 0 ? 1 : Number(matches.reduce((best, value) => (value > best ? value : best)))
  return ["Is the solution correct?", "</think>", `Step ${max + 1}:`]
}

/** A DeepSeek-R1-distill-style chat template (ThinkPRM's checkpoints): the generation prompt opens a think block. */
const r1Template = Effect.runSync(
  ChatTemplate.fromString(
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}{% elif message['role'] == 'assistant' %}{{ '<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}",
    { bosToken: "<｜begin▁of▁sentence｜>", eosToken: "<｜end▁of▁sentence｜>" }
  )
)

/** What a server continuing a final assistant message renders (vLLM's continue_final_message): the text up to its end. */
const continueFinalMessage = (messages: ReadonlyArray<Message.Message>, prefix: string): string => {
  const rendered = ChatTemplate.renderText(r1Template, [...messages, Message.assistant(prefix)], false)
  return rendered.slice(0, rendered.lastIndexOf(prefix) + prefix.length)
}

/** A policy's output written as search-and-learn's system prompt asks, steps separated by blank lines. */
const policySteps = ["## Step 1: Add\n2 + 3 = 5", "## Step 2: Multiply\n5 * 4 = 20", "## Step 3: Subtract\n20 - 6 = 14. Therefore, the final answer is: $\\boxed{14}$."]

describe("ThinkPrm golden prompts", () => {
  itEffect("the user message is the reference's, steps renumbered with their newlines kept", () =>
    Effect.gen(function* () {
      const expected = referenceUserText(problem.question, referenceSolution(policySteps.join("\n\n")))
      expect(ThinkPrm.prompt(problem.question, policySteps)).toEqual(Message.user(expected))
      expect(expected).toContain("Step 2: Multiply\n5 * 4 = 20\nStep 3: Subtract")
      // A partial prefix: the instruction says to verify the provided steps only.
      expect(ThinkPrm.prompt(problem.question, policySteps.slice(0, 2))).toEqual(Message.user(referenceUserText(problem.question, referenceSolution(policySteps.slice(0, 2).join("\n\n")))))
    })
  )

  itEffect("the chain and decision requests: the reference's text after the template, its stops, its chain length", () =>
    Effect.gen(function* () {
      const chainText = "\nStep 1: ok \\boxed{correct}\nStep 2: ok \\boxed{correct}\n"
      const model = verifierModel(() => chainText)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 2 })
      for (const count of [2, 3]) {
        model.requests.length = 0
        yield* verifier.score(problem, trajectoryOf(policySteps.slice(0, count)))
        const user = referenceUserText(problem.question, referenceSolution(policySteps.slice(0, count).join("\n\n")))
        const [chain, ...decisions] = model.requests
        expect(chain).toEqual({ messages: [Message.user(user)], prefix: chainStart, stop: referenceStops(user), n: 2, maxTokens: 8172, temperature: 0.4 })
        expect(chain!.stop).toContain(`Step ${count + 1}:`)
        // Through the completions path (the template renders the generation prompt), the text is the reference's:
        // apply_chat_template(..., add_generation_prompt=True) + "\nLet's verify step by step:".
        const reference = ChatTemplate.renderText(r1Template, [Message.user(user)], true) + "\nLet's verify step by step:"
        expect(yield* ChatTemplate.continuation(r1Template, chain!.messages, chain!.prefix)).toBe(reference)
        expect(reference).toContain("<｜Assistant｜><think>\n\nLet's verify step by step:")
        expect(decisions).toHaveLength(2)
        for (const decision of decisions)
          expect(decision).toEqual({
            messages: [Message.user(user)],
            prefix: chainStart + chainText + "\nIs the solution correct? ",
            n: 1,
            maxTokens: 1,
            topLogprobs: 5,
            temperature: 0
          })
      }
    })
  )

  itEffect("thinkBlock in-prefix: a server continuing the final message sees the same text as the reference", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "\nStep 1: ok \\boxed{correct}\n")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, thinkBlock: "in-prefix" })
      yield* verifier.score(problem, trajectoryOf(policySteps.slice(0, 1)))
      const [chain] = model.requests
      expect(chain!.prefix).toBe("<think>\n\nLet's verify step by step:")
      const user = referenceUserText(problem.question, referenceSolution(policySteps[0]!))
      const reference = ChatTemplate.renderText(r1Template, [Message.user(user)], true) + "\nLet's verify step by step:"
      expect(continueFinalMessage(chain!.messages, chain!.prefix!)).toBe(reference)
      // Without it, that server would drop the template's <think>: the text differs from the reference.
      expect(continueFinalMessage(chain!.messages, chainStart)).not.toBe(reference)
      expect(model.requests[1]!.prefix!.startsWith("<think>\n\nLet's verify step by step:\nStep 1:")).toBe(true)
    })
  )

  itEffect("thinkBlock auto: in-prefix where the backend continues a final message (vLLM's default), from-template where it renders the generation prompt or does not say; from-template by default", () =>
    Effect.gen(function* () {
      for (const [continuesWith, prefix] of [
        ["final-message", "<think>\n\nLet's verify step by step:"],
        ["generation-prompt", chainStart],
        [undefined, chainStart]
      ] as const) {
        const model = ScriptedModel.make(
          (request) => (isDecision(request) ? { text: "yes", tokens: 1, logprobs: [ScriptedModel.position({ yes: 0.9, no: 0.1 })] } : { text: "\nStep 1: ok \\boxed{correct}\n", finishReason: "stop" }),
          continuesWith === undefined ? {} : { continuesWith }
        )
        const verifier = yield* ThinkPrm.make({ languageModel: model.service, thinkBlock: "auto" })
        yield* verifier.score(problem, trajectoryOf(policySteps.slice(0, 1)))
        expect(model.requests[0]!.prefix, String(continuesWith)).toBe(prefix)
        model.requests.length = 0
        yield* (yield* ThinkPrm.make({ languageModel: model.service })).score(problem, trajectoryOf(policySteps.slice(0, 1)))
        expect(model.requests[0]!.prefix, `${String(continuesWith)}, by default`).toBe(chainStart)
      }
    })
  )

  itEffect("rounds: the reference's triggers in order, each appended right after the chain, the decision after the last", () =>
    Effect.gen(function* () {
      const model = verifierModel((_index, request) =>
        ThinkPrm.referenceTriggers.slice(1).some((trigger) => request.prefix?.endsWith(trigger) === true)
          ? `\nStep 2: no, wrong \\boxed{incorrect}`
          : request.prefix?.endsWith("Let me double check") === true
            ? "\nStep 1: \\boxed{correct}"
            : `\nStep 1: \\boxed{correct}\nStep 2: \\boxed{correct}`
      )
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 1, rounds: 5, scoring: "per-step" })
      const verification = yield* verifier.verify(problem, trajectoryOf(rightSteps.slice(0, 3)))
      expect(model.requests.map((request) => (isDecision(request) ? "decision" : "chain"))).toEqual(["chain", "chain", "chain", "chain", "chain", "decision"])
      // The reference: fork += trigger_phrases[r] between rounds (no newline); triggers cycle after the third here.
      const first = "\nStep 1: \\boxed{correct}\nStep 2: \\boxed{correct}"
      const second = "\nStep 1: \\boxed{correct}"
      const wrong = "\nStep 2: no, wrong \\boxed{incorrect}"
      expect(model.requests[1]!.prefix).toBe(chainStart + first + "Let me double check")
      expect(model.requests[2]!.prefix).toBe(chainStart + first + "Let me double check" + second + "Let's verify again")
      expect(model.requests[3]!.prefix).toBe(chainStart + first + "Let me double check" + second + "Let's verify again" + wrong + "Did I miss something?")
      expect(model.requests[4]!.prefix!.endsWith(wrong + "Let me double check")).toBe(true)
      for (const request of model.requests.slice(0, 5)) expect(request.stop).toEqual(["Is the solution correct?", "</think>", "Step 4:"])
      const chain = verification.chains[0]!
      expect(chain.parse._tag === "Parsed" && chain.parse.judgements).toEqual(["correct", "incorrect", undefined])
      expect(model.requests[5]!.prefix).toBe(model.requests[4]!.prefix + second + "\nIs the solution correct? ")
    })
  )

  itEffect("a step label the policy wrote is dropped once; a step without one is written as it is", () =>
    Effect.gen(function* () {
      expect(ThinkPrm.solutionStep("## Step 12: x")).toBe("x")
      expect(ThinkPrm.solutionStep("  Step 3:\nfirst line\nsecond")).toBe("first line\nsecond")
      expect(ThinkPrm.solutionStep("We add: Step 3: is next")).toBe("We add: Step 3: is next")
      expect(ThinkPrm.stopsFor(12)).toEqual(["Is the solution correct?", "</think>", "Step 13:"])
      // The reference's string maximum would stop 12 steps at "Step 10:" ("9" > "12" as strings); ours counts.
      expect(referenceStops("Step 9: a Step 12: b")[2]).toBe("Step 10:")
    })
  )
})

// A policy writing search-and-learn's "## Step N:" format with blank lines inside a labelled step: the search cuts it
// at every blank line, the reference at every label.
const blankLineSteps = ["## Step 1: Add", "2 + 3 = 5", "## Step 2: Multiply", "5 * 4 = 20", "## Step 3: Subtract\n20 - 6 = 14"]

describe("ThinkPrm steps: labels (the reference's split)", () => {
  itEffect("golden: the prompt and the stop are the reference's for the text the search holds", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "\nStep 1: ok \\boxed{incorrect}\nStep 2: ok \\boxed{correct}\n", 0.8, 0.2)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, steps: "labels", scoring: "per-step" })
      for (const count of [2, 4, 5]) {
        model.requests.length = 0
        const steps = blankLineSteps.slice(0, count)
        const verification = yield* verifier.verify(problem, trajectoryOf(steps))
        const user = referenceUserText(problem.question, referenceSolution(steps.join("\n\n")))
        expect(model.requests[0]!.messages).toEqual([Message.user(user)])
        expect(model.requests[0]!.stop).toEqual(referenceStops(user))
        expect(verification.stepScores).toHaveLength(count)
        if (count === 4) {
          expect(user).toContain("Step 1: Add\n\n2 + 3 = 5\nStep 2: Multiply\n\n5 * 4 = 20\n\nReview")
          // Steps 1-2 are labelled step 1 (judged incorrect), steps 3-4 labelled step 2, the last: the decision.
          expect(verification.stepScores.map((score) => Number(score.toFixed(6)))).toEqual([0, 0, 0.8, 0.8])
        }
      }
      // The search's own steps (the default) write five steps for the same text.
      const searchSteps = yield* ThinkPrm.make({ languageModel: model.service })
      model.requests.length = 0
      yield* searchSteps.score(problem, trajectoryOf(blankLineSteps))
      expect(model.requests[0]!.stop).toContain("Step 6:")
    })
  )

  itEffect("an unlabelled text is one step, as the reference reads it", () =>
    Effect.sync(() => {
      expect(ThinkPrm.labelledSteps("First.\n\nSecond.")).toEqual(["First.\n\nSecond."])
      expect(ThinkPrm.labelledSteps("  ")).toEqual([""])
      expect(ThinkPrm.labelledStepOf(["First.", "Second."], "\n\n")).toEqual([0, 0])
      expect(ThinkPrm.labelledStepOf(["Intro", "Step 1: a", "b", "## Step 2: c"], "\n\n")).toEqual([0, 1, 1, 2])
    })
  )

  const piece = fc.constantFrom("Step 1:", "## Step 2:", "Step 10:", "x", " ", "\n", "\n\n", "## ", "= 5")
  const stepText = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(""))

  property.prop([fc.array(stepText, { minLength: 1, maxLength: 8 })], { numRuns: runs(5_000, 300) })(
    "for all step texts: the labelled steps are the reference's, each step maps in order to one, the last to the last",
    (steps) => {
      const labelled = ThinkPrm.labelledSteps(steps.join(Step.delimiter))
      const solution = referenceSolution(steps.join(Step.delimiter))
      expect(labelled.map((text, index) => `Step ${index + 1}: ${text}`).join("\n")).toBe(solution === "" ? "Step 1: " : solution)
      const of = ThinkPrm.labelledStepOf(steps, Step.delimiter)
      expect(of).toHaveLength(steps.length)
      of.forEach((index, at) => {
        expect(index).toBeGreaterThanOrEqual(at === 0 ? 0 : of[at - 1]!)
        expect(index).toBeLessThan(labelled.length)
      })
      expect(of[of.length - 1]).toBe(labelled.length - 1)
    }
  )
})

describe("ThinkPrm scores", () => {
  itEffect("prefix (default): every step scores the one P(yes)/(P(yes)+P(no)) of the whole prefix, variants summed", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}\nStep 3: \\boxed{correct}", 0.6, 0.2)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      const scoring = yield* verifier.score(problem, trajectoryOf(rightSteps))
      for (const score of scoring.stepScores) expect(score).toBeCloseTo(0.75, 10)
    })
  )

  itEffect("per-step: earlier steps by judgement, the last by P(yes)/(P(yes)+P(no))", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}\nStep 3: \\boxed{correct}", 0.6, 0.2)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, scoring: "per-step" })
      const scoring = yield* verifier.score(problem, trajectoryOf(rightSteps))
      expect(scoring.stepScores[0]).toBe(1)
      expect(scoring.stepScores[1]).toBe(0)
      expect(scoring.stepScores[2]).toBeCloseTo(0.75, 10)
    })
  )

  itEffect("averages n parallel chains per step", () =>
    Effect.gen(function* () {
      const chains = ["Step 1: \\boxed{correct}", "Step 1: \\boxed{incorrect}", "Step 1: \\boxed{correct}", "nothing useful"]
      const model = verifierModel((index) => chains[index]!, 0.5, 0.5)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 4, scoring: "per-step" })
      const scoring = yield* verifier.score(problem, trajectoryOf(rightSteps.slice(0, 2)))
      // Step 1: judgements 1, 0, 1 and the unparsable chain's decision 0.5.
      expect(scoring.stepScores[0]).toBeCloseTo((1 + 0 + 1 + 0.5) / 4, 10)
      expect(scoring.stepScores[1]).toBeCloseTo(0.5, 10)
    })
  )

  itEffect("prefix: averages the chains' decisions, each read after its own chain", () =>
    Effect.gen(function* () {
      const chains = ["\nStep 1: \\boxed{correct}\nStep 2: \\boxed{correct}", "\nStep 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}"]
      const model = ScriptedModel.make((request, index) => {
        if (!isDecision(request)) return { text: chains[index]!, finishReason: "stop" }
        const yes = request.prefix!.includes("incorrect") ? 0.3 : 0.9
        return { text: "yes", tokens: 1, logprobs: [ScriptedModel.position({ yes, no: 1 - yes })] }
      })
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 2 })
      const scoring = yield* verifier.score(problem, trajectoryOf(rightSteps.slice(0, 2)))
      expect(scoring.stepScores).toHaveLength(2)
      for (const score of scoring.stepScores) expect(score).toBeCloseTo((0.9 + 0.3) / 2, 10)
    })
  )

  itEffect("sharpens the decision with a decision temperature", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}", 0.6, 0.3)
      const plain = yield* ThinkPrm.make({ languageModel: model.service })
      const sharp = yield* ThinkPrm.make({ languageModel: model.service, decisionTemperature: 0.5 })
      const trajectory = trajectoryOf(rightSteps.slice(0, 1))
      expect((yield* plain.score(problem, trajectory)).stepScores[0]).toBeCloseTo(2 / 3, 10)
      expect((yield* sharp.score(problem, trajectory)).stepScores[0]).toBeCloseTo(0.36 / (0.36 + 0.09), 10)
    })
  )

  itEffect("falls back in the documented order when the decision has no logprobs", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<{ chain: string; decisionText: string; expected: number; source: ThinkPrm.DecisionSource }> = [
        { chain: "Step 1: \\boxed{correct}", decisionText: "No", expected: 0, source: "decision-text" },
        { chain: "Step 1: \\boxed{correct}\nIs the solution correct? Yes", decisionText: "", expected: 1, source: "chain-text" },
        { chain: "Step 1: \\boxed{correct}\nStep 2: \\boxed{incorrect}", decisionText: "", expected: 0, source: "judgements" },
        { chain: "Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}", decisionText: "", expected: 1, source: "judgements" },
        { chain: "Step 1: \\boxed{correct}", decisionText: "", expected: 0.3, source: "fallback" },
        { chain: "I cannot tell.", decisionText: "maybe", expected: 0.3, source: "fallback" }
      ]
      for (const item of cases) {
        const model = ScriptedModel.make((request) => (isDecision(request) ? { text: item.decisionText, tokens: 1 } : { text: item.chain }))
        const verifier = yield* ThinkPrm.make({ languageModel: model.service, fallbackScore: 0.3 })
        const verification = yield* verifier.verify(problem, trajectoryOf(rightSteps.slice(0, 2)))
        expect(verification.chains[0]!.decisionSource).toBe(item.source)
        expect(verification.stepScores[1]).toBe(item.expected)
      }
    })
  )

  itEffect("an unparsable chain is reported as such and scores by its decision", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "The solution looks plausible overall.", 0.9, 0.1)
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      const verification = yield* verifier.verify(problem, trajectoryOf(rightSteps))
      expect(verification.chains[0]!.parse).toEqual({ _tag: "Unparsable", reason: "no-judgement", decision: undefined })
      for (const score of verification.stepScores) expect(score).toBeCloseTo(0.9, 10)
    })
  )

  itEffect("makes no call for an empty trajectory", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      expect((yield* verifier.score(problem, trajectoryOf([]))).stepScores).toEqual([])
      expect(model.requests).toHaveLength(0)
    })
  )

  itEffect("turns model failures into VerifierError with the typed cause", () =>
    Effect.gen(function* () {
      const model = ScriptedModel.make(() => new RateLimited({ backend: "x", retryAfterMillis: undefined, detail: "slow down" }))
      const verifier = yield* ThinkPrm.make({ languageModel: model.service })
      const error = yield* Effect.flip(verifier.score(problem, trajectoryOf(rightSteps)))
      expect(error._tag).toBe("VerifierError")
      expect(error._tag === "VerifierError" && (error.cause as RateLimited)._tag).toBe("RateLimited")
    })
  )

  itEffect("rejects bad options naming the field", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "")
      for (const [field, options] of [
        ["chains", { chains: 0 }],
        ["rounds", { rounds: 1.5 }],
        ["decisionTemperature", { decisionTemperature: 0 }],
        ["fallbackScore", { fallbackScore: 2 }],
        ["maxTokens", { maxTokens: -1 }],
        ["triggers", { triggers: [] }],
        ["scoring", { scoring: "last" }],
        ["thinkBlock", { thinkBlock: "open" }]
      ] as const) {
        // Wrong on purpose: as a recipe or the command line would pass them, unchecked by the compiler.
        const error = yield* Effect.flip(ThinkPrm.make({ ...(options as unknown as ThinkPrm.Options), languageModel: model.service }))
        expect(error.field).toBe(field)
      }
    })
  )
})

describe("ThinkPrm spend", () => {
  itEffect("counts one verifier call per score and its model tokens once, as verifier tokens", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 3, rounds: 2 })
      const accountant = yield* Accountant.make({})
      const trajectories = [trajectoryOf(rightSteps.slice(0, 2)), trajectoryOf(rightSteps)]
      let reported = 0
      for (const trajectory of trajectories) {
        const scoring = yield* Accountant.provide(accountant)(verifier.score(problem, trajectory))
        reported += (scoring.usage.inputTokens ?? 0) + (scoring.usage.outputTokens ?? 0)
      }
      const expected = model.requests.reduce((total, request) => total + ScriptedModel.inputTokensOf(request), 0)
      const snapshot = yield* accountant.snapshot
      expect(snapshot.spent.verifierCalls).toBe(2)
      expect(snapshot.spent.inputTokens).toBe(0)
      expect(snapshot.spent.outputTokens).toBe(0)
      expect(snapshot.spent.verifierTokens).toBe(reported)
      expect(reported).toBeGreaterThan(expected)
    })
  )

  itEffect("as a layer, verifies with the language model in context", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}", 0.9, 0.1)
      const layer = Layer.provide(ThinkPrm.layer({ chains: 2 }), Layer.succeed(LanguageModel.LanguageModel, model.service))
      const scoring = yield* Effect.provide(ProcessRewardModel.score(problem, trajectoryOf(rightSteps.slice(0, 1))), layer)
      expect(scoring.stepScores[0]).toBeCloseTo(0.9, 10)
      expect(model.requests[0]!.n).toBe(2)
    })
  )

  itEffect("the default chain length (8,172) asks no more than the budget has left: the accountant lowers it", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 2 })
      const accountant = yield* Accountant.make({ verifierTokens: 4000 })
      const scoring = yield* Accountant.provide(accountant)(verifier.score(problem, trajectoryOf(rightSteps.slice(0, 1))))
      expect(scoring.stepScores).toHaveLength(1)
      const chain = model.requests.find((request) => !isDecision(request))!
      expect(chain.maxTokens).toBeGreaterThan(0)
      expect(chain.maxTokens! * chain.n!).toBeLessThan(4000)
      // Without a budget, the request asks the whole default length.
      model.requests.length = 0
      yield* verifier.score(problem, trajectoryOf(rightSteps.slice(0, 1)))
      expect(model.requests[0]!.maxTokens).toBe(8172)
    })
  )

  itEffect("under a verifier-token budget, never spends past it and fails with BudgetExhausted when it runs out", () =>
    Effect.gen(function* () {
      const model = verifierModel(() => "Step 1: \\boxed{correct}\nStep 2: \\boxed{correct}")
      const verifier = yield* ThinkPrm.make({ languageModel: model.service, chains: 2, maxTokens: 200 })
      const accountant = yield* Accountant.make({ verifierTokens: 1500 })
      const outcomes: Array<string> = []
      for (let round = 0; round < 6; round++) {
        const result = yield* Effect.result(Accountant.provide(accountant)(verifier.score(problem, trajectoryOf(rightSteps.slice(0, 2)))))
        outcomes.push(result._tag === "Success" ? "scored" : result.failure._tag)
      }
      const snapshot = yield* accountant.snapshot
      expect(outcomes).toContain("scored")
      expect(outcomes[outcomes.length - 1]).toBe("BudgetExhausted")
      expect(snapshot.spent.verifierTokens).toBeLessThanOrEqual(1500)
      expect(snapshot.spent.verifierCalls).toBe(outcomes.filter((outcome) => outcome === "scored").length)
    })
  )
})
