// The page: settings, the event stream of a run, the UNet diagram (diagram.js) with its SQL, the gallery.
"use strict";

let state = null;          // /api/state
let current = null;        // the model shown in the diagram
let job = null;            // {id, source}
let blockOf = {};          // network ("unet", "decoder", "text_encoder") -> statement index -> block name
const SVGS = {unet: "diagram", decoder: "decoder-diagram", text_encoder: "text-diagram"};
const TEXT_FIELDS = ["prompt", "negative_prompt", "guidance_scale"];  // a text model's; sent as typed, text
let times = {};            // block name -> seconds in the current pass

// ---- settings -------------------------------------------------------------------------------
function takes(option) {  // whether the chosen sampler takes an option (eta, karras, no_noise), as the server says
  const sampler = (state ? state.samplers : []).find((s) => s.name === $("sampler").value);
  return Boolean(sampler && sampler[option]);
}

function showRows() {
  $("eta-row").hidden = !takes("eta");
  $("karras-row").hidden = !takes("karras");
  $("noise-row").hidden = !takes("no_noise");
  $("steps-row").hidden = $("schedule").value !== "steps";
  $("timesteps-row").hidden = $("schedule").value !== "list";
}

function settings() {
  return {
    model: $("model").value, sampler: $("sampler").value, eta: Number($("eta").value),
    karras: takes("karras") && $("karras").checked, noise: !takes("no_noise") || $("noise").checked,
    schedule: $("schedule").value, steps: $("steps").value, timesteps: $("timesteps").value,
    seed: $("seed").value, batch: $("batch").value,  // as typed, text: a seed up to 2^63 - 1 stays exact
    ...(current && current.text ? Object.fromEntries(TEXT_FIELDS.map((key) => [key, $(key).value])) : {}),
  };
}

function fill(s) {
  for (const key of ["model", "sampler", "eta", "schedule", "steps", "timesteps", "seed", "batch", ...TEXT_FIELDS]) {
    if (s[key] !== undefined && s[key] !== null) $(key).value = Array.isArray(s[key]) ? s[key].join(",") : s[key];
  }
  if (s.karras !== undefined) $("karras").checked = Boolean(s.karras);
  if (s.noise !== undefined) $("noise").checked = Boolean(s.noise);
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
    $("status").textContent = (e.text_statements ? `Encoding the prompt (${e.text_statements} statements), then r`
      : "R") + `unning ${e.total} steps, ${e.statements} statements a pass` +
      (e.decoder_statements ? `, then a decode of ${e.decoder_statements} statements.` : ".") +
      (e.note ? ` ${e.note}` : "");
    $("preview-note").hidden = !e.preview;
    $("preview-note").textContent = e.preview ? `Each step is shown through a preview (${e.preview}), computed in ` +
      "SQL; the picture is the full decoder's." : "";
    $("final-figure").hidden = true;
    $("bar-fill").style.width = "0";
  } else if (e.type === "statement") {
    const network = e.network || "unet";
    if (e.index === 0) {
      times = {};
      for (const b of document.querySelectorAll(`#${SVGS[network]} .block`)) b.classList.remove("ran");
    }
    light(e.module);
  } else if (e.type === "statement_done") {
    const name = (blockOf[e.network || "unet"] || [])[e.index];
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
    if (current && current.decoder) {
      $("final").src = `/api/gallery/${encodeURIComponent(e.entry.id)}.png`;
      $("final-figure").hidden = false;
    }
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

// ---- the model shown ----------------------------------------------------------------------
function showModel(key) {
  const model = state.models.find((m) => m.key === key);
  if (!model || current === model) return;
  current = model;
  blockOf = {};
  const networks = {text_encoder: model.text, unet: model.diagram, decoder: model.decoder};
  for (const [network, d] of Object.entries(networks)) {
    if (!d) continue;
    blockOf[network] = [];
    for (const block of d.blocks) for (const s of block.statements) blockOf[network][s.index] = block.name;
    drawDiagram(d, SVGS[network]);
  }
  $("decoder-box").hidden = $("decoder-program").hidden = $("decoder-program-head").hidden = !model.decoder;
  $("decoder-name").textContent = model.decoder ? `(${model.decoder_class}, run once per picture)` : "";
  $("text-rows").hidden = $("text-box").hidden = !model.text;
  $("text-program").hidden = $("text-program-head").hidden = $("unet-program-head").hidden = !model.text;
  $("text-name").textContent = model.text ? `(${model.text_class})` : "";
  $("final-figure").hidden = true;
  $("block-sql").innerHTML = "";
  const index = state.models.indexOf(model);
  for (const [network, id] of [["text_encoder", "text-program"], ["unet", "program"], ["decoder", "decoder-program"]]) {
    if (!networks[network]) continue;
    $(id).textContent = "loading…";
    fetch(`/api/models/${index}/program?network=${network}`).then((r) => r.text()).then((text) => {
      $(id).textContent = text;
    });
  }
}

// ---- the gallery ----------------------------------------------------------------------------
// The gallery's JSON with each whole number beyond 2^53 kept as its digits (a seed goes to 2^63 - 1,
// which a Number would round); a browser without JSON.parse's source text keeps the Number.
function exactJSON(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?[0-9]+$/.test(context.source)
      ? context.source : value);
}

