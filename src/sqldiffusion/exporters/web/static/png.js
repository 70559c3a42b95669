// Text chunks for a PNG the page made (canvas.toDataURL gives none): the settings that made it, as
// `sqldiffusion generate` writes them (sqldiffusion/provenance.py), put right after the IHDR chunk.
// Latin-1 text as tEXt, anything else as iTXt in UTF-8, as Pillow's PngInfo.add_text does.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function latin1(text) {
  return /^[\x00-\xff]*$/.test(text) ? Uint8Array.from(text, (ch) => ch.charCodeAt(0)) : null;
}

function chunk(keyword, text) {
  const key = latin1(keyword), plain = latin1(text);
  // tEXt: keyword, 0, text; iTXt: keyword, 0, no compression (0, 0), no language, no translation, UTF-8 text
  const body = plain ? [key, [0], plain] : [key, [0, 0, 0, 0, 0], new TextEncoder().encode(text)];
  const type = new TextEncoder().encode(plain ? "tEXt" : "iTXt");
  const data = new Uint8Array(body.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of body) { data.set(part, at); at += part.length; }
  const out = new Uint8Array(12 + data.length), view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(type, 4);
  out.set(data, 8);
  const typed = new Uint8Array(4 + data.length);
  typed.set(type, 0);
  typed.set(data, 4);
  view.setUint32(8 + data.length, crc32(typed));
  return out;
}

// `png` (bytes) with a text chunk for each [keyword, text] of `texts`
export function withText(png, texts) {
  const headerEnd = 8 + 12 + 13;  // the signature, then IHDR: always first, always 13 bytes of data
  const chunks = Object.entries(texts).map(([k, v]) => chunk(k, v));
  const out = new Uint8Array(png.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(png.subarray(0, headerEnd), 0);
  let at = headerEnd;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  out.set(png.subarray(headerEnd), at);
  return out;
}

// a data: URL of a PNG, with the text chunks added
export function dataURLWithText(url, texts) {
  const binary = atob(url.slice(url.indexOf(",") + 1));
  const bytes = withText(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)), texts);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return "data:image/png;base64," + btoa(text);
}

// a recipe's settings template (export.py: settings_template) with the run's seed and batch
export function settingsOf(template, seed, batch) {
  const digits = String(seed);
  return {
    parameters: template.parameters.replace("@SEED@", digits).replace("@BATCH@", String(batch)),
    sqldiffusion: template.sqldiffusion.replace('"@SEED@"', digits).replace('"@BATCH@"', String(batch)),
  };
}
