import { describe, expect, it } from "vitest"
import { Equivalence, FinalAnswer, Grader, Normalization } from "../src/index.js"

// Extraction: response → [answer, source] (undefined when there is none).
const extraction: ReadonlyArray<readonly [string, string | undefined, FinalAnswer.Source | undefined]> = [
  ["so the answer is $\\boxed{5}$.", "5", "boxed"],
  ["\\boxed{\\frac{1}{2}}", "\\frac{1}{2}", "boxed"],
  ["nested \\boxed{\\frac{\\sqrt{3}}{2}} done", "\\frac{\\sqrt{3}}{2}", "boxed"],
  ["deep \\boxed{{{1}}}", "{{1}}", "boxed"],
  ["first \\boxed{1} then \\boxed{2}", "2", "boxed"],
  ["\\fbox{42}", "42", "boxed"],
  ["\\boxed {7}", "7", "boxed"],
  ["\\boxed 7", "7", "boxed"],
  ["unclosed \\boxed{3 and more", undefined, undefined],
  ["Janet makes 9 * 2 = 18\n#### 18", "18", "hashes"],
  ["#### 1,500\n", "1,500", "hashes"],
  ["a\n#### 3\nb\n#### 4", "4", "hashes"],
  ["The answer is 12.", "12", "phrase"],
  ["So the final answer is $\\frac{3}{4}$.", "\\frac{3}{4}", "phrase"],
  ["Therefore the answer is: 7", "7", "phrase"],
  ["The answer is 3. Then I stopped. The answer is 5.", "5", "phrase"],
  ["final answer: -2", "-2", "phrase"],
  ["the answer is 2.5", "2.5", "phrase"],
  ["both \\boxed{9} and the answer is 8", "9", "boxed"],
  ["nothing to see here", undefined, undefined],
  ["", undefined, undefined],
  ["\\boxed{}", "", "boxed"],
  ["#### \n", undefined, undefined],
  ["The answer is \\(x=4\\).", "x=4", "phrase"],
  ["\\boxed{\\text{(C)}}", "\\text{(C)}", "boxed"]
]

// Normalization: input → canonical string.
const normalization: ReadonlyArray<readonly [string, string]> = [
  ["\\dfrac{1}{2}", "\\frac{1}{2}"],
  ["\\tfrac{3}{4}", "\\frac{3}{4}"],
  ["\\frac12", "\\frac{1}{2}"],
  ["\\frac1{7}", "\\frac{1}{7}"],
  ["\\sqrt2", "\\sqrt{2}"],
  ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"],
  ["\\left[ 1, 2 \\right)", "[1,2)"],
  ["\\text{Evelyn}", "Evelyn"],
  ["\\textbf{yes}", "yes"],
  ["\\mathrm{odd}", "odd"],
  ["5\\text{ cm}", "5"],
  ["5 cm", "5"],
  ["5cm", "5"],
  ["5 m", "5"],
  ["2m", "2m"],
  ["12 square units", "12"],
  ["18 dollars", "18"],
  ["3\\text{ inches}^2", "3"],
  ["90^\\circ", "90"],
  ["90^{\\circ}", "90"],
  ["45°", "45"],
  ["30 degrees", "30"],
  ["50\\%", "50"],
  ["25%", "25"],
  ["\\$18.00", "18"],
  ["1,000", "1000"],
  ["1{,}000", "1000"],
  ["1,234,567.5", "1234567.5"],
  ["1\\,000", "1000"],
  ["1, 2", "1,2"],
  ["  7  ", "7"],
  ["7.", "7"],
  ["$7$", "7"],
  ["\\(7\\)", "7"],
  ["x = 5", "5"],
  ["y=2x+1", "2x+1"],
  [".5", "0.5"],
  ["2.50", "2.5"],
  ["3.0", "3"],
  ["+4", "4"],
  ["(C)", "C"],
  ["\\text{(b)}", "B"],
  ["\\cot x", "\\cot x"],
  ["\\displaystyle\\frac{1}{2}", "\\frac{1}{2}"],
  ["\\binom{5}{2}", "10"],
  ["\\dbinom{6}{3}", "20"],
  ["{5}", "5"],
  ["\\boxed{5}", "5"],
  ["x^2 + 2x + 1", "x^2+2x+1"],
  ["6 - 5i", "6-5i"]
]