// A listed field as the page shows it: a row written by something else may hold NULL anywhere.
function shown(value) {
  return value === null || value === undefined ? "–" : String(value);
}

function settingsOf(entry) {
  return entry.settings !== null && typeof entry.settings === "object" ? entry.settings : {};
}

async function loadGallery(show) {
  const entries = exactJSON(await (await fetch("/api/gallery")).text());
  const box = $("gallery");
  box.innerHTML = "";
  for (const entry of entries) {
    const item = document.createElement("div");
    item.className = "item";
    item.dataset.id = entry.id;
    const img = document.createElement("img");
    img.src = `/api/gallery/${encodeURIComponent(entry.id)}.png`;
    img.alt = `seed ${shown(entry.seed)}`;
    const caption = document.createElement("p");
    const seconds = typeof entry.seconds === "number" ? entry.seconds.toFixed(1) : shown(entry.seconds);
    const prompt = settingsOf(entry).prompt;  // a text model's: text, cut short here, whole in the detail
    caption.textContent = (typeof prompt === "string" && prompt ? `${prompt.slice(0, 40)}${prompt.length > 40 ? "…" : ""}: ` : "") +
      `seed ${shown(entry.seed)}, ${shown(entry.sampler)}, ${seconds} s`;
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
  const settings = settingsOf(entry);
  const sampler = shown(entry.sampler) + (entry.sampler === "ddim" ? `, eta ${shown(settings.eta)}` : "") +
    (settings.karras ? ", Karras sigmas" : "") + (settings.noise === false ? ", no added noise" : "");
  const texts = "prompt" in settings ? [["prompt", settings.prompt], ["negative prompt", settings.negative_prompt],
                                        ["guidance scale", settings.guidance_scale]] : [];
  const rows = [...texts, ["model", entry.model], ["digest", typeof entry.digest === "string" ? entry.digest.slice(0, 16) : null],
                ["engine", entry.engine], ["seed", entry.seed], ["sampler", sampler], ["timesteps", entry.schedule],
                ["batch", entry.batch], ["seconds", entry.seconds], ["made", entry.created_at]];
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = shown(v);
    dl.append(dt, dd);
  }
  const again = document.createElement("button");
  again.type = "button";
  again.id = "run-again";
  again.textContent = "Run again";
  again.addEventListener("click", () => { fill(settings); generate(); });
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
  for (const sampler of state.samplers) $("sampler").appendChild(new Option(sampler.label, sampler.name));
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
