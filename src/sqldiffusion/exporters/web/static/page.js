// The exported page: loads the export (manifest, network, runs, weights), starts DuckDB-WASM in a
// Web Worker, creates the weight tables and replays a recorded run at the seed asked for, lighting
// the diagram (diagram.js) statement by statement and drawing x_t and x0 after every step.
// URL parameters: seed, sampler, steps, batch, autorun=1. When a run ends, document.body.dataset.state
// is "done" (window.sqldiffusionResult = {shape: [B, C, H, W], data}: the final sample in [-1, 1] (a latent
// model's decoded by its autoencoder, in the page, after the loop), with
// the run's seconds, each pass's and when the first step was drawn, in ms since the page began loading),
// "cancelled" or "error"; the one line saying what went wrong is in #error.
import * as runner from "./runner.js";
import {dataURLWithText, settingsOf} from "./png.js";

class PageError extends Error {}

let manifest = null, network = null, runs = null, conn = null;
let blockOf = [];            // statement index -> diagram block
let times = {};              // block -> seconds in the current pass
let running = false, cancelRequested = false;

function say(text) { $("status").textContent = text; }

function fail(message) {
  $("error").textContent = message;
  say("Stopped.");
  document.body.dataset.state = "error";
}

function firstLine(error) {
  const text = String((error && error.message) || error || "unknown error").trim();
  return text.split("\n")[0];
}

// ---- the export's files -------------------------------------------------------------------------
async function download(name, onBytes) {
  let response;
  try {
    response = await fetch(name, {cache: "no-cache"});
  } catch (e) {
    throw new PageError(`${name} could not be fetched (${firstLine(e)}); serve this folder over HTTP, ` +
                        "for example with python -m http.server, rather than opening it as a file");
  }
  if (!response.ok) throw new PageError(`${name} is missing (HTTP ${response.status}): export the folder again`);
  if (!onBytes || !response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader(), parts = [];
  let got = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    onBytes(got);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const part of parts) { bytes.set(part, at); at += part.length; }
  return bytes;
}

async function checked(name, bytes) {
  const expected = manifest.files[name];
  if (!expected) return bytes;
  const corrupt = `${name} is corrupt (it differs from what manifest.json records): export the folder again`;
  if (bytes.length !== expected.bytes) throw new PageError(corrupt);
  if (crypto.subtle) {  // only in secure contexts (https, localhost)
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    if (hex !== expected.sha256) throw new PageError(corrupt);
  }
  return bytes;
}

async function json(name, verify = true) {
  const bytes = await download(name);
  if (verify) await checked(name, bytes);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new PageError(`${name} is corrupt (not JSON): export the folder again`);
  }
}

