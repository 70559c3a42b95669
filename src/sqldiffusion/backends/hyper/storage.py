"""How Hyper holds tensors.

Activations: one row per pixel, `(b INTEGER, y INTEGER, x INTEGER, v array(real))` (vectors:
`(b, v)`). Parameters: one temporary table per layer, `(o INTEGER, w0 .. w{k-1} array(real))`:
block `o` of k rows of the layer's matrix (`backends/parameters.py`; a row: one output's weights
then its bias), k the dialect's `block_size`; a norm: rows 0 (gamma) and 1 (beta) in `w0`; an
embedding table read by `lookup` (packing "rows"): entry `o` in `w0`. Hyper
stores arrays only in temporary tables, so a process imports the weights it uses.

Weights travel as a Parquet file of (flat index, float32 value) rows that DuckDB writes and Hyper
reads, gathering each matrix row with `array_agg(a ORDER BY i)` and each block's rows side by side
with `lead` (Hyper's `array_agg` takes no FILTER): 2.7x faster than printing the rows as array
literals into a CSV file for Hyper to COPY (0.4 against 1.1 s for a 512 x 4609 matrix). Images
travel as array literals (`[1.5,-0.25,...]`).
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache

import duckdb
import numpy as np

from ...graph.ops import Layer
from ..parameters import flat_columns, layer_matrix
from .dialect import block_size

_ARRAY = "array(real not null)"


def store_layer(con, table: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory(prefix="sqld_weights_") as folder:
        load_layer(con, table, write_layer(layer, tensors, folder))


def write_layer(layer: Layer, tensors: dict[str, np.ndarray], folder: str) -> tuple[str, int, int]:
    """The Parquet file (in `folder`) Hyper reads a layer's table from, the table's block size (rows
    per block) and the matrix's columns."""
    matrix = layer_matrix(layer, tensors)
    size = 1 if layer.packing in ("norm", "rows") else block_size(matrix.shape[0])
    fd, path = tempfile.mkstemp(suffix=".parquet", dir=folder)
    os.close(fd)
    writer = _writer()
    writer.register("m", flat_columns(matrix.ravel()))
    try:
        writer.execute(f"COPY (SELECT i::INTEGER AS i, a FROM m) TO {_string(path)} "
                       "(FORMAT parquet)")
    finally:
        writer.unregister("m")
    return path, size, matrix.shape[1]


def load_layer(con, table: str, written: tuple[str, int, int]) -> None:
    """Create a layer's table and fill it from the file `write_layer` wrote: one array per matrix
    row, then `size` consecutive rows side by side in each block."""
    path, size, cols = written
    columns = ", ".join(f"w{t} {_ARRAY} NOT NULL" for t in range(size))
    con.execute_command(f"CREATE TEMP TABLE {table} (o INTEGER NOT NULL, {columns})")
    rows = (f"SELECT CAST(i / {cols} AS INTEGER) AS r, CAST(array_agg(a ORDER BY i) AS {_ARRAY}) AS w "
            f"FROM external({_string(path)}, FORMAT => 'parquet') GROUP BY 1")
    following = "".join(f", lead(w, {t}) OVER (ORDER BY r) AS w{t}" for t in range(1, size))
    blocks = ", ".join(f"w{t}" for t in range(size))
    con.execute_command(f"INSERT INTO {table} SELECT r / {size}, {blocks} FROM "
                        f"(SELECT r, w AS w0{following} FROM ({rows}) AS matrix_rows) AS b WHERE r % {size} = 0")


@lru_cache(maxsize=1)
def _writer() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that writes matrices as Parquet (opened once: opening costs 25 ms)."""
    return duckdb.connect()


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(values: np.ndarray) -> str:
    return "'[" + ",".join(map(repr, values.tolist())) + "]'"


def put_image(con, name: str, image: np.ndarray) -> None:
    """A float32 (B, C, H, W) array as the image relation `name` (b, y, x, v)."""
    b, c, h, w = image.shape
    pixels = np.ascontiguousarray(image.transpose(0, 2, 3, 1), dtype=np.float32).reshape(-1, c)
    con.execute_command(f"CREATE TEMP TABLE {name} (b INTEGER NOT NULL, y INTEGER NOT NULL, x INTEGER NOT NULL, "
                        f"v {_ARRAY} NOT NULL)")
    rows = ",".join(f"({i // (h * w)},{i // w % h},{i % w},{_literal(p)})" for i, p in enumerate(pixels))
    con.execute_command(f"INSERT INTO {name} VALUES {rows}")


def fetch_image(con, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
    b, c, h, w = shape
    rows = con.execute_list_query(f"SELECT array_to_string(v, ',') FROM {name} ORDER BY b, y, x")
    flat = np.array(",".join(r[0] for r in rows).split(","), dtype=np.float32)
    return flat.reshape(b, h, w, c).transpose(0, 3, 1, 2).copy()


def fetch_vectors(con, name: str) -> np.ndarray:
    rows = con.execute_list_query(f"SELECT array_to_string(v, ',') FROM {name} ORDER BY b")
    return np.asarray([np.array(r[0].split(","), dtype=np.float32) for r in rows], dtype=np.float32)
