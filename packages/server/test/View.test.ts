import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Browser } from "playwright-core"
import { chromium } from "playwright-core"
import type { Server } from "../src/index.js"
import * as Served from "./fixtures/Served.js"

// The tree view in a real browser: Debian's chromium, driven headless by playwright-core (no browser download).
// CI installs it (.ci/run); where it is missing the test is skipped, saying why.

/** The browser: `STEPWISE_CHROMIUM`, else the first `chromium` on the PATH, else Debian's `/usr/bin/chromium`. */
const onPath = (process.env["PATH"] ?? "")
  .split(delimiter)
  .filter((folder) => folder !== "")
  .map((folder) => join(folder, "chromium"))
  .find((candidate) => existsSync(candidate))
const executable = process.env["STEPWISE_CHROMIUM"] ?? onPath ?? "/usr/bin/chromium"
const present = existsSync(executable)
const skipReason = `no chromium browser at ${executable} nor on the PATH (install Debian's chromium: apt-get install chromium; or set STEPWISE_CHROMIUM)`
if (!present) console.warn(`View.test.ts skipped: ${skipReason}`)

interface TreeFile {
  readonly run: { readonly id: string }
  readonly events: ReadonlyArray<{ readonly event: { readonly _tag: string } }>
  readonly end: { readonly status: string; readonly spent: Record<string, number> }
}

let browser: Browser
let server: Server.Handle
let questions: ReadonlyArray<string>

beforeAll(async () => {
  if (!present) return
  browser = await chromium.launch({ executablePath: executable, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] })
  const started = await Served.start({ latency: { timeToFirstTokenMillis: 5, millisPerOutputToken: 0 } })
  server = started.server
  questions = Served.problems(started.world, 3).map((problem) => problem.question)
})

afterAll(async () => {
  if (!present) return
  await browser.close()
  await server.close()
})

const ask = (question: string, body: Record<string, unknown>) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: question }], ...body })
  })

