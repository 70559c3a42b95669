"""PostgreSQL: a server given by DSN, or a throwaway one started for this process.

Weights live in ordinary tables, one schema per model digest, listed in `sqldiffusion_models`;
everything a run makes is a temporary table of its own session, so runs sharing a server never see
each other's relations and a killed run leaves nothing behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from ..errors import SQLDiffusionError
from ..graph.ops import Graph
from ..model.layout import layer_matrix
from ..model.source import Model
from ..sql.dialects.postgres import CHUNK, MAX_COLUMNS, PostgresDialect
from .base import SQLEngine, model_schema
from .pgserver import ThrowawayServer

REGISTRY = "sqldiffusion_models"
_IMPORT_LOCK = 7_420_531_011  # advisory lock key: one import at a time per database


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


class PostgresEngine(SQLEngine):
    name = "postgres"
    dialect = PostgresDialect()

    def __init__(self, dsn: str | None = None) -> None:
        try:
            import psycopg
        except ImportError:
            raise SQLDiffusionError("the postgres engine needs psycopg: pip install 'sqldiffusion[postgres]'") from None
        self.server = None
        if dsn is None:
            self.server = ThrowawayServer.start()
            dsn = self.server.dsn
        self.dsn = dsn
        try:
            self.con = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            self._stop_server()
            raise SQLDiffusionError(f"cannot connect to PostgreSQL at {_redact(dsn)}: {_first_line(e)}; "
                                    "check the DSN and that the server is running") from None
        self.con.execute("SET jit = off")  # measured: JIT compilation costs a third more on these queries
        self.con.execute("SET work_mem = '256MB'")
        self.database = dsn

    def close(self) -> None:
        self.con.close()
        self._stop_server()

    def _stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    # ---- model import -----------------------------------------------------------------------
    def imported_schema(self, model: Model) -> str | None:
        if self.con.execute("SELECT to_regclass(%s)", [f"public.{REGISTRY}"]).fetchone()[0] is None:
            return None
        row = self.con.execute(f"SELECT schema_name FROM public.{REGISTRY} WHERE digest = %s", [model.digest]).fetchone()
        return row[0] if row else None

    def import_model(self, model: Model, graph: Graph, on_layer: Callable[[int, int], None] | None = None) -> str:
        """Store every layer in a schema of its own, in one transaction; a no-op if already there."""
        import psycopg

        try:
            return self._import(model, graph, on_layer)
        except psycopg.errors.InsufficientPrivilege as e:
            raise SQLDiffusionError(f"PostgreSQL refused the import ({_first_line(e)}); the user needs the "
                                    "CREATE privilege on the database and SELECT on public.sqldiffusion_models") from None

    def _import(self, model: Model, graph: Graph, on_layer) -> str:
        schema = self.imported_schema(model)
        if schema is not None:
            return schema
        tensors = model.tensors(graph.expected_tensors())
        schema = model_schema(model)
        layers = graph.layers
        with self.con.transaction():
            self.con.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
            self.con.execute(
                f"CREATE TABLE IF NOT EXISTS public.{REGISTRY} (digest TEXT PRIMARY KEY, schema_name TEXT NOT NULL, "
                "model TEXT, config TEXT, imported_at TIMESTAMPTZ DEFAULT now())")
            if self.imported_schema(model) is not None:  # another process imported it while we waited
                return schema
            if self.con.execute("SELECT to_regnamespace(%s)", [schema]).fetchone()[0] is not None:
                raise SQLDiffusionError(f"schema {schema} already exists in this database but is not a "
                                        f"sqldiffusion model; drop it or use another database")
            self.con.execute(f"CREATE SCHEMA {self.dialect.quote(schema)}")
            for i, layer in enumerate(layers):
                self._store(schema, layer, layer_matrix(layer, tensors))
                if on_layer:
                    on_layer(i + 1, len(layers))
            self.con.execute(f"INSERT INTO public.{REGISTRY} (digest, schema_name, model, config) "
                             "VALUES (%s, %s, %s, %s)",
                             [model.digest, schema, model.name, json.dumps(model.config.raw)])
        return schema

    def _store(self, schema: str, layer, matrix: np.ndarray) -> None:
        table = self.dialect.table(schema, layer.name)
        columns, keys, values, dtype = table_layout(layer, matrix)
        self.con.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
        self._copy(table, keys, values, dtype)

    def _copy(self, table: str, keys: np.ndarray, values: np.ndarray, dtype: str = ">f4") -> None:
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
        with self.con.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(header + rows.tobytes() + (-1).to_bytes(2, "big", signed=True))

    # ---- relations --------------------------------------------------------------------------
    def create(self, name: str, select: str) -> None:
        self.drop(name)
        self.con.execute(f"CREATE TEMP TABLE {name} AS {select}")
        self.con.execute(f"ANALYZE {name}")  # row counts for the planner: temp tables get no autovacuum

    def put_image(self, name: str, image: np.ndarray) -> None:
        b, c, h, w = image.shape
        self.drop(name)
        channels = ", ".join(f"c{i} REAL" for i in range(c))
        self.con.execute(f"CREATE TEMP TABLE {name} (b INTEGER, y INTEGER, x INTEGER, {channels})")
        bb, yy, xx = np.meshgrid(np.arange(b), np.arange(h), np.arange(w), indexing="ij")
        keys = np.stack([bb.ravel(), yy.ravel(), xx.ravel()], axis=1)
        self._copy(name, keys, image.transpose(0, 2, 3, 1).reshape(-1, c))
        self.con.execute(f"ANALYZE {name}")

    def fetch_image(self, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
        b, c, h, w = shape
        rows = self.con.execute(f"SELECT {', '.join(f'c{i}' for i in range(c))} FROM {name} ORDER BY b, y, x").fetchall()
        return np.asarray(rows, dtype=np.float32).reshape(b, h, w, c).transpose(0, 3, 1, 2).copy()

    def fetch_vectors(self, name: str) -> np.ndarray:
        n = self.con.execute(f"SELECT * FROM {name} LIMIT 0").description
        columns = [d.name for d in n if d.name != "b"]
        rows = self.con.execute(f"SELECT {', '.join(columns)} FROM {name} ORDER BY b").fetchall()
        return np.asarray(rows, dtype=np.float32)


def _redact(dsn: str) -> str:
    """The DSN without its password."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


