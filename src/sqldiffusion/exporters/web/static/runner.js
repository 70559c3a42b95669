// The replay of an exported run in DuckDB-WASM: the weights into their tables, then the recorded
// statements in order. Shared by the page (an AsyncDuckDB connection, whose calls return promises)
// and Node (a blocking connection): every call is awaited, so either works. No imports: the caller
// passes the Arrow library its DuckDB-WASM uses.

export const SEED = "{seed}";  // where a recorded statement takes the seed
const UPLOAD = "sqld_upload";  // the relation each table's values are inserted as
const MAX_SEED = 2n ** 63n - 1n;

export class Cancelled extends Error {
  constructor() { super("cancelled"); this.name = "Cancelled"; }
}

// The seed as the pipeline takes it: a whole number 0 .. 2^63-1, modulo 2^62; null if it is not one.
export function checkedSeed(text) {
  const s = String(text).trim();
  if (!/^[0-9]{1,19}$/.test(s) || BigInt(s) > MAX_SEED) return null;
  return (BigInt(s) % (2n ** 62n)).toString();
}

export async function setUp(conn, network) {
  for (const sql of network.setup) await conn.query(sql);
}

// Create every parameter table from its values in `weights` (an ArrayBuffer): fp16 bits or float32,
// inserted with their indices as one Arrow table, then turned into the table by its own statement.
export async function loadWeights(conn, network, weights, arrow, onTable) {
  const most = Math.max(...network.tables.map((t) => t.count));
  const indices = new Int32Array(most);
  for (let k = 0; k < most; k++) indices[k] = k;
  for (const [k, t] of network.tables.entries()) {
    if (t.offset + t.count * (t.encoding === "f16" ? 2 : 4) > weights.byteLength) {
      throw new Error("weights.bin is shorter than network.json says: re-export the folder");
    }
    const i = indices.subarray(0, t.count);
    const columns = t.encoding === "f16" ? {i, h: new Uint16Array(weights, t.offset, t.count)}
                                         : {i, a: new Float32Array(weights, t.offset, t.count)};
    await conn.insertArrowTable(arrow.tableFromArrays(columns), {name: UPLOAD, create: true});
    try {
      await conn.query(t.sql);
    } finally {
      await conn.query(`DROP TABLE IF EXISTS ${UPLOAD}`);
    }
    if (onTable) onTable(k + 1, network.tables.length);
  }
}

// Run one recorded run (its ops) at `seed` (checkedSeed's text). Hooks, all optional:
//   onStatement(index, seconds | null)  a program statement starts (null) or has finished
//   onStep({index, total, timestep, sample, prediction})  pictures (B, H, W, C) flattened
//   onDecode(index, seconds | null)  a statement of a latent model's decoder starts (null) or has finished
//   cancelled()  true stops the run before its next statement
// Returns the final picture, (B, H, W, C) flattened, as a Float32Array: the final sample, or a latent
// model's decoding of it (its decoder, network.decoder, run where the recorded run says "decode").
export async function run(conn, network, ops, seed, hooks = {}) {
  const fetched = {};
  const query = async (sql) => {
    if (hooks.cancelled && hooks.cancelled()) throw new Cancelled();
    return conn.query(sql);
  };
  for (const op of ops) {
    if (op.sql !== undefined) {
      await query(op.sql.replaceAll(SEED, seed));
    } else if (op.pass !== undefined) {
      await query(op.pass);
      for (const [index, statement] of network.program.entries()) {
        if (hooks.onStatement) hooks.onStatement(index, null);
        const began = performance.now();
        await query(statement.create);
        for (const drop of statement.drops) await conn.query(drop);
        if (hooks.onStatement) hooks.onStatement(index, (performance.now() - began) / 1000);
      }
    } else if (op.decode !== undefined) {
      for (const [index, statement] of network.decoder.program.entries()) {
        if (hooks.onDecode) hooks.onDecode(index, null);
        const began = performance.now();
        await query(statement.create);
        for (const drop of statement.drops) await conn.query(drop);
        if (hooks.onDecode) hooks.onDecode(index, (performance.now() - began) / 1000);
      }
    } else if (op.fetch !== undefined) {
      fetched[op.as] = floats(await query(op.fetch));
    } else if (op.step !== undefined && hooks.onStep) {
      hooks.onStep({index: op.step, total: op.total, timestep: op.timestep,
                    sample: fetched.sample, prediction: fetched.prediction});
    }
  }
  return fetched.picture || fetched.sample;
}

// The one list of floats a fetch returns, copied out of the Arrow result.
function floats(table) {
  const list = table.getChildAt(0).get(0);
  return Float32Array.from(list.toArray());
}

// (B, H, W, C) flattened -> (B, C, H, W) flattened
export function channelsFirst(flat, [b, c, h, w]) {
  const out = new Float32Array(flat.length);
  for (let n = 0; n < b; n++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((n * c + k) * h + y) * w + x] = flat[((n * h + y) * w + x) * c + k];
  return out;
}
