"""DuckDB, embedded: the default engine. In memory unless given a database file."""

from __future__ import annotations

import json
from collections.abc import Callable

import duckdb
import numpy as np

from ..errors import SQLDiffusionError
from ..graph.ops import Graph
from ..model.layout import WINOGRAD_VARIANTS, layer_matrix, winograd_weights
from ..model.source import Model
from ..sql.dialects.duckdb import DuckDBDialect
from .base import SQLEngine, model_schema

REGISTRY = "sqldiffusion_models"
LAYOUT = "m3"  # how parameters are stored: one row per layer holding its matrix; Winograd kernels beside
_UPLOAD = "sqld_upload"
MAX_PARTS = 4


class DuckDBEngine(SQLEngine):
    name = "duckdb"

    def __init__(self, database: str | None = None) -> None:
        self.database = database or ":memory:"
        try:
            self.con = duckdb.connect(self.database)
        except (duckdb.IOException, duckdb.Error) as e:
            first = str(e).strip().splitlines()[0]
            raise SQLDiffusionError(f"cannot open DuckDB database {self.database}: {first}") from None
        # Every relation is keyed (b, y, x) and read by key, so row order is free: without this,
        # DuckDB runs the UNION ALL branches of a statement one after another to keep their order.
        self.con.execute("SET preserve_insertion_order = false")
        # One UNION ALL branch per thread, at most MAX_PARTS: each branch is planned again at every
        # pass (measured on 2 cores only; the cap guards many-core machines against planning time).
        threads = self.con.execute("SELECT current_setting('threads')").fetchone()[0]
        self.dialect = DuckDBDialect(parts=max(1, min(int(threads), MAX_PARTS)))

    def close(self) -> None:
        self.con.close()

    # ---- model import -----------------------------------------------------------------------
    def imported_schema(self, model: Model) -> str | None:
        """The schema holding `model` in this engine's current layout, if imported."""
        schema = self._registered_schema(model)
        return schema if schema == model_schema(model, LAYOUT) else None

    def _registered_schema(self, model: Model) -> str | None:
        registered = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?", [REGISTRY]).fetchone()[0]
        if not registered:
            return None
        row = self.con.execute(f"SELECT schema_name FROM {REGISTRY} WHERE digest = ?", [model.digest]).fetchone()
        return row[0] if row else None

    def import_model(self, model: Model, graph: Graph,
                     on_layer: Callable[[int, int], None] | None = None) -> str:
        """Store every layer's matrix in a schema of its own, in one transaction; a no-op if already there.

        Weights are read and checked before the database is touched; any failure or interruption
        (Ctrl-C included) rolls the whole import back.
        """
        old = self._registered_schema(model)
        if old == model_schema(model, LAYOUT):
            return old
        tensors = model.tensors(graph.expected_tensors())
        schema = model_schema(model, LAYOUT)
        layers = graph.layers
        q = self.dialect.quote
        self.con.begin()
        try:
            self.con.execute(
                f"CREATE TABLE IF NOT EXISTS {REGISTRY} (digest VARCHAR PRIMARY KEY, schema_name VARCHAR NOT NULL, "
                "model VARCHAR, config VARCHAR, imported_at TIMESTAMP DEFAULT current_timestamp)"
            )
            if old is not None:  # imported by an older version in another layout: replaced
                self.con.execute(f"DROP SCHEMA IF EXISTS {q(old)} CASCADE")
                self.con.execute(f"DELETE FROM {REGISTRY} WHERE digest = ?", [model.digest])
            self.con.execute(f"CREATE SCHEMA {q(schema)}")
            for i, layer in enumerate(layers):
                self._store_matrix(self.dialect.table(schema, layer.name), layer_matrix(layer, tensors))
                for variant, table in self.dialect.layer_tables(schema, layer).variants.items():
                    self._store_winograd(table, *winograd_weights(layer, tensors, WINOGRAD_VARIANTS[variant]))
                if on_layer:
                    on_layer(i + 1, len(layers))
            self.con.execute(f"INSERT INTO {REGISTRY} (digest, schema_name, model, config) VALUES (?, ?, ?, ?)",
                             [model.digest, schema, model.name, json.dumps(model.config.raw)])
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return schema

    def _store_matrix(self, table: str, matrix: np.ndarray) -> None:
        """One row: `m`, the matrix as a list of rows (statements read it whole: no per-pass copy)."""
        cols = matrix.shape[1]
        self._upload(matrix.ravel(), f"CREATE TABLE {table} AS SELECT list(r ORDER BY o) AS m FROM "
                                     f"(SELECT i // {cols} AS o, list(a ORDER BY i) AS r FROM {{values}} GROUP BY 1)")

    def _store_winograd(self, table: str, kernels: np.ndarray, bias: np.ndarray) -> None:
        """One row: u00, u01, ..., each tile position's (out, in) transformed kernels as a list of rows; bias."""
        positions, out, cin = kernels.shape
        side = int(round(positions ** 0.5))
        n = kernels.size
        columns = ", ".join(f"list(r ORDER BY o) FILTER (WHERE p = {side * i + j}) AS u{i}{j}"
                            for i in range(side) for j in range(side))
        self._upload(np.concatenate([kernels.ravel(), bias]),
                     f"CREATE TABLE {table} AS SELECT {columns}, "
                     f"(SELECT list(a ORDER BY i) FROM {{values}} WHERE i >= {n}) AS bias FROM "
                     f"(SELECT i // {out * cin} AS p, i // {cin} % {out} AS o, list(a ORDER BY i) AS r "
                     f"FROM {{values}} WHERE i < {n} GROUP BY 1, 2)")

    def _upload(self, flat: np.ndarray, sql: str) -> None:
        """Run `sql`, whose {values} reads `flat` as rows (i BIGINT, a FLOAT).

        A (2, N) numpy array scans as two columns (flat index, value): the fastest bulk path into DuckDB.
        """
        self.con.register(_UPLOAD, np.stack([np.arange(flat.size, dtype=np.float64), flat.astype(np.float64)]))
        try:
            self.con.execute(sql.format(values=f"(SELECT column0::BIGINT AS i, column1::FLOAT AS a FROM {_UPLOAD})"))
        finally:
            self.con.unregister(_UPLOAD)

    # ---- relations --------------------------------------------------------------------------
    def create(self, name: str, select: str) -> None:
        """A temporary relation from a SELECT (replacing any of that name)."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}")

    def put_image(self, name: str, image: np.ndarray) -> None:
        """Upload a float32 (B, C, H, W) array as the image relation `name` (b, y, x, v)."""
        b, c, h, w = image.shape
        pixels = np.ascontiguousarray(image.transpose(0, 2, 3, 1), dtype=np.float32).ravel()  # pixel-major
        self.drop(name)
        self._upload(pixels, f"CREATE TEMP TABLE {name} AS SELECT (p // {h * w})::INTEGER AS b, "
                             f"(p // {w} % {h})::INTEGER AS y, (p % {w})::INTEGER AS x, v "
                             f"FROM (SELECT i // {c} AS p, list(a ORDER BY i) AS v FROM {{values}} GROUP BY 1)")

    def fetch_image(self, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
        b, c, h, w = shape
        (flat,) = self.con.execute(f"SELECT flatten(list(v ORDER BY b, y, x)) FROM {name}").fetchone()
        return np.asarray(flat, dtype=np.float32).reshape(b, h, w, c).transpose(0, 3, 1, 2).copy()

    def fetch_vectors(self, name: str) -> np.ndarray:
        """A vector relation (b, v) as a (B, C) array."""
        rows = self.con.execute(f"SELECT v FROM {name} ORDER BY b").fetchall()
        return np.asarray([r[0] for r in rows], dtype=np.float32)
