"""How DuckDB holds tensors.

Activations: one row per pixel, `(b INTEGER, y INTEGER, x INTEGER, v FLOAT[])`, the channel vector
as a list (vectors: `(b, v)`). Parameters: one table per layer with one row, `m`, the layer's
matrix (`backends/parameters.py`) as a list of rows, which statements read whole (slicing copies);
Winograd kernels of a convolution (`<conv>#winograd2`): one row with a column per tile position,
`u00 .. u33`, each the (out, in) transformed kernels as a list of rows, and `bias`. An embedding
table read by `lookup` (packing "rows"): one row per entry, `(o INTEGER, v FLOAT[])`, joined on `o`.
"""

from __future__ import annotations

import duckdb
import numpy as np

from ...graph.ops import Layer
from ..parameters import column_difference, flat_columns, layer_matrix, matrix_shape
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
    if layer.packing == "rows":
        return matrix.ravel(), entries_table_sql(table, matrix.shape[1])
    return matrix.ravel(), matrix_table_sql(table, matrix.shape[1])


def entries_table_sql(table: str, cols: int) -> str:
    """One row per matrix row: `o` its index, `v` its `cols` values (an embedding table's entries)."""
    return (f"CREATE TABLE {table} AS SELECT (i // {cols})::INTEGER AS o, list(a ORDER BY i) AS v "
            f"FROM {{values}} GROUP BY 1")


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
    return (f"(SELECT i::BIGINT AS i, "
            f"({sign} * ({mantissa})::DOUBLE * [{scale}][((h::INTEGER >> 10) & 31) + 1])::FLOAT "
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


def check_import(con, namespace: str, layers: list[Layer], table_of, values: bool = True) -> tuple[str, str] | None:
    """The first of `layers`' stored tables in `namespace` that is not as `layer_upload` makes it,
    and what is wrong (see Storage.check_import): its kind and columns (one catalog query for all),
    then, with `values`, one row, every list the length the layer's shape gives, no NULL, NaN or
    infinity (reading every weight: a second or two for a 100M-parameter model)."""
    found: dict[str, list[str]] = {}
    for table, column, data_type in con.execute(
            "SELECT t.table_name, c.column_name, c.data_type FROM duckdb_tables() t LEFT JOIN duckdb_columns() c "
            "ON c.table_oid = t.table_oid WHERE t.database_name = current_database() AND t.schema_name = ? "
            "ORDER BY t.table_name, c.column_index", [namespace]).fetchall():
        found.setdefault(table, []).append(f"{column} {data_type}")
    for layer in layers:
        table = table_of(namespace, layer.name)
        expected = _stored_columns(layer)
        if layer.name not in found:
            return table, "is missing (or is not a table)"
        if [f"{name} {kind}" for name, kind, _ in expected] != found[layer.name]:
            return table, column_difference(found[layer.name], [f"{name} {kind}" for name, kind, _ in expected])
        if not values:
            continue
        checks = _row_checks(layer) + [_list_check(name, dims) for name, _, dims in expected if dims]
        if not con.execute(f"SELECT coalesce({' AND '.join(checks)}, false) FROM {table}").fetchone()[0]:
            return table, "does not hold one row of lists of the layer's shape, all finite numbers"
    return None


def _row_checks(layer: Layer) -> list[str]:
    """SQL true when a layer's table has the rows `layer_upload` makes: one, or one per entry
    numbered 0 .. entries - 1 (packing "rows")."""
    if layer.packing != "rows":
        return ["count(*) = 1"]
    entries = matrix_shape(layer)[0]
    return [f"count(*) = {entries}", f"count(DISTINCT o) = {entries}", "min(o) = 0", f"max(o) = {entries - 1}"]


def _stored_columns(layer: Layer) -> list[tuple[str, str, tuple[int, int] | None]]:
    """(column, DuckDB type, (rows, columns)) of a layer's table, as `layer_upload` makes it; a
    one-dimensional list (a bias, an entry) has rows 0, a key column None."""
    if layer.packing == "rows":
        return [("o", "INTEGER", None), ("v", "FLOAT[]", (0, matrix_shape(layer)[1]))]
    if layer.packing.startswith("winograd"):
        side = int(layer.packing.removeprefix("winograd")) + 2
        out, cin = layer.tensors[f"{layer.module}.weight"][:2]
        return [(f"u{i}{j}", "FLOAT[][]", (out, cin)) for i in range(side) for j in range(side)] + \
            [("bias", "FLOAT[]", (0, out))]
    return [("m", "FLOAT[][]", matrix_shape(layer))]


def _list_check(column: str, dims: tuple[int, int]) -> str:
    """SQL true when every row's `column` is a list of `dims` (rows, columns) holding only finite
    numbers: its lengths, its count of non-NULL values, and a finite sum (NaN and infinity spread)."""
    rows, cols = dims
    if rows == 0:
        return f"bool_and(len({column}) = {cols} AND list_count({column}) = {cols} AND isfinite(list_sum({column})))"
    lengths = f"list_transform({column}, lambda r: len(r))"
    return (f"bool_and(len({column}) = {rows} AND list_min({lengths}) = {cols} AND list_max({lengths}) = {cols} "
            f"AND list_count(flatten({column})) = {rows * cols} AND isfinite(list_sum(flatten({column}))))")
