import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
import { Step, Trajectory } from "@stepwise/core"

const build = (texts: ReadonlyArray<string>) => Trajectory.fromSteps(texts.map((text) => Step.make({ text })))

describe("Trajectory", () => {
  it("appends in O(1) by sharing the parent", () => {
    const parent = build(["Step 1: 2 + 2 = 4"])
    const left = Trajectory.append(parent, Step.make({ text: "Step 2: 4 * 3 = 12" }))
    const right = Trajectory.append(parent, Step.make({ text: "Step 2: 4 * 5 = 20" }))
    expect(left.parent).toBe(parent)
    expect(right.parent).toBe(parent)
    expect(left.length).toBe(2)
    expect(Trajectory.stepTexts(left)).toEqual(["Step 1: 2 + 2 = 4", "Step 2: 4 * 3 = 12"])
    expect(Trajectory.text(right)).toBe("Step 1: 2 + 2 = 4\n\nStep 2: 4 * 5 = 20")
  })

  it("finishes without copying the steps", () => {
    const open = build(["a", "b"])
    const done = Trajectory.finish(open)
    expect(done.finished).toBe(true)
    expect(done.parent).toBe(open.parent)
    expect(Trajectory.finish(done)).toBe(done)
  })

  it("takes prefixes", () => {
    const whole = build(["a", "b", "c"])
    expect(Trajectory.stepTexts(Trajectory.prefix(whole, 2))).toEqual(["a", "b"])
    expect(Trajectory.prefix(whole, 0)).toBe(Trajectory.empty)
  })

  property.prop([fc.array(fc.string(), { maxLength: 8 })])("equal step texts give equal keys", (texts) => {
    expect(build(texts).key).toBe(build([...texts]).key)
  })

  property.prop([fc.array(fc.string(), { minLength: 1, maxLength: 6 }), fc.array(fc.string(), { minLength: 1, maxLength: 6 })])(
    "different step texts give different keys",
    (left, right) => {
      fc.pre(JSON.stringify(left) !== JSON.stringify(right))
      expect(build(left).key).not.toBe(build(right).key)
    }
  )

  it("separates step boundaries in the key", () => {
    expect(build(["ab", "c"]).key).not.toBe(build(["a", "bc"]).key)
  })
})
