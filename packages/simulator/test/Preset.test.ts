import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Preset, Presets, World } from "../src/index.js"

describe("presets", () => {
  it("are all valid and named", () => {
    for (const [name, preset] of Object.entries(Presets.all)) {
      expect(Preset.validate(preset)).toBeUndefined()
      expect(preset.name).toBe(name)
    }
  })

  it("override replaces only what is given", () => {
    const changed = Preset.override(Presets.calibrated, { verifier: { auroc: 0.9 } })
    expect(changed.verifier.auroc).toBe(0.9)
    expect(changed.verifier.lengthBias).toBe(Presets.calibrated.verifier.lengthBias)
    expect(changed.policy).toEqual(Presets.calibrated.policy)
  })

  it.each([
    [{ verifier: { auroc: 1.2 } }, "verifier.auroc"],
    [{ policy: { trapRate: -0.1 } }, "policy.trapRate"],
    [{ policy: { digressionRate: 1 } }, "policy.digressionRate"],
    [{ generativeVerifier: { accuracy: 0.2 } }, "generativeVerifier.accuracy"],
    [{ difficultyMix: [0, 0, 0, 0, 0] as const }, "difficultyMix"]
  ] as const)("rejects %j naming %s", (overrides, field) => {
    const preset = Preset.override(Presets.calibrated, overrides as Preset.Overrides)
    expect(Preset.validate(preset)?.field).toBe(field)
    expect(() => World.make(preset)).toThrow(field)
    const failure = Effect.runSync(Effect.flip(World.makeEffect(preset)))
    expect(failure.field).toBe(field)
  })

  it("easy worlds are easier than hard ones", () => {
    const meanDifficulty = (preset: Preset.Preset) => {
      const problems = World.problems(World.make(preset), { count: 200, seed: 1 })
      return problems.reduce((total, problem) => total + Number(problem.metadata?.difficulty), 0) / problems.length
    }
    expect(meanDifficulty(Presets.easy)).toBeLessThan(meanDifficulty(Presets.medium))
    expect(meanDifficulty(Presets.medium)).toBeLessThan(meanDifficulty(Presets.hard))
  })
})
