"""How PostgreSQL holds tensors.

Activations: one row per pixel with one REAL column per channel, `(b, y, x, c0, c1, ...)`
(vectors: `(b, c0, c1, ...)`). Parameters, one table per layer (`table_layout`): dense and conv
layers one row per output channel (per output channel and kernel tap for 3x3 convolutions) and
block of CHUNK inputs, `(o, [ky, kx,] k, w0 .. w639, bias)` in DOUBLE PRECISION; norms rows 0
(gamma) and 1 (beta) with one REAL column per channel; embedding tables read by `lookup` (packing
"rows") one row per entry `o`, one REAL column per feature. Everything moves by binary COPY.
"""

from __future__ import annotations

import numpy as np

from ...errors import SQLDiffusionError
from ..parameters import column_difference, layer_matrix, matrix_shape
from .dialect import CHUNK, MAX_COLUMNS, stored_name


def store_layer(con, table: str, layer, tensors: dict[str, np.ndarray]) -> None:
    columns, keys, values, dtype = table_layout(layer, layer_matrix(layer, tensors))
    con.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
    copy_rows(con, table, keys, values, dtype)


def copy_rows(con, table: str, keys: np.ndarray, values: np.ndarray, dtype: str = ">f4") -> None:
    """COPY rows of integer keys and float values (REAL: >f4, DOUBLE: >f8) in PostgreSQL's binary
    format, built by numpy."""
    nk, nv = keys.shape[1], values.shape[1]
    fields = [("count", ">i2")]
    fields += [item for i in range(nk) for item in ((f"kl{i}", ">i4"), (f"k{i}", ">i4"))]
    fields += [item for i in range(nv) for item in ((f"vl{i}", ">i4"), (f"v{i}", dtype))]
    rows = np.empty(len(keys), dtype=np.dtype(fields))
    rows["count"] = nk + nv
    for i in range(nk):
        rows[f"kl{i}"], rows[f"k{i}"] = 4, keys[:, i]
    for i in range(nv):
        rows[f"vl{i}"], rows[f"v{i}"] = np.dtype(dtype).itemsize, values[:, i]
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    with con.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(header + rows.tobytes() + (-1).to_bytes(2, "big", signed=True))


def put_image(con, name: str, image: np.ndarray) -> None:
    b, c, h, w = image.shape
    channels = ", ".join(f"c{i} REAL" for i in range(c))
    con.execute(f"CREATE TEMP TABLE {name} (b INTEGER, y INTEGER, x INTEGER, {channels})")
    bb, yy, xx = np.meshgrid(np.arange(b), np.arange(h), np.arange(w), indexing="ij")
    keys = np.stack([bb.ravel(), yy.ravel(), xx.ravel()], axis=1)
    copy_rows(con, name, keys, image.transpose(0, 2, 3, 1).reshape(-1, c))
    con.execute(f"ANALYZE {name}")