def table_layout(layer, matrix: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray, str]:
    """How a layer's matrix is stored: column definitions, integer keys, values, value dtype.

    Dense and conv layers: one row per output (per output and kernel tap for 3x3 convolutions) and
    block of CHUNK inputs, with a DOUBLE column per input of the block and the bias: the product of
    a REAL activation and a DOUBLE weight is one exact float48mul, summed in double. Norms: rows 0
    (gamma) and 1 (beta), one REAL column per channel.
    """
    if layer.kind == "norm":
        columns = ["o INTEGER"] + [f"w{i} REAL" for i in range(matrix.shape[1])]
        if len(columns) > MAX_COLUMNS:
            raise SQLDiffusionError(f"layer {layer.name} has {matrix.shape[1]} channels: more than "
                                    f"PostgreSQL's {MAX_COLUMNS} columns per table")
        return columns, np.arange(2)[:, None], matrix, ">f4"
    out, bias = matrix.shape[0], matrix[:, -1]
    if layer.kind == "conv3x3":
        cin = (matrix.shape[1] - 1) // 9
        weights = matrix[:, :-1].reshape(out * 9, cin)  # rows (o, ky, kx)
        o, ky, kx = np.meshgrid(np.arange(out), np.arange(3), np.arange(3), indexing="ij")
        keys, key_names, bias = np.stack([o.ravel(), ky.ravel(), kx.ravel()], axis=1), ["o", "ky", "kx"], np.repeat(bias, 9)
    else:
        cin = matrix.shape[1] - 1
        weights, keys, key_names = matrix[:, :-1], np.arange(out)[:, None], ["o"]
    width = min(CHUNK, cin)
    blocks = []
    for k, lo in enumerate(range(0, cin, CHUNK)):
        block = np.zeros((len(weights), width), np.float32)
        block[:, :min(CHUNK, cin - lo)] = weights[:, lo:lo + CHUNK]
        blocks.append((np.concatenate([keys, np.full((len(keys), 1), k)], axis=1),
                       np.concatenate([block, bias[:, None]], axis=1)))
    columns = [f"{k} INTEGER" for k in key_names] + ["k INTEGER"] + \
        [f"w{i} DOUBLE PRECISION" for i in range(width)] + ["bias DOUBLE PRECISION"]
    return columns, np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), ">f8"
