import { describe, expect, it } from "vitest"
import { it as property } from "@fast-check/vitest"
import fc from "fast-check"
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
  ["\\boxed{\\text{(C)}}", "\\text{(C)}", "boxed"],
  // Minerva-style endings.
  ["Final Answer: The final answer is $5$. I hope it is correct.", "5", "phrase"],
  ["Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "\\frac{3}{4}", "phrase"],
  ["Final Answer: The final answer is $(1, 2)$. I hope it is correct.", "(1, 2)", "phrase"],
  ["Final Answer: The final answer is 12. I hope it is correct.", "12", "phrase"],
  ["Final Answer: The final answer is $x \\in [2, 5]$. I hope it is correct.", "x \\in [2, 5]", "phrase"],
  ["Final Answer: The final answer is $$7$$. I hope it is correct.", "7", "phrase"],
  ["Final Answer: The final answer is $3.5$. I hope it is correct.", "3.5", "phrase"],
  ["Final Answer: The final answer is $\\text{Evelyn}$. I hope it is correct.", "\\text{Evelyn}", "phrase"],
  ["Final Answer: The final answer is $-2$.", "-2", "phrase"],
  // Other phrases.
  ["The final answer is \\[ 9 \\].", "9", "phrase"],
  ["The answer is $3.5$ meters.", "3.5", "phrase"],
  ["The answer is 3.5 meters.", "3.5 meters", "phrase"],
  ["The answer is $5$\n\nSome other text", "5", "phrase"],
  ["answer = 42", "42", "phrase"],
  ["The answer is: the answer is 6", "6", "phrase"],
  ["The answer is 3.14. Next we check.", "3.14", "phrase"],
  ["Answer: 7", "7", "phrase"],
  // Markdown's emphasis around the phrase or the answer.
  ["**Answer:** 5", "5", "phrase"],
  ["**Final Answer**: 7", "7", "phrase"],
  ["The answer is **42**.", "42", "phrase"],
  ["The answer is $x^*$.", "x^*", "phrase"],
  ["Answer: 2*3", "2*3", "phrase"],
  ["The answer is $$", undefined, undefined],
  ["#### $1,500", "1,500", "hashes"],
  // Several boxes: the last one is the answer (the others are in `boxes`).
  ["The solutions are \\boxed{1} and \\boxed{2}.", "2", "boxed"],
  ["\\boxed{1}\n\nThen \\boxed{2}", "2", "boxed"],
  ["\\boxed{\\boxed{3}}", "\\boxed{3}", "boxed"]
]

