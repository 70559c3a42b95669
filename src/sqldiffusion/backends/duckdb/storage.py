"""How DuckDB holds tensors.

Activations: one row per pixel, `(b INTEGER, y INTEGER, x INTEGER, v FLOAT[])`, the channel vector
as a list (vectors: `(b, v)`). Parameters: one table per layer with one row, `m`, the layer's
matrix (`backends/parameters.py`) as a list of rows, which statements read whole (slicing copies);
Winograd kernels of a convolution (`<conv>#winograd2`): one row with a column per tile position,
`u00 .. u33`, each the (out, in) transformed kernels as a list of rows, and `bias`.
"""

from __future__ import annotations

import duckdb
import numpy as np

from ...graph.ops import Layer
from ..parameters import flat_columns, layer_matrix
from .winograd import winograd_weights

LAYOUT_VERSION = "m3"  # the version of the parameter layout above, part of each model's namespace
_UPLOAD = "sqld_upload"


def store_layer(con: duckdb.DuckDBPyConnection, table: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
    upload(con, *layer_upload(table, layer, tensors))


def layer_upload(table: str, layer: Layer, tensors: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    """What creates `layer`'s table: its values, flat float32, and the statement that builds the
    table from them, whose {values} is a relation of rows (i BIGINT, a FLOAT) holding them."""
    if layer.packing.startswith("winograd"):
        conv = layer.name.split("#")[0]
        kernels, bias = winograd_weights(conv, tensors, int(layer.packing.removeprefix("winograd")))
        return kernels.ravel(), winograd_table_sql(table, kernels.shape, bias)
    matrix = layer_matrix(layer, tensors)
    return matrix.ravel(), matrix_table_sql(table, matrix.shape[1])


def matrix_table_sql(table: str, cols: int) -> str:
    """One row: `m`, the matrix (of `cols` columns) as a list of rows."""
    return (f"CREATE TABLE {table} AS SELECT list(r ORDER BY o) AS m FROM "
            f"(SELECT i // {cols} AS o, list(a ORDER BY i) AS r FROM {{values}} GROUP BY 1)")


def winograd_table_sql(table: str, shape: tuple[int, int, int], bias: np.ndarray) -> str:
    """One row: u00, u01, ..., each tile position's (out, in) transformed kernels as a list of rows; bias."""
    positions, out, cin = shape
    side = int(round(positions ** 0.5))
    columns = ", ".join(f"list(r ORDER BY o) FILTER (WHERE p = {side * i + j}) AS u{i}{j}"
                        for i in range(side) for j in range(side))
    # the bias (one float per output) as a literal: repr of a float32 is exact once cast back
    bias_list = f"[{', '.join(repr(float(b)) for b in bias)}]::FLOAT[]"
    return (f"CREATE TABLE {table} AS SELECT {columns}, {bias_list} AS bias FROM "
            f"(SELECT i // {out * cin} AS p, i // {cin} % {out} AS o, list(a ORDER BY i) AS r "
            f"FROM {{values}} GROUP BY 1, 2)")


def upload(con, flat: np.ndarray, sql: str) -> None:
    """Run `sql`, whose {values} reads `flat` as rows (i BIGINT, a FLOAT)."""
    con.register(_UPLOAD, flat_columns(flat))
    try:
        con.execute(sql.format(values=f"(SELECT i, a FROM {_UPLOAD})"))
    finally:
        con.unregister(_UPLOAD)


def half_values_sql(relation: str) -> str:
    """A {values} relation (i BIGINT, a FLOAT) from `relation` (i, h USMALLINT): IEEE fp16 bits, h,
    widened to the float32 they denote, exactly (a mantissa of 11 bits times a power of two). For
    a page, whose download is its first cost, to ship half the bytes of float32 weights."""
    scale = ", ".join(repr(2.0 ** (max(e, 1) - 25)) for e in range(31))  # by exponent field; 0: subnormals
    mantissa = "CASE WHEN (h::INTEGER >> 10) & 31 = 0 THEN h::INTEGER & 1023 ELSE (h::INTEGER & 1023) + 1024 END"
    sign = "CASE WHEN h::INTEGER >= 32768 THEN -1.0 ELSE 1.0 END"
    return (f"(SELECT i::BIGINT AS i, ({sign} * ({mantissa})::DOUBLE * [{scale}][((h::INTEGER >> 10) & 31) + 1])::FLOAT "
            f"AS a FROM {relation})")


def put_image(con, name: str, image: np.ndarray) -> None:
    """A float32 (B, C, H, W) array as the image relation `name` (b, y, x, v)."""
    b, c, h, w = image.shape
    pixels = np.ascontiguousarray(image.transpose(0, 2, 3, 1), dtype=np.float32).ravel()  # pixel-major
    upload(con, pixels, f"CREATE TEMP TABLE {name} AS SELECT (p // {h * w})::INTEGER AS b, "
                        f"(p // {w} % {h})::INTEGER AS y, (p % {w})::INTEGER AS x, v "
                        f"FROM (SELECT i // {c} AS p, list(a ORDER BY i) AS v FROM {{values}} GROUP BY 1)")


def fetch_image(con, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
    b, c, h, w = shape
    (flat,) = con.execute(fetch_image_sql(name)).fetchone()
    return np.asarray(flat, dtype=np.float32).reshape(b, h, w, c).transpose(0, 3, 1, 2).copy()


def fetch_image_sql(name: str) -> str:
    """One row, one list: the image relation's channels pixel by pixel, (B, H, W, C) flattened."""
    return f"SELECT flatten(list(v ORDER BY b, y, x)) AS v FROM {name}"


def fetch_vectors(con, name: str) -> np.ndarray:
    """A vector relation (b, v) as a (B, C) array."""
    rows = con.execute(f"SELECT v FROM {name} ORDER BY b").fetchall()
    return np.asarray([r[0] for r in rows], dtype=np.float32)
