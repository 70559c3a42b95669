// The page: settings, the event stream of a run, the UNet diagram with its SQL, the gallery.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let state = null;          // /api/state
let current = null;        // the model shown in the diagram
let job = null;            // {id, source}
let blockOf = [];          // statement index -> block name, for the model running
let times = {};            // block name -> seconds in the current pass
let lit = null;            // the block whose statement runs now

// ---- settings -------------------------------------------------------------------------------
const KARRAS = ["dpmpp-2m", "dpmpp-3m", "dpmpp-2m-sde", "unipc", "euler", "heun"];  // samplers with Karras sigmas

function showRows() {
  $("eta-row").hidden = $("sampler").value !== "ddim";
  $("karras-row").hidden = !KARRAS.includes($("sampler").value);
  $("steps-row").hidden = $("schedule").value !== "steps";
  $("timesteps-row").hidden = $("schedule").value !== "list";
}

function settings() {
  return {
    model: $("model").value, sampler: $("sampler").value, eta: Number($("eta").value),
    karras: KARRAS.includes($("sampler").value) && $("karras").checked,
    schedule: $("schedule").value, steps: $("steps").value, timesteps: $("timesteps").value,
    seed: $("seed").value, batch: $("batch").value,
  };
}

function fill(s) {
  for (const key of ["model", "sampler", "eta", "schedule", "steps", "timesteps", "seed", "batch"]) {
    if (s[key] !== undefined && s[key] !== null) $(key).value = Array.isArray(s[key]) ? s[key].join(",") : s[key];
  }
  if (s.karras !== undefined) $("karras").checked = Boolean(s.karras);
  showRows();
  showModel($("model").value);
}

// ---- a run ----------------------------------------------------------------------------------
async function generate(event) {
  if (event) event.preventDefault();
  $("error").textContent = "";
  const response = await fetch("/api/jobs", {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(settings()),
  });
  const body = await response.json();
  if (!response.ok) { $("error").textContent = body.error; return; }
  follow(body.id, $("model").value);
}

function follow(id, model) {
  if (job) job.source.close();
  showModel(model);
  const source = new EventSource(`/api/jobs/${id}/events`);
  job = {id, source};
  $("cancel").disabled = false;
  $("status").textContent = "Queued.";
  source.onmessage = (message) => handle(JSON.parse(message.data));
  source.onerror = () => { if (job && job.source === source && source.readyState === EventSource.CLOSED) finish(); };
}

function handle(e) {
  if (e.type === "queued") {
    $("status").textContent = e.place === 0 ? "Starting." : `Queued: place ${e.place} in line.`;
  } else if (e.type === "started") {
    $("status").textContent = `Running ${e.total} steps, ${e.statements} statements a pass.`;
    $("bar-fill").style.width = "0";
  } else if (e.type === "statement") {
    if (e.index === 0) { times = {}; for (const b of document.querySelectorAll(".block")) b.classList.remove("ran"); }
    light(e.module);
  } else if (e.type === "statement_done") {
    const name = blockOf[e.index];
    times[name] = (times[name] || 0) + e.seconds;
    const node = blockNode(name);
    if (node) { node.classList.add("ran"); node.querySelector(".time").textContent = ms(times[name]); }
  } else if (e.type === "step") {
    $("sample").src = e.sample;
    $("prediction").src = e.prediction;
    $("progress").textContent =
      `step ${e.index + 1}/${e.total}   t=${e.timestep}   ${e.elapsed.toFixed(1)} s elapsed, ${e.left.toFixed(1)} s left`;
    $("bar-fill").style.width = `${100 * (e.index + 1) / e.total}%`;
  } else if (e.type === "done") {
    light(null);
    $("status").textContent = `Done in ${e.seconds.toFixed(2)} s; saved in the gallery.`;
    finish();
    loadGallery(e.entry.id);
  } else if (e.type === "cancelled") {
    light(null);
    $("status").textContent = "Cancelled.";
    finish();
  } else if (e.type === "failed") {
    light(null);
    $("status").textContent = "Failed.";
    $("error").textContent = e.message;
    finish();
  }
}

function finish() {
  if (job) job.source.close();
  job = null;
  $("cancel").disabled = true;
}

async function cancel() {
  if (!job) return;
  await fetch(`/api/jobs/${job.id}/cancel`, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: "{}",
  });
}