// Whole responses: [response, reference, correct?] (the last box is the answer, as Qwen2.5-Math's evaluation reads it).
const responses: ReadonlyArray<readonly [string, string, boolean]> = [
  ["The solutions are \\boxed{1} and \\boxed{2}.", "2", true],
  ["The solutions are \\boxed{1} and \\boxed{2}.", "1, 2", false],
  ["The solutions are \\boxed{1} and \\boxed{2}.", "1", false],
  ["We reject $x=\\boxed{-2}$ since $x>0$, so the answer is $\\boxed{1}$.", "1, -2", false],
  ["We reject $x=\\boxed{-2}$ since $x>0$, so the answer is $\\boxed{1}$.", "1", true],
  ["Try \\boxed{5}.\n\nSo the roots are \\boxed{1, 2}.", "1,2", true],
  ["\\boxed{1}\n\n\\boxed{2}", "1, 2", false],
  ["So \\boxed{1, 2}. Again: \\boxed{1, 2}", "1,2", true],
  ["x = \\boxed{\\pm 3}", "-3, 3", true],
  ["\\boxed{(1,2), (3,4)}", "(1,2), (3,4)", true],
  ["\\boxed{(1,2), (3,5)}", "(1,2), (3,4)", false],
  ["Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "0.75", true],
  ["Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "0.7", false],
  ["Final Answer: The final answer is $x \\in [2, 5]$. I hope it is correct.", "[2,5]", true],
  ["Final Answer: The final answer is $x \\in [2, 5]$. I hope it is correct.", "(2,5]", false]
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
  ["6 - 5i", "6-5i"],
  // \\cfrac, relations, word and semicolon lists, membership, percent words, Unicode minus, number forms.
  ["\\cfrac{1}{2}", "\\frac{1}{2}"],
  ["\\dfrac{\\cfrac{1}{2}}{3}", "\\frac{\\frac{1}{2}}{3}"],
  ["x \\geq 5", "x≥5"],
  ["x >= 5", "x≥5"],
  ["x ≥ 5", "x≥5"],
  ["x\\ge 5", "x≥5"],
  ["x \\geqslant 5", "x≥5"],
  ["x \\leq 5", "x≤5"],
  ["x <= 5", "x≤5"],
  ["x\\le5", "x≤5"],
  ["x \\neq 3", "x≠3"],
  ["x != 3", "x≠3"],
  ["x \\ne 3", "x≠3"],
  ["x \\not= 3", "x≠3"],
  ["1 \\text{ and } 2", "1,2"],
  ["1 and 2", "1,2"],
  ["1, 2, and 3", "1,2,3"],
  ["1; 2", "1,2"],
  ["x = 1 \\text{ or } x = 2", "x=1,x=2"],
  ["50 pct", "50"],
  ["12 percentage points", "12"],
  ["25 percentage", "25"],
  ["7 per cent", "7"],
  ["x \\in [-2,7]", "[-2,7]"],
  ["x ∈ (0, 1)", "(0,1)"],
  ["\\theta \\in [0, \\pi)", "[0,\\pi)"],
  ["\\textbf{\\text{yes}}", "yes"],
  ["\\text{\\frac{1}{2}}", "\\frac{1}{2}"],
  ["3−2", "3-2"],
  ["5....", "5"],
  ["1.500", "1.5"],
  ["10.0100", "10.01"],
  ["0.000", "0"]
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
  ["0.30000000000000004", "0.3", true],
  // Relative, never absolute: a small answer is not within the tolerance of another (MATH-500's .0000672; 0 is
  // the gold of seven of its problems), integers written out are compared exactly (GSM8K's and AIME's golds), and
  // numbers past the float range are not all one number.
  ["0.000067", ".0000672", false],
  ["0.0000673", ".0000672", false],
  ["0.0000009", "0", false],
  ["0", "\\frac{1}{2^{20}}", false],
  ["0.000002", "0.000001", false],
  ["2880002", "2880000", false],
  ["1,450,001", "1450000", false],
  ["11111120000", "11,\\! 111,\\! 111,\\! 100", false],
  ["11,111,111,100", "11,\\! 111,\\! 111,\\! 100", true],
  ["033", "33", true],
  ["\\sin(\\pi)", "0", true],
  ["3^{2000}", "2^{2000}", false],
  ["\\infty", "10^{400}", false],
  ["1e500", "1e400", false],
  ["\\binom{2001}{1000}", "\\binom{2000}{1000}", false],
  ["\\binom{5}{2}", "10", true],
  ["30067266499541040", "\\binom{58}{29}", true],
  ["30067266499541041", "\\binom{58}{29}", false],
  ["\\frac{2}{0}", "\\frac{1}{0}", false],
  // A one-character subscript, braced or not (a number's base, a variable's index).
  ["52_{8}", "52_8", true],
  ["4210_5", "4210_{5}", true],
  ["x_{1}", "x_1", true],
  ["52_{8}", "52_9", false],
  // Factorials the engine would take seconds over are not asked (and differ unless written alike).
  ["5", "100000!", false],
  ["5", "(2^{64})!", false],
  ["120", "5!", true],
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
  ["\\frac{1}{", "\\frac{1}{2}", false],
  // Relations: spellings, flipped sides, strictness.
  ["x \\geq 5", "x >= 5", true],
  ["x \\geq 5", "x ≥ 5", true],
  ["x \\geq 5", "5 \\leq x", true],
  ["x \\ge 5", "5 \\le x", true],
  ["x \\geq 5", "x > 5", false],
  ["x \\geq 5", "x \\leq 5", false],
  ["x \\geq 5", "x \\geq 6", false],
  ["x \\neq 3", "x != 3", true],
  ["x \\neq 3", "x \\ne 3", true],
  ["x \\neq 3", "3 \\neq x", true],
  ["x \\neq 3", "x \\neq 4", false],
  ["x \\neq 3", "x = 3", false],
  ["y \\geq 2x", "2x \\leq y", true],
  ["y \\geq 2x", "y \\leq 2x", false],
  ["2y \\geq 4x", "y \\geq 2x", true],
  ["-y \\leq -2x", "y \\geq 2x", true],
  ["-y \\geq -2x", "y \\geq 2x", false],
  ["y < x^2", "x^2 > y", true],
  ["y < x^2", "y \\leq x^2", false],
  // One-variable inequalities and intervals; membership.
  ["x \\geq 5", "[5, \\infty)", true],
  ["x > 5", "(5, \\infty)", true],
  ["x > 5", "[5, \\infty)", false],
  ["x < -1", "(-\\infty, -1)", true],
  ["x \\le 3", "(-\\infty, 3)", false],
  ["2 < x \\le 3", "(2, 3]", true],
  ["2 < x \\le 3", "(2, 3)", false],
  ["3 \\geq x > 2", "(2,3]", true],
  ["-1 \\leq x \\leq 1", "[-1,1]", true],
  ["-1 \\leq x \\leq 1", "[-1,2]", false],
  ["x \\in [-2,7]", "[-2,7]", true],
  ["x \\in [-2,7]", "[-2,7)", false],
  ["x \\in (0,1)", "0 < x < 1", true],
  ["x \\in (0,1)", "0 \\le x < 1", false],
  ["x < 2 \\text{ or } x > 3", "(-\\infty, 2) \\cup (3, \\infty)", true],
  ["x < 2 \\text{ or } x > 3", "(-\\infty, 2] \\cup (3, \\infty)", false],
  // Lists with words, semicolons; \\pm.
  ["1 and 2", "1, 2", true],
  ["1 \\text{ and } 2", "2, 1", true],
  ["1 and 2", "1, 3", false],
  ["1; 2; 3", "3, 2, 1", true],
  ["1; 2", "1, 2, 3", false],
  ["1, 2, and 3", "\\{1,2,3\\}", true],
  ["x = 1 \\text{ or } x = 2", "1, 2", true],
  ["x=1 \\text{ or } x=2", "1, 3", false],
  ["x=1 \\text{ or } x=-1", "\\pm 1", true],
  ["\\text{Alice and Bob}", "\\text{Bob and Alice}", true],
  ["\\text{Alice and Bob}", "\\text{Alice and Carol}", false],
  ["\\pm 3", "3, -3", true],
  ["\\pm3", "-3,3", true],
  ["±2", "\\pm 2", true],
  ["\\pm 3", "3", false],
  ["\\pm 3", "3, 3", false],
  ["x = \\pm 2", "2, -2", true],
  ["1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}", true],
  ["1 \\pm \\sqrt{19}", "1 + \\sqrt{19}", false],
  ["\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5", true],
  ["\\{1\\pm\\sqrt{5},-2\\}", "1+\\sqrt5, 1-\\sqrt5", false],
  ["3 \\pm 2 \\sqrt{2}", "3+2\\sqrt2, 3-2\\sqrt2", true],
  ["3 \\pm 2 \\sqrt{2}", "3+2\\sqrt3, 3-2\\sqrt3", false],
  ["\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{-1+\\sqrt5}{2}, \\frac{-1-\\sqrt5}{2}", true],
  ["\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{1+\\sqrt5}{2}, \\frac{1-\\sqrt5}{2}", false],
  // Equations equal after rearranging or scaling (symbolic engine).
  ["2x+4y-3=0", "y=-\\frac12x+\\frac34", true],
  ["2x+4y-3=0", "y=-\\frac12x+\\frac32", false],
  ["y = 2x + 3", "2x - y + 3 = 0", true],
  ["y = 2x + 3", "2x + y + 3 = 0", false],
  ["y = 2x + 3", "y - 2x = 3", true],
  ["5x - 7y + 11z + 4 = 0", "-5x + 7y - 11z - 4 = 0", true],
  ["5x - 7y + 11z + 4 = 0", "10x - 14y + 22z + 8 = 0", true],
  ["5x - 7y + 11z + 4 = 0", "5x - 7y + 11z - 4 = 0", false],
  ["x^2 + y^2 = 4", "2x^2 + 2y^2 - 8 = 0", true],
  ["x^2 + y^2 = 4", "x^2 + y^2 = 2", false],
  ["y = x^2", "y = x^3", false],
  ["y=-2x", "2x+y=0", true],
  ["y=-2x", "2x-y=0", false],
  ["y = 2x + 3", "2x+3", true],
  ["y = 2x + 3", "2x+4", false],
  // Assignments: an assignment is its value; two assignments keep their names.
  ["x = 5", "5", true],
  ["5 = x", "5", true],
  ["x = 5", "y = 5", false],
  ["p=3, q=2", "q=2, p=3", true],
  ["p=3, q=2", "q=3, p=2", false],
  ["p=3, q=2", "3, 2", true],
  ["p=3, q=2", "(3,2)", false],
  // Chained equalities: the last side.
  ["x = 5+6 = 11", "11", true],
  ["x = 5+6 = 11", "12", false],
  ["x = 5 + 6 = 11", "x=11", true],
  ["AB = 3\\sqrt2 = \\sqrt{18}", "\\sqrt{18}", true],
  ["AB = 3\\sqrt2 = \\sqrt{18}", "\\sqrt{17}", false],
  // Labelled tuples.
  ["(p,q)=(3,2)", "(3,2)", true],
  ["(p,q)=(3,2)", "(2,3)", false],
  ["(x, y) = (1, -1)", "(1,-1)", true],
  ["(a,b,c) = (1,2,3)", "(1,2,3)", true],
  ["(a,b)=(1,2,3)", "(1,2,3)", false],
  // \\cfrac.
  ["\\cfrac{1}{2}", "0.5", true],
  ["\\cfrac{1}{1+\\cfrac{1}{2}}", "\\frac{2}{3}", true],
  ["\\cfrac{1}{3}", "0.5", false],
  // Matrices written with array and brackets.
  ["\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", true],
  ["\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", true],
  ["\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]", "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", false],
  ["\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", "\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", false],
  ["\\begin{bmatrix} -1/3 \\\\ 2/3 \\end{bmatrix}", "\\begin{pmatrix} -\\frac13 \\\\ \\frac23 \\end{pmatrix}", true],
  ["\\left(\\begin{array}{c}1\\\\2\\end{array}\\right)", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", true],
  ["\\left(\\begin{array}{c}1\\\\2\\end{array}\\right)", "\\begin{pmatrix}1\\\\2\\\\3\\end{pmatrix}", false],
  // Percent words.
  ["50 pct", "50", true],
  ["50 pct", "50\\%", true],
  ["12 percentage points", "12", true],
  ["25 percentage", "25\\%", true],
  ["7 per cent", "7", true],
  ["50 pct", "5", false],
  ["25 percentage", "2.5", false],
  // Decimal commas are not read: a comma separates items (or thousands, in a whole number).
  ["3,5", "3.5", false],
  ["3,5", "3, 5", true],
  ["1{,}5", "1.5", false],
  ["3,500", "3500", true],
  ["3,500", "3.5", false],
  // Unicode minus and relation symbols.
  ["−5", "-5", true],
  ["−5", "5", false],
  ["x ≤ 2", "x \\leq 2", true],
  ["x ≤ 2", "x < 2", false]
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
  property.prop([fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n })], { numRuns: 300 })(
    "for all integers written out, equal exactly when they are the same integer",
    (a, b) => {
      expect(Equivalence.equivalent(String(a), String(b))).toBe(a === b)
    }
  )

  property.prop(
    // (Down to 1e-6: below it the 1e-12 floor for floating-point noise is the larger term.)
    [fc.double({ min: 1e-6, max: 1e12, noNaN: true }), fc.double({ min: 1e-5, max: 10, noNaN: true }), fc.boolean()],
    { numRuns: 300 }
  )("for all numbers, one further off than the relative tolerance is different, however small they are", (value, factor, negative) => {
    const sign = negative ? -1 : 1
    const other = value * (1 + factor)
    expect(Equivalence.equivalent((sign * value).toExponential(15), (sign * other).toExponential(15))).toBe(false)
    expect(Equivalence.equivalent((sign * value).toExponential(15), (sign * value * (1 + 1e-8)).toExponential(15))).toBe(true)
  })

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

  it("gives up (not equal) when the symbolic time limit is spent, and grades on afterwards", () => {
    expect(Equivalence.equivalent("(x+1)^2", "x^2+2x+1", { symbolicTimeLimitMillis: -1 })).toBe(false)
    // An exact factorial of 10^12 would run for hours: the worker is abandoned at the limit.
    expect(Equivalence.equivalent("(10^{12})!", "3", { symbolicTimeLimitMillis: 200 })).toBe(false)
    // A fresh worker takes over.
    expect(Equivalence.equivalent("(x+1)^2", "x^2+2x+1")).toBe(true)
  })

  it("counts at least 400 hand-written cases, both equal and not equal", () => {
    const equal = equivalence.filter(([, , expected]) => expected).length
    expect(extraction.length + normalization.length + equivalence.length + responses.length).toBeGreaterThanOrEqual(400)
    expect(equal).toBeGreaterThan(100)
    expect(equivalence.length - equal).toBeGreaterThan(100)
  })
})

describe("Grader.grade on whole responses", () => {
  it.each(responses)("grade(%j, %j).correct is %s", (response, reference, expected) => {
    expect(Grader.grade(response, reference).correct).toBe(expected)
  })

  it("reads an answer holding several boxes as its last box, against any reference", () => {
    expect(Grader.isCorrect("\\boxed{1} and \\boxed{2}", "1, 2")).toBe(false)
    expect(Grader.isCorrect("\\boxed{1} and \\boxed{2}", "2")).toBe(true)
    expect(Grader.isCorrect("\\boxed{1} and \\boxed{2}", "1")).toBe(false)
    expect(Grader.grade("\\boxed{1} and \\boxed{2}", "1,2").extracted).toBe("2")
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
