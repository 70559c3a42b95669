// Replays an export-web folder in Node with DuckDB-WASM's blocking build, as the page replays it:
//   node node_run.mjs EXPORT_DIR NODE_MODULES RUN_KEY SEED OUT.f32 [PASSES]
// writes the final sample (B, C, H, W) as little-endian float32 to OUT.f32 and prints timings as
// JSON; with PASSES, it also times that many lone UNet passes (their statements, for benchmarks).
import {copyFileSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {createRequire} from "node:module";
import {join, resolve} from "node:path";
import {pathToFileURL} from "node:url";

const [dir, modules, key, seedText, out, passes] = process.argv.slice(2).map((a, i) => (i < 2 ? resolve(a) : a));
const require = createRequire(join(modules, "noop.js"));
const duckdb = require("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs");
const arrow = require("apache-arrow");
const copy = join(mkdtempSync(join(tmpdir(), "sqld-runner-")), "runner.mjs");  // an ES module to Node
copyFileSync(join(dir, "runner.js"), copy);
const runner = await import(pathToFileURL(copy).href);
const read = (name) => JSON.parse(readFileSync(join(dir, name), "utf8"));
const [manifest, network, runs] = ["manifest.json", "network.json", "runs.json"].map(read);

const began = performance.now();
const dist = join(modules, "@duckdb/duckdb-wasm/dist");
const db = await duckdb.createDuckDB({
  mvp: {mainModule: join(dist, "duckdb-mvp.wasm"), mainWorker: join(dist, "duckdb-node-mvp.worker.cjs")},
  eh: {mainModule: join(dist, "duckdb-eh.wasm"), mainWorker: join(dist, "duckdb-node-eh.worker.cjs")},
}, new duckdb.VoidLogger(), duckdb.NODE_RUNTIME);
await db.instantiate();
db.open({});
const conn = db.connect();
await runner.setUp(conn, network);
const weights = readFileSync(join(dir, "weights.bin"));
await runner.loadWeights(conn, network, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length), arrow);
const loaded = performance.now();
const ops = runs[key];
if (!ops) throw new Error(`no run ${key} in this export`);
const batch = Number(key.split("@")[1]);
const seed = runner.checkedSeed(seedText);
const result = await runner.run(conn, network, ops, seed);
const done = performance.now();
const shape = [batch, ...manifest.model.shape];
writeFileSync(out, Buffer.from(runner.channelsFirst(result, shape).buffer));
const timing = {load_seconds: (loaded - began) / 1000, run_seconds: (done - loaded) / 1000, pass_seconds: []};
// lone UNet passes (for benchmarks): the run's first pass again, on its noise, its statements timed
const first = ops.slice(0, ops.findIndex((op) => op.pass !== undefined) + 1);
for (let k = 0; k < Number(passes || 0); k++) {
  let seconds = 0;
  await runner.run(conn, network, first, seed, {onStatement: (i, s) => { if (s !== null) seconds += s; }});
  timing.pass_seconds.push(seconds);
}
console.log(JSON.stringify(timing));
