import { ComputeEngine } from "@cortex-js/compute-engine"
const ce = new ComputeEngine()
for (const s of ["2x+4y-3=0", "y=-\\frac12x+\\frac34", "x \\geq 5", "5 \\le x", "\\frac{\\sqrt3}{2}", "\\cfrac{1}{2}", "x\\neq 3", "1 \\pm \\sqrt{19}", "\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]"]) {
  const e = ce.parse(s)
  console.log(s, "=>", JSON.stringify(e.json), e.isValid, [...(e.unknowns ?? [])], e.operator)
}
const a = ce.parse("2x+4y-3")
console.log(a.subs({x: 0.7, y: 1.3}).N().re)
