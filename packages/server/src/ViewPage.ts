import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"

/**
 * The tree view: one self-contained HTML page (no request leaves the server it came from) that draws a run's
 * search tree as it grows, from the run's event stream, or from a saved tree file. d3-hierarchy lays the tree out;
 * its UMD build and the page's script (`assets/view.js`) are inlined, allowed by their hashes in the page's
 * Content-Security-Policy.
 */

const style = `
:root { font: 13px/1.4 system-ui, sans-serif; color: #102a43; background: #f8fafc; }
body { margin: 0; display: grid; grid-template-columns: 340px 1fr; min-height: 100vh; }
aside { padding: 12px 14px; border-right: 1px solid #d9e2ec; background: #fff; overflow: auto; }
main { overflow: auto; padding: 8px; }
#tree { height: auto; }
#run-strategy { font-size: 11px; color: #486581; }
h1 { font-size: 16px; margin: 0 0 8px; }
h2 { font-size: 13px; margin: 14px 0 6px; color: #486581; text-transform: uppercase; letter-spacing: .04em; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 0; }
dt { color: #627d98; } dd { margin: 0; word-break: break-word; }
.controls { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.controls select, .controls input[type=password] { flex: 1 1 100%; }
.budget-row { display: grid; grid-template-columns: 100px 1fr auto; gap: 6px; align-items: center; margin: 3px 0; }
.bar { display: flex; height: 10px; background: #e4e7eb; border-radius: 3px; overflow: hidden; }
.segment.input { background: #2f80ed; } .segment.output { background: #0b5394; } .segment.spent { background: #0b5394; }
.segment.verifier { background: #8e44ad; }
.segment.reserved { background: repeating-linear-gradient(45deg, #f0b429, #f0b429 3px, #fce588 3px, #fce588 6px); }
.budget-value { font-variant-numeric: tabular-nums; }
.bar.unlimited { background: none; }
#by-depth { margin-top: 4px; color: #486581; font-size: 12px; font-variant-numeric: tabular-nums; }
.legend span { display: inline-block; margin-right: 8px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: middle; margin-right: 3px; }
#node-detail { white-space: pre-wrap; background: #f0f4f8; padding: 6px; border-radius: 4px; min-height: 2em; }
.link { fill: none; stroke: #bcccdc; stroke-width: 1.2; } .link.best { stroke: #f0b429; stroke-width: 3; }
.node { cursor: pointer; } .node circle, .node rect { stroke: #fff; stroke-width: 1; }
.node.best circle, .node.best rect { stroke: #f0b429; stroke-width: 3; }
.node.pruned circle, .node.dropped circle { opacity: .35; stroke: #627d98; stroke-dasharray: 2 2; }
.node.resampled circle { stroke: #102a43; stroke-width: 2; }
.label { font-size: 10px; fill: #334e68; }
`

const body = `
<aside>
  <h1>stepwise · search tree</h1>
  <div class="controls">
    <select id="runs" aria-label="runs"></select>
    <input id="key" type="password" placeholder="API key (kept in this tab only)" aria-label="API key" />
    <button id="save" type="button">Save tree</button>
    <label>Open… <input id="open" type="file" accept="application/json,.json" /></label>
  </div>
  <h2>Budget</h2>
  <div id="budget"></div>
  <div class="legend">
    <span><i class="swatch" style="background:#2f80ed"></i>policy input</span>
    <span><i class="swatch" style="background:#0b5394"></i>policy output</span>
    <span><i class="swatch" style="background:#8e44ad"></i>verifier</span>
    <span><i class="swatch" style="background:#f0b429"></i>reserved (in flight)</span>
  </div>
  <h2>Tree</h2>
  <dl>
    <dt>nodes</dt><dd id="node-count">0</dd>
    <dt>finished</dt><dd id="finished-count">0</dd>
    <dt>pruned or dropped</dt><dd id="pruned-count">0</dd>
    <dt>resamplings</dt><dd id="resample-count">0</dd>
    <dt>policy tokens in the tree</dt><dd id="tree-tokens">0</dd>
  </dl>
  <div id="by-depth"></div>
  <h2>Run</h2>
  <dl>
    <dt>id</dt><dd id="run-id">–</dd>
    <dt>strategy</dt><dd id="run-strategy">–</dd>
    <dt>question</dt><dd id="run-question"></dd>
    <dt>status</dt><dd id="run-status">–</dd>
    <dt>answer</dt><dd id="run-answer">–</dd>
    <dt>source</dt><dd id="run-source"></dd>
    <dt></dt><dd id="run-exhausted"></dd>
  </dl>
  <h2>Node</h2>
  <div id="node-detail">Click a node to read its step.</div>
  <h2>Key</h2>
  <div class="legend">
    <span>● open step (colour: score, red 0 → green 1)</span><span>■ finished</span><span>dashed: pruned or dropped</span>
    <span>gold: the answer's path</span><span>dark ring: resampled</span><span>size: output tokens</span>
  </div>
</aside>
<main><svg id="tree" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="search tree"></svg></main>
`

const hash = (script: string) => `'sha256-${createHash("sha256").update(script, "utf8").digest("base64")}'`

const assets = Effect.promise(async () => {
  const here = dirname(fileURLToPath(import.meta.url))
  const d3 = join(dirname(createRequire(import.meta.url).resolve("d3-hierarchy")), "d3-hierarchy.min.js")
  const [layout, view] = await Promise.all([readFile(d3, "utf8"), readFile(join(here, "..", "assets", "view.js"), "utf8")])
  // Inlined as they are: a closing tag inside would end the script early.
  if (/<\/script/i.test(layout + view)) throw new Error("an inlined script contains </script")
  return { layout, view }
})

const page = Effect.map(assets, ({ layout, view }) => ({
  html: `<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
<title>stepwise · search tree</title><link rel="icon" href="data:," /><style>${style}</style>
<script>${layout}</script>
<script>${view}</script>
</head><body data-status="idle">${body}</body></html>`,
  scripts: [layout, view].map(hash).join(" ")
}))

const cached = Effect.runSync(Effect.cached(page))

/** The page's HTML (read once, then kept). */
export const html: Effect.Effect<string> = Effect.map(cached, (made) => made.html)

/**
 * The page's Content-Security-Policy: its two inline scripts by hash, its inline styles, and requests only to the
 * server it came from.
 */
export const contentSecurityPolicy: Effect.Effect<string> = Effect.map(
  cached,
  (made) => `default-src 'none'; script-src ${made.scripts}; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'`
)