describe.skipIf(!present)(`the tree view in chromium${present ? "" : ` — skipped: ${skipReason}`}`, () => {
  it("draws a finished run's nodes and shows the spend the API reported; saves the tree and reopens it", async () => {
    const response = (await (
      await ask(questions[0]!, { model: "beam-search:stepwise-sim", stepwise: { options: { beams: 4, width: 2 }, budget: { totalTokens: 4000, verifierCalls: 40 } } })
    ).json()) as { id: string; usage: { stepwise: { policy_tokens: number; verifier_calls: number; verifier_tokens: number } } }
    const tree = (await (await fetch(`${server.url}/v1/runs/${response.id}`)).json()) as TreeFile
    const nodes = 1 + tree.events.filter((entry) => entry.event._tag === "step-generate").length

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })
    const problems: Array<string> = []
    page.on("pageerror", (error) => problems.push(error.message))
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text())
    })
    await page.goto(`${server.url}/view?run=${response.id}`)
    await page.waitForSelector("body[data-status=ended]")
    expect(await page.textContent("#node-count")).toBe(String(nodes))
    expect(await page.locator("svg#tree g.node").count()).toBe(nodes)
    // Beam search keeps 4 of its 8 children a round: a run that ended on its own has pruned nodes.
    expect(Number(await page.textContent("#pruned-count"))).toBeGreaterThan(0)
    expect(await page.textContent("#spent-totalTokens")).toBe(`${response.usage.stepwise.policy_tokens} / 4000`)
    expect(await page.textContent("#spent-verifierCalls")).toBe(`${response.usage.stepwise.verifier_calls} / 40`)
    expect(await page.textContent("#spent-verifierTokens")).toBe(`${response.usage.stepwise.verifier_tokens} / 100000`)
    expect(await page.textContent("#run-status")).toContain(tree.end.status)
    if (tree.end.status === "answered") expect(await page.locator("svg#tree g.node.best").count()).toBeGreaterThan(1)

    const screenshot = process.env["STEPWISE_TREE_SCREENSHOT"] ?? join(tmpdir(), `stepwise-tree-view-${process.pid}.png`)
    mkdirSync(dirname(screenshot), { recursive: true })
    await page.screenshot({ path: screenshot, fullPage: false })
    expect(readFileSync(screenshot).subarray(1, 4).toString("latin1")).toBe("PNG")

    // Save, then reopen the saved file in a fresh page: the same tree and spend.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")])
    const saved = join(tmpdir(), `stepwise-tree-${process.pid}.json`)
    await download.saveAs(saved)
    const savedFile = JSON.parse(readFileSync(saved, "utf8")) as TreeFile
    expect(savedFile).toEqual(tree)
    const reopened = await browser.newPage()
    await reopened.goto(`${server.url}/view`)
    await reopened.setInputFiles("#open", saved)
    await reopened.waitForSelector("body[data-status=ended]")
    expect(await reopened.textContent("#node-count")).toBe(String(nodes))
    expect(await reopened.textContent("#spent-totalTokens")).toBe(`${response.usage.stepwise.policy_tokens} / 4000`)
    expect(await reopened.textContent("#run-source")).toContain("file:")
    expect(await reopened.textContent("#run-exhausted")).not.toContain("events are kept")
    // A run whose events passed the cap says so, where it showed a smaller tree as if whole.
    const cut = join(tmpdir(), `stepwise-tree-cut-${process.pid}.json`)
    writeFileSync(cut, JSON.stringify({ ...savedFile, events: savedFile.events.slice(0, 5), truncated: true }))
    const truncated = await browser.newPage()
    await truncated.goto(`${server.url}/view`)
    await truncated.setInputFiles("#open", cut)
    await truncated.waitForSelector("body[data-status=ended]")
    expect(await truncated.textContent("#run-exhausted")).toContain("only the first 5 events are kept")
    await truncated.close()
    // An interrupted run's nodes still in flight are not drawn as pruned, and a run that ended without an answer says
    // none (it showed the best candidate "so far").
    const interrupted = join(tmpdir(), `stepwise-tree-interrupted-${process.pid}.json`)
    const { answer: _answer, bestPath: _path, ...endWithout } = savedFile.end as TreeFile["end"] & { answer?: string; bestPath?: ReadonlyArray<number> }
    writeFileSync(interrupted, JSON.stringify({ ...savedFile, end: { ...endWithout, status: "interrupted" } }))
    const stopped = await browser.newPage()
    await stopped.goto(`${server.url}/view`)
    await stopped.setInputFiles("#open", interrupted)
    await stopped.waitForSelector("body[data-status=ended]")
    expect(await stopped.textContent("#run-answer")).toMatch(/^none/)
    // A small tree: the root's two children, one grown into two more. Ended, the three never grown were pruned;
    // interrupted, only the one above the deepest level was (the deepest two may have been in flight).
    const generated = (nodeId: number, parentId: number) => ({
      index: nodeId,
      at: nodeId,
      event: { _tag: "step-generate", nodeId, parentId, text: `## Step: ${nodeId}.`, finished: false, usage: { inputTokens: 1, outputTokens: 1 } },
      spent: savedFile.end.spent,
      reserved: savedFile.end.spent
    })
    const small = [
      { index: 0, at: 0, event: { _tag: "search-start", strategy: "beam-search", problemId: "p" }, spent: savedFile.end.spent, reserved: savedFile.end.spent },
      generated(1, 0),
      generated(2, 0),
      generated(3, 1),
      generated(4, 1)
    ]
    for (const [status, pruned] of [["no-answer", "3"], ["interrupted", "1"]] as const) {
      const file = join(tmpdir(), `stepwise-tree-small-${status}-${process.pid}.json`)
      writeFileSync(file, JSON.stringify({ ...savedFile, events: small, end: { ...endWithout, status }, truncated: false }))
      await stopped.goto(`${server.url}/view`)
      await stopped.setInputFiles("#open", file)
      await stopped.waitForSelector("body[data-status=ended]")
      expect(await stopped.textContent("#pruned-count"), status).toBe(pruned)
    }
    // A file whose nodes form a cycle says it cannot be drawn (an uncaught error left the page stuck).
    const cycle = join(tmpdir(), `stepwise-tree-cycle-${process.pid}.json`)
    writeFileSync(cycle, JSON.stringify({ ...savedFile, events: [small[0], generated(1, 2), generated(2, 1)], end: { ...endWithout, status: "no-answer" }, truncated: false }))
    await stopped.goto(`${server.url}/view`)
    await stopped.setInputFiles("#open", cycle)
    await stopped.locator("#run-status", { hasText: "the tree cannot be drawn" }).waitFor({ timeout: 10_000 })
    expect(await stopped.textContent("#run-answer")).toMatch(/^none/)
    await stopped.close()
    // A deep tree is drawn at its size and scrolled, not shrunk to the pane (40 steps made its labels 1 px tall).
    const deep = join(tmpdir(), `stepwise-tree-deep-${process.pid}.json`)
    const chain = Array.from({ length: 40 }, (_, step) => ({
      index: step + 1,
      at: step,
      event: { _tag: "step-generate", nodeId: step + 1, parentId: step, text: `## Step ${step + 1}: more.`, finished: step === 39, usage: { inputTokens: 10, outputTokens: 10 } },
      spent: savedFile.end.spent,
      reserved: savedFile.end.spent
    }))
    const start = { index: 0, at: 0, event: { _tag: "search-start", strategy: "beam-search", problemId: "p" }, spent: savedFile.end.spent, reserved: savedFile.end.spent }
    writeFileSync(deep, JSON.stringify({ ...savedFile, events: [start, ...chain], truncated: false }))
    const tall = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await tall.goto(`${server.url}/view`)
    await tall.setInputFiles("#open", deep)
    await tall.waitForSelector("body[data-status=ended]")
    const drawn = await tall.locator("svg#tree").evaluate((svg) => ({
      attribute: Number(svg.getAttribute("width")),
      shown: svg.getBoundingClientRect().width
    }))
    expect(drawn.attribute).toBeGreaterThan(40 * 150)
    expect(drawn.shown).toBeCloseTo(drawn.attribute, 0)
    await tall.close()
    expect(problems, "no script errors (and no Content-Security-Policy refusals)").toEqual([])
    await page.close()
    await reopened.close()
  })

  it("on a server with API keys, follows the run it was opened on once a key is typed (it stayed refused)", async () => {
    const keyed = await Served.start({ apiKeys: ["view-key"] })
    try {
      const response = await fetch(`${keyed.server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer view-key" },
        body: JSON.stringify({ messages: [{ role: "user", content: questions[2]! }], model: "best-of-n:stepwise-sim", stepwise: { options: { n: 2 } } })
      })
      const { id } = (await response.json()) as { id: string }
      const page = await browser.newPage()
      await page.goto(`${keyed.server.url}/view?run=${id}`)
      await page.locator("#run-status", { hasText: "401" }).waitFor()
      await page.fill("#key", "view-key")
      await page.dispatchEvent("#key", "change")
      await page.waitForSelector("body[data-status=ended]", { timeout: 10_000 })
      expect(await page.textContent("#run-id")).toBe(id)
      await page.close()
    } finally {
      await keyed.server.close()
    }
  })

  it("follows a run live while it grows, to its end", async () => {
    const streaming = await ask(questions[1]!, { model: "a-star:stepwise-sim", stream: true, stepwise: { options: { expansions: 2 }, budget: { totalTokens: 6000 } } })
    const reader = streaming.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    const id = /"id":"(chatcmpl-[0-9a-f]+)"/.exec(first)![1]!
    const page = await browser.newPage()
    await page.goto(`${server.url}/view?run=${id}`)
    let rest = ""
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value)
    expect(rest).toContain("data: [DONE]")
    await page.waitForSelector("body[data-status=ended]")
    const tree = (await (await fetch(`${server.url}/v1/runs/${id}`)).json()) as TreeFile
    expect(await page.textContent("#node-count")).toBe(String(1 + tree.events.filter((entry) => entry.event._tag === "step-generate").length))
    expect(await page.textContent("#spent-totalTokens")).toBe(`${tree.end.spent["totalTokens"]} / 6000`)
    await page.close()
  })
})