// ---- DuckDB-WASM --------------------------------------------------------------------------------
async function startDuckDB() {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    throw new PageError("this browser cannot run WebAssembly, which the page's DuckDB needs: open the page in a " +
                        "current Chrome, Edge, Firefox or Safari");
  }
  let duckdb;
  try {
    duckdb = await import("@duckdb/duckdb-wasm");
  } catch (e) {
    throw new PageError(`DuckDB-WASM could not be loaded from ${manifest.duckdb_wasm.location} (${firstLine(e)}): ` +
                        "export the folder again, or give export-web --duckdb-wasm a folder or URL this browser reaches");
  }
  const bundles = await json("bundles.json", false);
  for (const bundle of Object.values(bundles)) {
    for (const key of Object.keys(bundle)) bundle[key] = new URL(bundle[key], location.href).href;
  }
  const bundle = await duckdb.selectBundle(bundles);
  // a worker script from another origin (a CDN) is started from a same-origin blob that imports it
  const script = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(bundle.mainWorker)});`],
                                              {type: "text/javascript"}));
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), new Worker(script));
  try {
    await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
  } catch (e) {
    throw new PageError(`DuckDB-WASM did not start (${firstLine(e)}): this browser may lack the memory or ` +
                        "the WebAssembly features it needs");
  } finally {
    URL.revokeObjectURL(script);
  }
  await db.open({});
  return {db, conn: await db.connect(), version: await db.getVersion()};
}

// ---- pictures -----------------------------------------------------------------------------------
function picture(flat, [b, c, h, w]) {
  // (B, H, W, C) in [-1, 1] -> a PNG of the images side by side, 1 pixel apart
  const gap = b > 1 ? 1 : 0, width = b * w + (b - 1) * gap;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = h;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, h);
  const byte = (v) => Math.round(Math.min(Math.max(v / 2 + 0.5, 0), 1) * 255);
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const at = ((n * h + y) * w + x) * c, to = (y * width + n * (w + gap) + x) * 4;
        const rgb = c >= 3 ? [flat[at], flat[at + 1], flat[at + 2]] : [flat[at], flat[at], flat[at]];
        image.data[to] = byte(rgb[0]);
        image.data[to + 1] = byte(rgb[1]);
        image.data[to + 2] = byte(rgb[2]);
        image.data[to + 3] = 255;
      }
    }
  }
  context.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

// ---- settings -----------------------------------------------------------------------------------
const groupOf = (recipe) => recipe.key.split("/")[0];
const stepsOf = (recipe) => recipe.key.split("/")[1];

function fillSettings(params) {
  const groups = [...new Set(manifest.recipes.map(groupOf))];
  for (const group of groups) {
    const recipe = manifest.recipes.find((r) => groupOf(r) === group);
    $("sampler").append(new Option(recipe.label.split(",")[0], group));
  }
  const wanted = params.get("sampler");
  const chosen = wanted && (groups.find((g) => g === wanted) ||
                            groups.find((g) => manifest.recipes.some((r) => groupOf(r) === g && r.sampler === wanted)));
  const fallback = groupOf(manifest.recipes.find((r) => r.key === manifest.default));
  $("sampler").value = chosen || fallback;
  if (wanted && !chosen) $("error").textContent = `sampler ${wanted} is not in this export (it has: ${groups.join(", ")})`;
  fillSteps(params.get("steps"));
  $("sampler").addEventListener("change", () => fillSteps(null));
  $("batch").max = manifest.max_batch;
  if (params.has("seed")) $("seed").value = params.get("seed");
  if (params.has("batch")) $("batch").value = params.get("batch");
}

function fillSteps(wanted) {
  const recipes = manifest.recipes.filter((r) => groupOf(r) === $("sampler").value);
  $("steps").innerHTML = "";
  for (const r of recipes) $("steps").append(new Option(stepsOf(r) === "blog" ? "the blog’s 4" : stepsOf(r), stepsOf(r)));
  if (wanted !== null && recipes.some((r) => stepsOf(r) === wanted)) $("steps").value = wanted;
  else if (wanted !== null) {
    $("error").textContent = `${wanted} steps are not in this export for ${$("sampler").value} ` +
                             `(it has: ${recipes.map(stepsOf).join(", ")})`;
  }
}

function chosenRun() {
  const key = `${$("sampler").value}/${$("steps").value}`;
  const recipe = manifest.recipes.find((r) => r.key === key);
  const seed = runner.checkedSeed($("seed").value);
  if (seed === null) throw new PageError(`seed ${$("seed").value} is not a whole number from 0 to 2^63-1`);
  const batch = Number($("batch").value);
  if (!Number.isInteger(batch) || batch < 1 || batch > manifest.max_batch) {
    throw new PageError(`batch ${$("batch").value}: this export makes 1 to ${manifest.max_batch} images at once`);
  }
  const need = manifest.memory[String(batch)];
  if (navigator.deviceMemory && navigator.deviceMemory * 2 ** 30 < need) {
    throw new PageError(`a run of ${batch} image(s) needs about ${(need / 2 ** 30).toFixed(1)} GiB, more than this ` +
                        `device has (${navigator.deviceMemory} GiB): make fewer images at once`);
  }
  return {recipe, seed, batch, ops: runs[`${key}@${batch}`]};
}

// ---- a run --------------------------------------------------------------------------------------
async function generate(event) {
  if (event) event.preventDefault();
  if (running) return;
  $("error").textContent = "";
  let chosen;
  try {
    chosen = chosenRun();
  } catch (e) {
    fail(firstLine(e));
    return;
  }
  const {recipe, seed, batch, ops} = chosen;
  const shape = [batch, ...manifest.model.shape];  // the pictures' (a latent model's, decoded)
  const stepShape = [batch, ...(manifest.model.sample_shape || manifest.model.shape)];  // the loop's samples
  const typedSeed = BigInt($("seed").value.trim()).toString();  // as given (checked by chosenRun), for the PNG
  running = true;
  cancelRequested = false;
  $("generate").disabled = true;
  $("cancel").disabled = false;
  document.body.dataset.state = "running";
  delete window.sqldiffusionResult;
  $("bar-fill").style.width = "0";
  say(`Running ${recipe.label}, seed ${$("seed").value}: ${network.program.length} statements a pass.`);
  const began = performance.now();
  const passes = [];           // seconds of each UNet pass's statements
  let firstStep = null;        // ms since the page started loading, when the first step was drawn
  try {
    const result = await runner.run(conn, network, ops, seed, {
      cancelled: () => cancelRequested,
      onStatement: (index, seconds) => {
        if (seconds === null) {
          if (index === 0) {
            times = {};
            passes.push(0);
            for (const b of document.querySelectorAll(".block")) b.classList.remove("ran");
          }
          light(blockOf[index]);
          return;
        }
        const name = blockOf[index];
        times[name] = (times[name] || 0) + seconds;
        passes[passes.length - 1] += seconds;
        const node = blockNode(name);
        if (node) { node.classList.add("ran"); node.querySelector(".time").textContent = ms(times[name]); }
      },
      onStep: (step) => {
        const elapsed = (performance.now() - began) / 1000, done = step.index + 1;
        $("sample").src = picture(step.sample, stepShape);
        $("prediction").src = picture(step.prediction, stepShape);
        $("progress").textContent = `step ${done}/${step.total}   t=${Number(step.timestep.toFixed(3))}   ` +
          `${elapsed.toFixed(1)} s elapsed, ${(elapsed / done * (step.total - done)).toFixed(1)} s left`;
        $("bar-fill").style.width = `${100 * done / step.total}%`;
        if (firstStep === null) firstStep = performance.now();
      },
      onDecode: (index, seconds) => {
        if (index === 0 && seconds === null) say(`Decoding the latents: ${network.decoder.program.length} statements.`);
      },
    });
    light(null);
    // the picture to save carries the settings that made it, as generate's PNGs do
    const template = manifest.provenance && manifest.provenance[recipe.key];
    $("sample").src = template ? dataURLWithText(picture(result, shape), settingsOf(template, typedSeed, batch))
                               : picture(result, shape);
    const seconds = (performance.now() - began) / 1000;
    window.sqldiffusionResult = {shape, data: Array.from(runner.channelsFirst(result, shape)),
                                 seconds, pass_seconds: passes, first_step_ms: firstStep};
    say(`Done in ${seconds.toFixed(2)} s, all of it SQL in DuckDB-WASM.`);
    document.body.dataset.state = "done";
  } catch (e) {
    light(null);
    await clean();
    if (e instanceof runner.Cancelled) {
      say("Cancelled.");
      document.body.dataset.state = "cancelled";
    } else {
      const text = firstLine(e);
      fail(/memory/i.test(text) ? `the browser ran out of memory for this run (${text}): make fewer images at once`
                                : `the run stopped: ${text}`);
    }
  } finally {
    running = false;
    $("generate").disabled = false;
    $("cancel").disabled = true;
  }
}

async function clean() {  // after a cancelled or failed run: its relations gone
  for (const sql of network.cleanup) {
    try { await conn.query(sql); } catch (e) { /* a second sweep; the next run replaces them anyway */ }
  }
}

// ---- start --------------------------------------------------------------------------------------
function showNetwork() {
  blockOf = [];
  for (const block of network.diagram.blocks) for (const s of block.statements) blockOf[s.index] = block.name;
  drawDiagram(network.diagram);
  $("program").textContent = network.program.map((s) => `-- ${s.label} (${s.category})\n${s.create};`).join("\n\n") + "\n";
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) { t.classList.toggle("active", t === tab); $(t.dataset.tab).hidden = t !== tab; }
    });
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  manifest = await json("manifest.json", false);
  if (manifest.format !== "sqldiffusion-web/1") throw new PageError("manifest.json is not an export-web manifest: export the folder again");
  [network, runs] = await Promise.all([json("network.json"), json("runs.json")]);
  showNetwork();
  fillSettings(params);
  const total = manifest.files["weights.bin"].bytes;
  say("Downloading the weights…");
  const loading = Promise.all([
    download("weights.bin", (got) => say(`Downloading the weights: ${(got / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`))
      .then((bytes) => checked("weights.bin", bytes)),
    startDuckDB(),
  ]);
  const [weights, started] = await loading;
  conn = started.conn;
  await runner.setUp(conn, network);
  await runner.loadWeights(conn, network, weights.buffer, await import("apache-arrow"),
                           (k, n) => say(`Creating the weight tables in DuckDB-WASM: ${k} of ${n}`));
  const model = manifest.model;
  $("about").textContent = `${model.name} (${model.digest.slice(0, 16)}), ${(model.parameters / 1e6).toFixed(2)}M ` +
    `parameters, ${model.shape.join("×")}; DuckDB ${started.version} (DuckDB-WASM ${manifest.duckdb_wasm.version}).`;
  say("Ready.");
  document.body.dataset.state = "ready";
  $("generate").disabled = false;
  $("form").addEventListener("submit", generate);
  $("cancel").addEventListener("click", () => { cancelRequested = true; say("Cancelling…"); });
  if (params.get("autorun") !== "1") return;
  // a sampler or steps the URL asked for that the export lacks: the run asked for cannot be made
  if ($("error").textContent) fail($("error").textContent);
  else await generate();
}

start().catch((e) => fail(firstLine(e)));
