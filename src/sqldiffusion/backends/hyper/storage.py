"""How Hyper holds tensors.

Activations: one row per pixel, `(b INTEGER, y INTEGER, x INTEGER, v array(real))` (vectors:
`(b, v)`). Parameters: one temporary table per layer, `(o INTEGER, w0 .. w{k-1} array(real))`:
block `o` of k rows of the layer's matrix (`backends/parameters.py`; a row: one output's weights
then its bias), k the dialect's `block_size`; a norm: rows 0 (gamma) and 1 (beta) in `w0`. Hyper
stores arrays only in temporary tables, so a process imports the weights it uses.

Arrays travel as text (`[1.5,-0.25,...]`): weights through a CSV file that Hyper COPYs, the matrix
rows printed by DuckDB (shortest round-trip decimals, exact for float32); images as literals.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache

import duckdb
import numpy as np

from ...graph.ops import Layer
from ..parameters import layer_matrix
from .dialect import block_size

_ARRAY = "array(real not null)"


def store_layer(con, table: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
    with tempfile.TemporaryDirectory(prefix="sqld_weights_") as folder:
        load_layer(con, table, write_layer(layer, tensors, folder))


def write_layer(layer: Layer, tensors: dict[str, np.ndarray], folder: str) -> tuple[str, int]:
    """The CSV file (in `folder`) Hyper COPYs a layer's table from, and the table's block size (rows
    per line)."""
    matrix = layer_matrix(layer, tensors)
    size = 1 if layer.kind == "norm" else block_size(matrix.shape[0])
    texts = _array_texts(matrix)
    fd, path = tempfile.mkstemp(suffix=".csv", dir=folder)
    with os.fdopen(fd, "w") as f:
        f.writelines(f"{o},\"" + '","'.join(texts[o * size:(o + 1) * size]) + '"\n'
                     for o in range(len(texts) // size))
    return path, size


def load_layer(con, table: str, written: tuple[str, int]) -> None:
    """Create a layer's table and COPY the file `write_layer` wrote into it."""
    path, size = written
    columns = ", ".join(f"w{t} {_ARRAY} NOT NULL" for t in range(size))
    con.execute_command(f"CREATE TEMP TABLE {table} (o INTEGER NOT NULL, {columns})")
    con.execute_command(f"COPY {table} FROM {_string(path)} WITH (FORMAT csv)")


def _array_texts(matrix: np.ndarray) -> list[str]:
    """Each row of a float32 matrix as an array literal, printed by DuckDB (much faster than repr)."""
    rows, cols = matrix.shape
    flat = np.ascontiguousarray(matrix, dtype=np.float32).ravel()
    printer = _printer()
    printer.register("m", np.stack([np.arange(flat.size, dtype=np.float64), flat.astype(np.float64)]))
    try:
        return [r[0] for r in printer.execute(
            f"SELECT list(column1::FLOAT ORDER BY column0)::VARCHAR FROM m "
            f"GROUP BY (column0::BIGINT) // {cols} ORDER BY (column0::BIGINT) // {cols}").fetchall()]
    finally:
        printer.unregister("m")


@lru_cache(maxsize=1)
def _printer() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that prints matrices (opened once: opening costs 25 ms)."""
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
