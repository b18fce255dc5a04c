// The stepwise tree view: draws a search tree as it grows, from a run's event stream (GET /v1/runs/<id>/events,
// server-sent events) or from a saved tree file (format "stepwise-tree"). Laid out with d3-hierarchy's tree layout
// (the global `d3`, inlined by the server). Model text is only ever set as text, never as markup.
;(function () {
  "use strict"

  var svgNs = "http://www.w3.org/2000/svg"
  var resources = ["totalTokens", "inputTokens", "outputTokens", "verifierCalls", "verifierTokens", "cost"]
  var state = freshState()
  var pending = false
  var controller = undefined

  function freshState() {
    return { run: undefined, entries: [], end: undefined, truncated: false, source: "" }
  }

  function byId(id) {
    return document.getElementById(id)
  }

  function setText(id, text) {
    var element = byId(id)
    if (element) element.textContent = text
  }

  function keyHeader() {
    var key = sessionStorage.getItem("stepwise-key") || ""
    return key === "" ? {} : { authorization: "Bearer " + key }
  }

  function formatNumber(value) {
    if (value === undefined || value === null) return "–"
    if (!isFinite(value)) return "∞"
    return Math.round(value * 1000) / 1000 + ""
  }

  // ---- folding events into a tree -------------------------------------------------------------------------------

  function fold(entries, end) {
    var searches = []
    var current = undefined
    var resamples = 0
    var exhausted = undefined
    function start(strategy) {
      current = { strategy: strategy, nodes: new Map() }
      current.nodes.set(0, { id: 0, parentId: undefined, text: "", depth: 0, score: undefined, finished: false, expanded: 0, input: 0, output: 0, kept: 0, dropped: false })
      searches.push(current)
    }
    entries.forEach(function (entry) {
      var event = entry.event
      if (event._tag === "search-start" || current === undefined) start(event.strategy || "search")
      if (event._tag === "step-generate") {
        var parent = current.nodes.get(event.parentId)
        current.nodes.set(event.nodeId, {
          id: event.nodeId,
          parentId: event.parentId,
          text: event.text,
          depth: parent ? parent.depth + 1 : 1,
          score: undefined,
          finished: event.finished === true,
          expanded: 0,
          input: (event.usage && event.usage.inputTokens) || 0,
          output: (event.usage && event.usage.outputTokens) || 0,
          kept: 0,
          dropped: false
        })
      } else if (event._tag === "step-score") {
        var scored = current.nodes.get(event.nodeId)
        if (scored) scored.score = event.score
      } else if (event._tag === "node-expand") {
        var grown = current.nodes.get(event.nodeId)
        if (grown) grown.expanded += 1
      } else if (event._tag === "budget-exhaust") {
        exhausted = event.resource
      } else if (event._tag === "strategy-event" && event.name === "particle-resample" && event.detail && event.detail.pool) {
        resamples += 1
        var pool = event.detail.pool
        var survivors = event.detail.survivors || []
        var chosen = new Set(survivors.map(function (index) { return pool[index] }))
        pool.forEach(function (id) {
          var node = current.nodes.get(id)
          if (!node) return
          if (chosen.has(id)) node.kept += survivors.filter(function (index) { return pool[index] === id }).length
          else if (!node.finished) node.dropped = true
        })
      }
    })
    // Once the run ended, an unfinished node that was never grown was pruned; when it was interrupted or failed, only
    // one above the deepest level its search reached (the nodes of the last level may have been in flight).
    if (end !== undefined)
      searches.forEach(function (search) {
        var parents = new Set()
        var deepest = 0
        search.nodes.forEach(function (node) {
          parents.add(node.parentId)
          deepest = Math.max(deepest, node.depth)
        })
        var cut = end.status === "interrupted" || end.status === "failed"
        search.nodes.forEach(function (node) {
          if (node.id !== 0 && !node.finished && !parents.has(node.id) && (!cut || node.depth < deepest)) node.pruned = true
        })
      })
    return { searches: searches, resamples: resamples, exhausted: exhausted }
  }

  // ---- drawing ---------------------------------------------------------------------------------------------------

  function colourOf(score) {
    if (score === undefined) return "#9aa5b1"
    var hue = Math.round(score * 120)
    return "hsl(" + hue + ", 65%, 45%)"
  }

  function element(name, attributes, parent) {
    var made = document.createElementNS(svgNs, name)
    Object.keys(attributes).forEach(function (key) { made.setAttribute(key, String(attributes[key])) })
    if (parent) parent.appendChild(made)
    return made
  }

  function drawTree(folded) {
    var svg = byId("tree")
    while (svg.firstChild) svg.removeChild(svg.firstChild)
    var bestPath = new Set((state.end && state.end.bestPath) || [])
    var last = folded.searches.length - 1
    var items = []
    folded.searches.forEach(function (search, index) {
      search.nodes.forEach(function (node) {
        items.push({ key: index + ":" + node.id, parent: node.id === 0 ? (folded.searches.length > 1 ? "top" : "") : index + ":" + node.parentId, node: node, search: index })
      })
    })
    if (folded.searches.length > 1) items.unshift({ key: "top", parent: "", node: undefined, search: -1 })
    if (items.length === 0) return
    var known = new Set(items.map(function (item) { return item.key }))
    items = items.filter(function (item) { return item.parent === "" || known.has(item.parent) })
    var root
    try {
      root = d3.stratify().id(function (item) { return item.key }).parentId(function (item) { return item.parent === "" ? null : item.parent })(items)
    } catch (error) {
      // A file whose nodes do not form a tree (a cycle, two roots): said, where the page stopped drawing for good.
      setText("run-status", "the tree cannot be drawn: " + error.message)
      return
    }
    var dx = 18
    var dy = 150
    d3.tree().nodeSize([dx, dy])(root)
    var minX = Infinity
    var maxX = -Infinity
    var maxY = 0
    root.each(function (point) {
      minX = Math.min(minX, point.x)
      maxX = Math.max(maxX, point.x)
      maxY = Math.max(maxY, point.y)
    })
    var margin = 24
    var width = maxY + dy + margin * 2
    var height = maxX - minX + margin * 2
    svg.setAttribute("viewBox", [-margin, minX - margin, width, height].join(" "))
    svg.setAttribute("width", String(width))
    svg.setAttribute("height", String(Math.max(height, 120)))
    var links = element("g", { class: "links" }, svg)
    root.links().forEach(function (link) {
      var source = link.source
      var target = link.target
      var onPath = target.data.node && target.data.search === last && bestPath.has(target.data.node.id)
      element("path", {
        d: "M" + source.y + "," + source.x + "C" + (source.y + target.y) / 2 + "," + source.x + " " + (source.y + target.y) / 2 + "," + target.x + " " + target.y + "," + target.x,
        class: "link" + (onPath ? " best" : "")
      }, links)
    })
    var nodes = element("g", { class: "nodes" }, svg)
    root.each(function (point) {
      var node = point.data.node
      if (node === undefined) return
      var classes = ["node"]
      if (node.id === 0) classes.push("root")
      if (node.finished) classes.push("finished")
      if (node.pruned) classes.push("pruned")
      if (node.dropped) classes.push("dropped")
      if (node.kept > 1) classes.push("resampled")
      if (point.data.search === last && bestPath.has(node.id)) classes.push("best")
      var group = element("g", { class: classes.join(" "), transform: "translate(" + point.y + "," + point.x + ")", "data-node": point.data.key }, nodes)
      var radius = node.id === 0 ? 6 : 3 + Math.min(6, Math.sqrt(node.output) / 3)
      if (node.finished) element("rect", { x: -radius, y: -radius, width: radius * 2, height: radius * 2, fill: colourOf(node.score) }, group)
      else element("circle", { r: radius, fill: node.id === 0 ? "#334e68" : colourOf(node.score) }, group)
      var title = element("title", {}, group)
      title.textContent =
        (node.id === 0 ? "root (the prompt)" : "node " + node.id + " · depth " + node.depth) +
        (node.score === undefined ? "" : " · score " + formatNumber(node.score)) +
        (node.id === 0 ? "" : " · " + node.input + " input + " + node.output + " output tokens") +
        (node.kept > 1 ? " · resampled ×" + node.kept : "") +
        (node.dropped ? " · dropped by resampling" : "") +
        (node.pruned ? " · pruned" : "") +
        (node.text ? "\n\n" + node.text : "")
      if (node.id !== 0) {
        var label = element("text", { x: radius + 3, y: 3, class: "label" }, group)
        var answer = node.finished ? /\\boxed\{([^{}]*)\}/.exec(node.text) : null
        label.textContent = (node.score === undefined ? "" : formatNumber(node.score)) + (answer ? " → " + answer[1] : "")
      }
      group.addEventListener("click", function () { showNode(node) })
    })
  }

  function showNode(node) {
    setText("node-detail", node.id === 0 ? "The root: the prompt." : "Node " + node.id + " (depth " + node.depth + ", score " + formatNumber(node.score) + ", " + node.input + " input + " + node.output + " output tokens)\n\n" + node.text)
  }

  function drawBudget(folded) {
    var limits = (state.run && state.run.limits) || {}
    var latest = state.end ? state.end.spent : state.entries.length > 0 ? state.entries[state.entries.length - 1].spent : undefined
    var reserved = state.end ? undefined : state.entries.length > 0 ? state.entries[state.entries.length - 1].reserved : undefined
    var table = byId("budget")
    while (table.firstChild) table.removeChild(table.firstChild)
    resources.forEach(function (resource) {
      var spent = latest ? latest[resource] : 0
      var held = reserved ? reserved[resource] : 0
      var limit = limits[resource]
      var row = document.createElement("div")
      row.className = "budget-row"
      row.setAttribute("data-resource", resource)
      var name = document.createElement("span")
      name.className = "budget-name"
      name.textContent = resource
      var bar = document.createElement("span")
      bar.className = "bar"
      // Bars only against a limit: an unlimited resource shows its count alone.
      if (limit !== undefined) {
        var whole = limit > 0 ? limit : 1
        if (resource === "totalTokens" && latest) {
          addSegment(bar, "input", latest.inputTokens / whole)
          addSegment(bar, "output", latest.outputTokens / whole)
        } else addSegment(bar, resource === "verifierTokens" || resource === "verifierCalls" ? "verifier" : "spent", spent / whole)
        addSegment(bar, "reserved", held / whole)
      } else bar.className = "bar unlimited"
      var value = document.createElement("span")
      value.className = "budget-value"
      value.id = "spent-" + resource
      value.textContent = formatNumber(spent) + (limit === undefined ? "" : " / " + formatNumber(limit))
      if (limit === undefined) value.title = "no limit"
      row.appendChild(name)
      row.appendChild(bar)
      row.appendChild(value)
      table.appendChild(row)
    })
    // Where the policy's tokens went, depth by depth (the verifier's are in the bars above).
    var policy = 0
    var depths = []
    folded.searches.forEach(function (search) {
      search.nodes.forEach(function (node) {
        policy += node.input + node.output
        if (node.id === 0) return
        var row = depths[node.depth] || (depths[node.depth] = { nodes: 0, input: 0, output: 0 })
        row.nodes += 1
        row.input += node.input
        row.output += node.output
      })
    })
    setText("tree-tokens", formatNumber(policy))
    var list = byId("by-depth")
    while (list.firstChild) list.removeChild(list.firstChild)
    depths.forEach(function (row, depth) {
      if (!row) return
      var line = document.createElement("div")
      line.className = "depth-row"
      line.textContent = "depth " + depth + ": " + row.nodes + " step" + (row.nodes === 1 ? "" : "s") + ", " + row.input + " in + " + row.output + " out"
      list.appendChild(line)
    })
  }

  function addSegment(bar, kind, fraction) {
    if (!(fraction > 0)) return
    var segment = document.createElement("span")
    segment.className = "segment " + kind
    segment.style.width = Math.min(100, fraction * 100) + "%"
    bar.appendChild(segment)
  }

  function render() {
    pending = false
    var started = performance.now()
    var folded = fold(state.entries, state.end)
    var count = 0
    var finished = 0
    var pruned = 0
    var best = undefined
    folded.searches.forEach(function (search) {
      search.nodes.forEach(function (node) {
        count += 1
        if (node.finished) {
          finished += 1
          var answer = /\\boxed\{([^{}]*)\}/.exec(node.text)
          if (answer && (best === undefined || (node.score || -1) > (best.score || -1))) best = { answer: answer[1], score: node.score }
        }
        if (node.pruned || node.dropped) pruned += 1
      })
    })
    setText("node-count", String(count))
    setText("finished-count", String(finished))
    setText("pruned-count", String(pruned))
    setText("resample-count", String(folded.resamples))
    setText("run-id", state.run ? state.run.id : "–")
    setText("run-strategy", state.run ? state.run.strategy + " " + JSON.stringify(state.run.options).replace(/,"/g, ', "') : "–")
    setText("run-question", state.run ? state.run.question : "")
    setText("run-status", state.end ? state.end.status + (state.end.detail ? " (" + state.end.detail + ")" : "") : state.run ? "running" : "–")
    setText(
      "run-answer",
      state.end
        ? state.end.answer !== undefined
          ? state.end.answer
          : "none" + (best ? " (its best-scored finished candidate: " + best.answer + ")" : "")
        : best
          ? best.answer + " (best so far)"
          : "–"
    )
    setText("run-source", state.source)
    setText(
      "run-exhausted",
      [
        folded.exhausted ? "budget ended: " + folded.exhausted : "",
        state.truncated ? "only the first " + state.entries.length + " events are kept: the tree shows the run up to there" : ""
      ].filter(function (text) { return text !== "" }).join("; ")
    )
    drawTree(folded)
    drawBudget(folded)
    document.body.setAttribute("data-status", state.end ? "ended" : state.run ? "running" : "idle")
    lastRenderMillis = performance.now() - started
    lastRenderEnded = performance.now()
  }

  // A render redraws the whole tree: on a large live run, each takes long enough that rendering on every frame left
  // the page no time to answer (a 9,700-node run stalled it for seconds). The next render waits as long as the last
  // one took, so the page is idle at least half the time, whatever the tree's size.
  var lastRenderMillis = 0
  var lastRenderEnded = 0

  function schedule() {
    if (pending) return
    pending = true
    var wait = Math.max(0, lastRenderEnded + lastRenderMillis - performance.now())
    if (wait === 0) requestAnimationFrame(render)
    else setTimeout(function () { requestAnimationFrame(render) }, wait)
  }

  // ---- sources: a live run, a saved file -------------------------------------------------------------------------

  function withoutType(item) {
    var copy = {}
    Object.keys(item).forEach(function (key) { if (key !== "type") copy[key] = item[key] })
    return copy
  }

  function take(item) {
    if (item.type === "run") state.run = item.run
    else if (item.type === "event") state.entries.push(withoutType(item))
    else if (item.type === "truncated") state.truncated = true
    else if (item.type === "end") state.end = withoutType(item)
    schedule()
  }

  function follow(id) {
    if (controller) controller.abort()
    controller = new AbortController()
    state = freshState()
    state.source = "live: run " + id
    schedule()
    fetch("/v1/runs/" + encodeURIComponent(id) + "/events", { headers: keyHeader(), signal: controller.signal })
      .then(function (response) {
        if (!response.ok) return response.text().then(function (text) { throw new Error(response.status + " " + text) })
        var reader = response.body.getReader()
        var decoder = new TextDecoder()
        var buffer = ""
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return
            buffer += decoder.decode(chunk.value, { stream: true })
            var parts = buffer.split("\n\n")
            buffer = parts.pop()
            parts.forEach(function (part) {
              var line = part.split("\n").filter(function (each) { return each.indexOf("data: ") === 0 })[0]
              if (line) take(JSON.parse(line.slice(6)))
            })
            return pump()
          })
        }
        return pump()
      })
      .catch(function (error) {
        if (error.name !== "AbortError") setText("run-status", "could not follow the run: " + error.message)
      })
  }

  function open(file) {
    if (controller) controller.abort()
    file.text().then(function (text) {
      var saved = JSON.parse(text)
      if (saved.format !== "stepwise-tree") throw new Error("not a stepwise tree file")
      state = { run: saved.run, entries: saved.events, end: saved.end, truncated: saved.truncated, source: "file: " + file.name }
      schedule()
    }).catch(function (error) { setText("run-status", "could not open the file: " + error.message) })
  }

  function save() {
    if (!state.run) return
    var saved = { format: "stepwise-tree", version: 1, run: state.run, events: state.entries, end: state.end, truncated: state.truncated }
    var blob = new Blob([JSON.stringify(saved)], { type: "application/json" })
    var link = document.createElement("a")
    link.href = URL.createObjectURL(blob)
    link.download = "tree-" + state.run.id + ".json"
    document.body.appendChild(link)
    link.click()
    link.remove()
  }

  function listRuns() {
    fetch("/v1/runs", { headers: keyHeader() })
      .then(function (response) { return response.ok ? response.json() : { data: [] } })
      .then(function (list) {
        var select = byId("runs")
        var chosen = select.value
        while (select.firstChild) select.removeChild(select.firstChild)
        var none = document.createElement("option")
        none.value = ""
        none.textContent = list.data.length === 0 ? "no runs yet" : "choose a run…"
        select.appendChild(none)
        list.data.forEach(function (run) {
          var option = document.createElement("option")
          option.value = run.id
          option.textContent = run.strategy + " · " + run.status + " · " + run.question.slice(0, 60)
          select.appendChild(option)
        })
        select.value = chosen
      })
      .catch(function () {})
  }

  document.addEventListener("DOMContentLoaded", function () {
    byId("save").addEventListener("click", save)
    byId("open").addEventListener("change", function (event) {
      var file = event.target.files && event.target.files[0]
      if (file) open(file)
    })
    byId("runs").addEventListener("change", function (event) {
      if (event.target.value) {
        history.replaceState(null, "", "?run=" + encodeURIComponent(event.target.value))
        follow(event.target.value)
      }
    })
    byId("key").value = sessionStorage.getItem("stepwise-key") || ""
    byId("key").addEventListener("change", function (event) {
      sessionStorage.setItem("stepwise-key", event.target.value)
      listRuns()
      // The run the page was opened on is followed again with the key (without one, a keyed server refused it).
      var shown = new URLSearchParams(location.search).get("run")
      if (shown) follow(shown)
    })
    var requested = new URLSearchParams(location.search).get("run")
    if (requested) follow(requested)
    listRuns()
    setInterval(listRuns, 3000)
    render()
  })
})()
