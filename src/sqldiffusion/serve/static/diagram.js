// The UNet diagram, shared by the served page and the exported one: boxes for the top-level
// diffusers modules, lit while their statements run; a box's SQL on a click. A text UNet's
// Transformer2DModels (blocks with a parent) are small boxes along the foot of their block. A
// latent model's decoder and a text model's text encoder are drawn the same way, as chains of
// their modules (layout "chain").
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let lit = null;            // the block whose statement runs now

function ms(seconds) {
  return seconds >= 1 ? `${seconds.toFixed(2)} s` : `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)} ms`;
}

function blockNode(name) { return document.querySelector(`.block[data-name="${CSS.escape(name || "")}"]`); }

function light(name) {
  if (lit === name) return;
  if (lit) { const old = blockNode(lit); if (old) old.classList.remove("active"); }
  lit = name;
  if (name) { const node = blockNode(name); if (node) node.classList.add("active"); }
}

function placeChain(blocks) {
  // the decoder: its modules in the order they run, three to a row, each row the other way (a snake)
  const W = 190, H = 50, gap = 18, columns = 3, left = 10, step = W + 60;
  const at = {};
  blocks.forEach((b, i) => {
    const row = Math.floor(i / columns), column = row % 2 ? columns - 1 - (i % columns) : i % columns;
    at[b.name] = {x: left + column * step, y: 10 + row * (H + gap)};
  });
  const rows = Math.ceil(blocks.length / columns);
  return {at, W, H, width: left + (columns - 1) * step + W + 10, height: 10 + rows * (H + gap)};
}

function place(blocks) {
  // the U: input and down path on the left going down, the middle at the bottom, the up path on the
  // right going up to the output; the time embedding at the top between them
  const parts = blocks.filter((b) => b.parent);
  blocks = blocks.filter((b) => !b.parent);
  const downs = blocks.filter((b) => b.role === "down"), ups = blocks.filter((b) => b.role === "up");
  const ins = blocks.filter((b) => b.role === "in"), outs = blocks.filter((b) => b.role === "out").reverse();
  const W = 190, H = parts.length ? 68 : 50, gap = 18, left = 10, right = 10 + 2 * (W + 60);
  const rows = Math.max(ins.length + downs.length, outs.length + ups.length);
  const at = {};
  ins.concat(downs).forEach((b, i) => { at[b.name] = {x: left, y: 10 + i * (H + gap)}; });
  outs.concat(ups.slice().reverse()).forEach((b, i) => {
    at[b.name] = {x: right, y: 10 + (rows - outs.length - ups.length + i) * (H + gap)};
  });
  const bottom = 10 + rows * (H + gap);
  for (const b of blocks) {
    if (b.role === "mid") at[b.name] = {x: (left + right) / 2, y: bottom};
    else if (b.role === "time") at[b.name] = {x: (left + right) / 2, y: 10};
    else if (!at[b.name]) at[b.name] = {x: (left + right) / 2, y: bottom + H + gap};
  }
  const others = blocks.some((b) => !["in", "down", "mid", "up", "out", "time"].includes(b.role));
  return {at, W, H, parts: placeParts(parts, at, W, H), width: right + W + 10,
          height: bottom + H + 10 + (others ? H + gap : 0)};
}

function placeParts(parts, at, W, H) {
  // each block's Transformer2DModels side by side along its foot, in the order they run
  const placed = {}, count = {};
  for (const b of parts) count[b.parent] = (count[b.parent] || 0) + 1;
  const seen = {};
  for (const b of parts) {
    const k = seen[b.parent] = (seen[b.parent] || 0) + 1, n = count[b.parent], gap = 4;
    const w = (W - 16 - (n - 1) * gap) / n, home = at[b.parent] || {x: 0, y: 0};
    placed[b.name] = {x: home.x + 8 + (k - 1) * (w + gap), y: home.y + H - 21, w, h: 16, k: k - 1};
  }
  return placed;
}

function el(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function drawDiagram(d, svgId = "diagram") {
  const svg = $(svgId);
  svg.innerHTML = "";
  const {at, W, H, width, height, parts = {}} = d.layout === "chain" ? placeChain(d.blocks) : place(d.blocks);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  if (!document.getElementById("arrow")) {  // one marker for every diagram on the page
    const defs = el("defs", {}, svg);
    const marker = el("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
                                 markerHeight: 7, orient: "auto-start-reverse"}, defs);
    el("path", {d: "M0,0 L10,5 L0,10 z", fill: "#868e96"}, marker);
  }
  const centre = (n) => ({x: at[n].x + W / 2, y: at[n].y + H / 2});
  for (const [from, to] of d.skips) {      // skip connections
    const a = centre(from), b = centre(to);
    el("path", {class: "skip", d: `M${a.x + W / 2},${a.y} C${a.x + W},${a.y} ${b.x - W},${b.y} ${b.x - W / 2},${b.y}`}, svg);
  }
  const flow = d.blocks.filter((b) => b.role !== "time" && !b.parent);
  for (let i = 1; i < flow.length; i++) {  // the order a pass runs them in
    const a = centre(flow[i - 1].name), b = centre(flow[i].name);
    const down = b.y > a.y + 1, up = b.y < a.y - 1;
    const side = b.x < a.x ? -1 : 1;  // sideways: out of the side facing the next box
    const start = down ? {x: a.x, y: a.y + H / 2} : up ? {x: a.x, y: a.y - H / 2} : {x: a.x + side * W / 2, y: a.y};
    const end = down ? {x: b.x, y: b.y - H / 2} : up ? {x: b.x, y: b.y + H / 2} : {x: b.x - side * W / 2, y: b.y};
    if (Math.abs(a.x - b.x) > 1 && (down || up)) { // into or out of the middle: a bend
      el("path", {class: "flow", d: `M${start.x},${start.y} C${start.x},${end.y} ${start.x},${end.y} ${end.x + (b.x > a.x ? -W / 2 : W / 2)},${b.y}`}, svg);
    } else {
      el("line", {class: "flow", x1: start.x, y1: start.y, x2: end.x, y2: end.y}, svg);
    }
  }
  for (const block of d.blocks) {
    if (block.parent) continue;
    const g = el("g", {class: `block role-${block.role}`, "data-name": block.name, tabindex: 0,
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
  for (const block of d.blocks.filter((b) => b.parent)) drawPart(svg, block, parts[block.name]);
}

function drawPart(svg, block, at) {
  // a Transformer2DModel: its index, and its time once it has run
  const g = el("g", {class: `block part role-${block.role}`, "data-name": block.name, tabindex: 0,
                     transform: `translate(${at.x},${at.y})`}, svg);
  el("title", {}, g).textContent = `${block.name}: ${block.type}, cross-attention on the prompt`;
  el("rect", {width: at.w, height: at.h}, g);
  el("text", {x: 4, y: 11.5, class: "small"}, g).textContent = `attn ${at.k}`;
  el("text", {x: at.w - 4, y: 11.5, class: "small time", "text-anchor": "end"}, g);
  g.addEventListener("click", (event) => { event.stopPropagation(); showBlock(block); });
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