def fetch_image(con, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
    b, c, h, w = shape
    rows = con.execute(f"SELECT {', '.join(f'c{i}' for i in range(c))} FROM {name} ORDER BY b, y, x").fetchall()
    return np.asarray(rows, dtype=np.float32).reshape(b, h, w, c).transpose(0, 3, 1, 2).copy()


def fetch_vectors(con, name: str) -> np.ndarray:
    described = con.execute(f"SELECT * FROM {name} LIMIT 0").description
    columns = [d.name for d in described if d.name != "b"]
    rows = con.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY b").fetchall()
    return np.asarray(rows, dtype=np.float32)


def table_layout(layer, matrix: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, str]:
    """How a layer's matrix is stored: column definitions, integer keys, values, value dtype.

    Dense and conv layers: one row per output (per output and kernel tap for 3x3 convolutions) and
    block of CHUNK inputs, with a DOUBLE column per input of the block and the bias: the product of
    a REAL activation and a DOUBLE weight is one exact float48mul, summed in double. Norms: rows 0
    (gamma) and 1 (beta), one REAL column per channel.
    """
    columns, _ = table_shape(layer, matrix.shape)
    if layer.packing in ("norm", "rows"):
        return columns, np.arange(len(matrix))[:, None], matrix, ">f4"
    out, bias = matrix.shape[0], matrix[:, -1]
    if layer.packing == "conv3x3":
        cin = (matrix.shape[1] - 1) // 9
        weights = matrix[:, :-1].reshape(out * 9, cin)  # rows (o, ky, kx)
        o, ky, kx = np.meshgrid(np.arange(out), np.arange(3), np.arange(3), indexing="ij")
        keys, bias = np.stack([o.ravel(), ky.ravel(), kx.ravel()], axis=1), np.repeat(bias, 9)
    else:
        cin = matrix.shape[1] - 1
        weights, keys = matrix[:, :-1], np.arange(out)[:, None]
    width = min(CHUNK, cin)
    blocks = []
    for k, lo in enumerate(range(0, cin, CHUNK)):
        block = np.zeros((len(weights), width), np.float32)
        block[:, :min(CHUNK, cin - lo)] = weights[:, lo:lo + CHUNK]
        blocks.append((np.concatenate([keys, np.full((len(keys), 1), k)], axis=1),
                       np.concatenate([block, bias[:, None]], axis=1)))
    return columns, np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), ">f8"


def table_shape(layer, shape: tuple[int, int]) -> tuple[list[str], int]:
    """The column definitions and row count of the table `table_layout` makes from a matrix of
    `shape` (rows, columns)."""
    rows, cols = shape
    if layer.packing in ("norm", "rows"):
        if cols + 1 > MAX_COLUMNS:
            raise SQLDiffusionError(f"layer {layer.name} has {cols} channels: more than "
                                    f"PostgreSQL's {MAX_COLUMNS} columns per table")
        return ["o INTEGER"] + [f"w{i} REAL" for i in range(cols)], rows
    taps = 9 if layer.packing == "conv3x3" else 1
    cin = (cols - 1) // taps
    key_names = ["o", "ky", "kx"] if taps == 9 else ["o"]
    width, blocks = min(CHUNK, cin), -(-cin // CHUNK)
    columns = [f"{k} INTEGER" for k in key_names] + ["k INTEGER"] + \
        [f"w{i} DOUBLE PRECISION" for i in range(width)] + ["bias DOUBLE PRECISION"]
    return columns, rows * taps * blocks


def check_import(con, namespace: str, layers, table_of, values: bool = True) -> tuple[str, str] | None:
    """The first of `layers`' stored tables in `namespace` that is not as `table_layout` makes it,
    and what is wrong (see Storage.check_import): a plain table, its columns (one catalog query for
    all), its row count, and no NULL, NaN or infinity among its numbers."""
    found: dict[str, list[str]] = {}
    for table, column in con.execute(
            "SELECT c.relname, a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
            "WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY c.relname, a.attnum", [namespace]).fetchall():
        found.setdefault(table, []).append(column)
    for layer in layers:
        table = table_of(namespace, layer.name)
        columns, rows = table_shape(layer, matrix_shape(layer))
        name = stored_name(layer.name)
        if name not in found:
            return table, "is missing (or is not a table)"
        expected = [c.replace("INTEGER", "integer").replace("REAL", "real")
                     .replace("DOUBLE PRECISION", "double precision")
                    for c in columns]
        if found[name] != expected:
            return table, column_difference(found[name], expected)
        if not values:
            continue
        values = " + ".join(c.split()[0] for c in columns if not c.endswith("INTEGER"))
        count, finite, total = con.execute(f"SELECT count(*), count({values}), sum({values}) "
                                           f"FROM ONLY {table}").fetchone()
        if count != rows or finite != rows or (total is not None and not np.isfinite(total)):
            return table, f"holds {count} rows, not the layout's {rows} rows of finite numbers"
    return None