// Equivalence: [answer, reference, equal?].
const equivalence: ReadonlyArray<readonly [string, string, boolean]> = [
  // Plain numbers and spacing.
  ["5", "5", true],
  ["5", "6", false],
  ["-3", "-3.0", true],
  ["-3", "3", false],
  [" 42 ", "42", true],
  ["42.", "42", true],
  ["0.5", ".5", true],
  ["2.500", "2.5", true],
  ["1e3", "1000", true],
  ["1.2\\times10^{3}", "1200", true],
  ["1.2\\times10^{3}", "120", false],
  // Numeric tolerance.
  ["3.14159265", "\\pi", true],
  ["3.14", "\\pi", false],
  ["0.3333333333", "\\frac{1}{3}", true],
  ["0.333", "\\frac{1}{3}", false],
  ["1.0000001", "1", true],
  ["1.001", "1", false],
  ["1000000.1", "1000000", true],
  // Fractions.
  ["\\frac{1}{2}", "0.5", true],
  ["\\dfrac{1}{2}", "\\frac{1}{2}", true],
  ["\\tfrac{2}{4}", "\\frac{1}{2}", true],
  ["1/2", "\\frac{1}{2}", true],
  ["\\frac12", "0.5", true],
  ["\\frac{14}{3}", "4\\frac{2}{3}", true],
  ["\\frac{3}{2}", "1\\frac{1}{2}", true],
  ["-\\frac{1}{2}", "-0.5", true],
  ["\\frac{-1}{2}", "-\\frac{1}{2}", true],
  ["\\frac{1}{2}", "\\frac{2}{1}", false],
  ["\\frac{3}{56}", "\\frac{3}{65}", false],
  ["-\\frac{1}{2}", "\\frac{1}{2}", false],
  ["\\frac{243}{625}", "0.3888", true],
  ["\\frac{243}{625}", "0.389", false],
  // Radicals.
  ["2\\sqrt{2}", "\\sqrt{8}", true],
  ["\\sqrt{8}", "2\\sqrt2", true],
  ["\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", true],
  ["\\frac{3}{\\sqrt{2}}", "\\frac{3\\sqrt{2}}{2}", true],
  ["3\\sqrt{13}", "\\sqrt{117}", true],
  ["11\\sqrt2", "11\\sqrt{2}", true],
  ["\\sqrt{51}", "\\sqrt{52}", false],
  ["2\\sqrt{3}", "3\\sqrt{2}", false],
  ["\\sqrt[3]{8}", "2", true],
  ["70 \\sqrt{2}", "70\\sqrt{2}", true],
  ["\\frac{3\\sqrt{3}}{4}", "\\frac{3\\sqrt{3}}{2}", false],
  // π and other constants.
  ["2\\pi", "\\pi+\\pi", true],
  ["\\frac{\\pi}{2}", "\\frac{1}{2}\\pi", true],
  ["-\\frac{\\pi}{6}", "\\frac{\\pi}{6}", false],
  ["\\pi", "3", false],
  // Complex numbers.
  ["6 - 5i", "-5i + 6", true],
  ["6-5i", "6+5i", false],
  ["-2 + 7i", "7i-2", true],
  ["i^2", "-1", true],
  // LaTeX wrappers and delimiters.
  ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", true],
  ["\\left(3, \\frac{\\pi}{2}\\right)", "(3, \\frac{\\pi}{3})", false],
  ["$\\frac{1}{2}$", "\\frac{1}{2}", true],
  ["\\displaystyle \\frac{1}{4}", "0.25", true],
  // Text answers.
  ["\\text{Evelyn}", "Evelyn", true],
  ["evelyn", "\\text{Evelyn}", true],
  ["\\text{Evelyn}", "\\text{Diana}", false],
  ["\\text{odd}", "\\text{even}", false],
  ["\\text{(C)}", "C", true],
  ["(C)", "(D)", false],
  ["yes", "no", false],
  // Units.
  ["5\\text{ cm}", "5", true],
  ["5 cm", "6", false],
  ["2m", "2", false],
  ["12 square units", "12", true],
  ["18 dollars", "\\$18", true],
  ["\\$18.00", "18", true],
  ["18 dollars", "19", false],
  ["60 mph", "60", true],
  ["3 \\text{ hours}", "3", true],
  // Degrees.
  ["90^\\circ", "90", true],
  ["90^{\\circ}", "90^\\circ", true],
  ["45°", "45", true],
  ["30 degrees", "30", true],
  ["90^\\circ", "180", false],
  // Percent.
  ["50\\%", "50", true],
  ["25%", "25", true],
  ["50\\%", "25", false],
  // Thousands separators.
  ["1,000", "1000", true],
  ["1{,}000", "1000", true],
  ["1\\,000", "1000", true],
  ["13,535", "13535", true],
  ["1,000", "100", false],
  ["2,516", "2516.0", true],
  // Trailing period and spacing.
  ["x^5 - x^4 + x^3 - x^2 + x - 1", "x^5-x^4+x^3-x^2+x-1", true],
  ["9901.", "9901", true],
  ["  -50 ", "-50", true],
  // Variable assignment.
  ["x=5", "5", true],
  ["x = 5", "x=5", true],
  ["x=5", "6", false],
  ["k = \\frac{1}{2}", "0.5", true],
  // Tuples and points (ordered).
  ["(6,31,-1)", "(6, 31, -1)", true],
  ["(6,31,-1)", "(31,6,-1)", false],
  ["(-2,1)", "(-2, 1)", true],
  ["(-2,1)", "(1,-2)", false],
  ["(1,2)", "(1,2,3)", false],
  ["(\\frac{1}{2}, 3)", "(0.5, 3)", true],
  ["(\\sqrt{2}, 0)", "(1.41421356, 0)", true],
  // Intervals.
  ["[1, 2)", "[1,2)", true],
  ["[1,2)", "[1,2]", false],
  ["(1,2]", "[1,2]", false],
  ["(-\\infty, 3]", "(-\\infty,3]", true],
  ["(-\\infty, 3)", "(-\\infty, 3]", false],
  ["[0, \\frac{1}{2}]", "[0, 0.5]", true],
  ["(-\\infty, -2) \\cup (2, \\infty)", "(2,\\infty)\\cup(-\\infty,-2)", true],
  ["(-\\infty, -2) \\cup (2, \\infty)", "(-\\infty,-2]\\cup(2,\\infty)", false],
  ["[1,2)\\cup(3,4]", "[1,2)", false],
  // Sets and unordered lists.
  ["1,-2", "-2, 1", true],
  ["3, 5, 7", "7,5,3", true],
  ["3, 5, 7", "3, 5", false],
  ["3, 5, 7", "3, 5, 8", false],
  ["\\{1, 2\\}", "\\{2, 1\\}", true],
  ["\\{1,2\\}", "1, 2", true],
  ["\\{1,2\\}", "\\{1,3\\}", false],
  ["\\frac{1}{2}, -3", "-3, 0.5", true],
  ["1, 1, 2", "1, 2, 2", false],
  ["\\sqrt{2}, -\\sqrt{2}", "-\\sqrt2,\\sqrt2", true],
  // Matrices.
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", true],
  ["\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", true],
  ["\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}", false],
  ["\\begin{pmatrix} \\frac{1}{2} \\\\ 0 \\end{pmatrix}", "\\begin{pmatrix}0.5\\\\0\\end{pmatrix}", true],
  // Symbolic (compute engine).
  ["(x+1)^2", "x^2+2x+1", true],
  ["(x+1)^2", "x^2+1", false],
  ["x^3+3x-6", "3x + x^3 - 6", true],
  ["x^3+3x-6", "x^3+3x+6", false],
  ["\\frac{x}{2}", "0.5x", true],
  ["2(a+b)", "2a+2b", true],
  ["2(a+b)", "2a+b", false],
  ["p - q", "-q + p", true],
  ["p - q", "q - p", false],
  ["\\sin^2 x + \\cos^2 x", "1", false],
  ["\\cot x", "\\frac{\\cos x}{\\sin x}", true],
  ["\\cot x", "\\tan x", false],
  ["x^2 y", "y x^2", true],
  ["x + y", "x + z", false],
  ["\\log_2 8", "3", true],
  ["e^{i\\pi}", "-1", true],
  ["5!", "120", true],
  ["\\binom{5}{2}", "10", true],
  ["\\binom{6}{3}", "15", false],
  // Equations.
  ["y = 2x + 1", "y=1+2x", true],
  ["x^2 + y^2 = 4", "y^2 + x^2 = 4", true],
  ["x^2 + y^2 = 4", "x^2 + y^2 = 9", false],
  // Bases and odd forms compared as strings.
  ["52_8", "52_8", true],
  ["52_8", "53_8", false],
  ["\\infty", "\\infty", true],
  ["\\infty", "-\\infty", false],
  // Empty and garbage.
  ["", "5", false],
  ["5", "", false],
  ["\\frac{1}{", "\\frac{1}{2}", false]
]