function ms(seconds) {
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
}

// ---- the diagram ----------------------------------------------------------------------------
function blockNode(name) { return document.querySelector(`.block[data-name="${CSS.escape(name || "")}"]`); }

function light(name) {
  if (lit === name) return;
  if (lit) { const old = blockNode(lit); if (old) old.classList.remove("active"); }
  lit = name;
  if (name) { const node = blockNode(name); if (node) node.classList.add("active"); }
}

function showModel(key) {
  const model = state.models.find((m) => m.key === key);
  if (!model || current === model) return;
  current = model;
  blockOf = [];
  for (const block of model.diagram.blocks) for (const s of block.statements) blockOf[s.index] = block.name;
  drawDiagram(model.diagram);
  $("block-sql").innerHTML = "";
  $("program").textContent = "loading…";
  fetch(`/api/models/${state.models.indexOf(model)}/program`).then((r) => r.text()).then((text) => {
    $("program").textContent = text;
  });
}

function place(blocks) {
  // the U: input and down path on the left going down, the middle at the bottom, the up path on the
  // right going up to the output; the time embedding at the top between them
  const downs = blocks.filter((b) => b.kind === "down"), ups = blocks.filter((b) => b.kind === "up");
  const ins = blocks.filter((b) => b.kind === "in"), outs = blocks.filter((b) => b.kind === "out").reverse();
  const W = 190, H = 50, gap = 18, left = 10, right = 10 + 2 * (W + 60);
  const rows = Math.max(ins.length + downs.length, outs.length + ups.length);
  const at = {};
  ins.concat(downs).forEach((b, i) => { at[b.name] = {x: left, y: 10 + i * (H + gap)}; });
  outs.concat(ups.slice().reverse()).forEach((b, i) => {
    at[b.name] = {x: right, y: 10 + (rows - outs.length - ups.length + i) * (H + gap)};
  });
  const bottom = 10 + rows * (H + gap);
  for (const b of blocks) {
    if (b.kind === "mid") at[b.name] = {x: (left + right) / 2, y: bottom};
    else if (b.kind === "time") at[b.name] = {x: (left + right) / 2, y: 10};
    else if (!at[b.name]) at[b.name] = {x: (left + right) / 2, y: bottom + H + gap};
  }
  const others = blocks.some((b) => !["in", "down", "mid", "up", "out", "time"].includes(b.kind));
  return {at, W, H, width: right + W + 10, height: bottom + H + 10 + (others ? H + gap : 0)};
}

function el(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function drawDiagram(d) {
  const svg = $("diagram");
  svg.innerHTML = "";
  const {at, W, H, width, height} = place(d.blocks);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const defs = el("defs", {}, svg);
  const marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
                               orient: "auto-start-reverse"}, defs);
  el("path", {d: "M0,0 L10,5 L0,10 z", fill: "#868e96"}, marker);
  const centre = (n) => ({x: at[n].x + W / 2, y: at[n].y + H / 2});
  for (const [from, to] of d.skips) {      // skip connections
    const a = centre(from), b = centre(to);
    el("path", {class: "skip", d: `M${a.x + W / 2},${a.y} C${a.x + W},${a.y} ${b.x - W},${b.y} ${b.x - W / 2},${b.y}`}, svg);
  }
  const flow = d.blocks.filter((b) => b.kind !== "time");
  for (let i = 1; i < flow.length; i++) {  // the order a pass runs them in
    const a = centre(flow[i - 1].name), b = centre(flow[i].name);
    const down = b.y > a.y + 1, up = b.y < a.y - 1;
    const start = down ? {x: a.x, y: a.y + H / 2} : up ? {x: a.x, y: a.y - H / 2} : {x: a.x + W / 2, y: a.y};
    const end = down ? {x: b.x, y: b.y - H / 2} : up ? {x: b.x, y: b.y + H / 2} : {x: b.x - W / 2, y: b.y};
    if (Math.abs(a.x - b.x) > 1 && (down || up)) { // into or out of the middle: a bend
      el("path", {class: "flow", d: `M${start.x},${start.y} C${start.x},${end.y} ${start.x},${end.y} ${end.x + (b.x > a.x ? -W / 2 : W / 2)},${b.y}`}, svg);
    } else {
      el("line", {class: "flow", x1: start.x, y1: start.y, x2: end.x, y2: end.y}, svg);
    }
  }
  for (const block of d.blocks) {
    const g = el("g", {class: `block kind-${block.kind}`, "data-name": block.name, tabindex: 0,
                       transform: `translate(${at[block.name].x},${at[block.name].y})`}, svg);
    el("rect", {width: W, height: H}, g);
    const title = el("text", {x: 8, y: 17}, g);
    title.textContent = block.name;
    const sub = el("text", {x: 8, y: 31, class: "small"}, g);
    sub.textContent = `${block.type ? block.type + " " : ""}→ ${block.shape.join("×")}`;
    const time = el("text", {x: 8, y: 44, class: "small time"}, g);
    time.textContent = `${block.statements.length} statement${block.statements.length > 1 ? "s" : ""}`;
    g.addEventListener("click", () => showBlock(block));
  }
}

function showBlock(block) {
  for (const node of document.querySelectorAll(".block.selected")) node.classList.remove("selected");
  blockNode(block.name).classList.add("selected");
  const box = $("block-sql");
  box.innerHTML = "";
  const head = document.createElement("h2");
  head.textContent = `${block.name}: ${block.statements.length} statement(s)`;
  box.appendChild(head);
  block.statements.forEach((s, i) => {
    const details = document.createElement("details");
    details.className = "statement";
    details.open = i === 0;
    const summary = document.createElement("summary");
    summary.textContent = s.label;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${s.op} → ${s.target}, shape ${s.shape.join("×")}`;
    summary.appendChild(meta);
    const pre = document.createElement("pre");
    pre.className = "sql";
    pre.textContent = s.sql;
    details.append(summary, pre);
    box.appendChild(details);
  });
}

// ---- the gallery ----------------------------------------------------------------------------
async function loadGallery(show) {
  const entries = await (await fetch("/api/gallery")).json();
  const box = $("gallery");
  box.innerHTML = "";
  for (const entry of entries) {
    const item = document.createElement("div");
    item.className = "item";
    item.dataset.id = entry.id;
    const img = document.createElement("img");
    img.src = `/api/gallery/${entry.id}.png`;
    img.alt = `seed ${entry.seed}`;
    const caption = document.createElement("p");
    caption.textContent = `seed ${entry.seed}, ${entry.sampler}, ${entry.seconds.toFixed(1)} s`;
    item.append(img, caption);
    item.addEventListener("click", () => detail(entry));
    box.appendChild(item);
  }
  if (show) { const entry = entries.find((e) => e.id === show); if (entry) detail(entry); }
}

function detail(entry) {
  const box = $("gallery-detail");
  box.innerHTML = "";
  const dl = document.createElement("dl");
  const rows = [["model", entry.model], ["digest", entry.digest.slice(0, 16)], ["engine", entry.engine],
                ["seed", entry.seed], ["sampler", entry.sampler + (entry.sampler === "ddim" ? `, eta ${entry.settings.eta}` : "") +
                  (entry.settings.karras ? ", Karras sigmas" : "")],
                ["timesteps", entry.schedule], ["batch", entry.batch], ["seconds", entry.seconds], ["made", entry.created_at]];
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  }
  const again = document.createElement("button");
  again.type = "button";
  again.id = "run-again";
  again.textContent = "Run again";
  again.addEventListener("click", () => { fill(entry.settings); generate(); });
  box.append(dl, again);
}

// ---- start ----------------------------------------------------------------------------------
async function start() {
  state = await (await fetch("/api/state")).json();
  $("engine").textContent = state.engine;
  for (const model of state.models) {
    const option = document.createElement("option");
    option.value = model.key;
    option.textContent = `${model.key} (${model.size.join("×")})`;
    $("model").appendChild(option);
  }
  $("batch").max = state.defaults.max_batch;
  fill(state.defaults);
  for (const id of ["sampler", "schedule"]) $(id).addEventListener("change", showRows);
  $("model").addEventListener("change", () => showModel($("model").value));
  $("form").addEventListener("submit", generate);
  $("cancel").addEventListener("click", cancel);
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) { t.classList.toggle("active", t === tab); $(t.dataset.tab).hidden = t !== tab; }
    });
  }
  await loadGallery();
  document.body.dataset.ready = "1";
}

start();