describe("FinalAnswer.extract", () => {
  it.each(extraction)("extract(%j) is %j (%s)", (response, answer, source) => {
    const extracted = FinalAnswer.extract(response)
    expect(extracted?.answer).toBe(answer)
    expect(extracted?.source).toBe(source)
  })
})

describe("Normalization.normalize", () => {
  it.each(normalization)("normalize(%j) is %j", (input, expected) => {
    expect(Normalization.normalize(input)).toBe(expected)
  })
})

describe("Equivalence.equivalent", () => {
  it.each(equivalence)("equivalent(%j, %j) is %s", (answer, reference, expected) => {
    expect(Equivalence.equivalent(answer, reference)).toBe(expected)
  })

  it("is symmetric on the table", () => {
    const asymmetric = equivalence.filter(([a, b]) => Equivalence.equivalent(a, b) !== Equivalence.equivalent(b, a))
    expect(asymmetric).toEqual([])
  })

  it("honours the tolerance option and turning the symbolic check off", () => {
    expect(Equivalence.equivalent("3.14", "\\pi", { tolerance: 1e-3 })).toBe(true)
    expect(Equivalence.equivalent("(x+1)^2", "x^2+2x+1", { symbolic: false })).toBe(false)
    expect(Equivalence.equivalent("0.5", "\\frac{1}{2}", { symbolic: false })).toBe(true)
  })

  it("gives up (not equal) when the symbolic time limit is spent", () => {
    expect(Equivalence.equivalent("(x+1)^2", "x^2+2x+1", { symbolicTimeLimitMillis: -1 })).toBe(false)
  })

  it("counts at least 150 hand-written cases, both equal and not equal", () => {
    const equal = equivalence.filter(([, , expected]) => expected).length
    expect(extraction.length + normalization.length + equivalence.length).toBeGreaterThanOrEqual(150)
    expect(equal).toBeGreaterThan(40)
    expect(equivalence.length - equal).toBeGreaterThan(40)
  })
})

describe("Grader", () => {
  it("grades a whole response against the reference", () => {
    expect(Grader.grade("## Step 1: 2 + 2 = 4\n\nTherefore, the final answer is: $\\boxed{4}$.", "4")).toEqual({
      extracted: "4",
      normalized: "4",
      correct: true
    })
    expect(Grader.grade("so #### 1,500", "1500").correct).toBe(true)
    expect(Grader.grade("I do not know", "4")).toEqual({ extracted: undefined, normalized: undefined, correct: false })
    expect(Grader.isCorrect(undefined, "4")).toBe(false)
    expect(Grader.isCorrect("\\frac{2}{4}", "0.5")).toBe(true)
  })
})
