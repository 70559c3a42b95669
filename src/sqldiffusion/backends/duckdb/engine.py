"""DuckDB, embedded: the default engine. In memory unless given a database file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager

import duckdb

from ...errors import SQLDiffusionError, first_line
from ..contract import ConnectionStorage, Engine
from . import storage
from .dialect import DuckDBDialect

MAX_PARTS = 4
# Nothing is downloaded or loaded at run time, and SQL reaches no file but the database itself: no
# COPY, read_* or ATTACH (a run needs none of them; registered arrays still load the weights).
LOCKED_DOWN = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
               "allow_community_extensions": False, "enable_external_access": False}


class DuckDBEngine(Engine):
    name = "duckdb"
    layout_version = storage.LAYOUT_VERSION

    def __init__(self, database: str | None = None) -> None:
        self.database = database or ":memory:"
        # a file we may not write is opened read-only: it can still run every model it holds
        # (a run's relations are temporary tables, which live outside the file)
        self.read_only = database is not None and os.path.exists(database) and not os.access(database, os.W_OK)
        if database is not None and _is_sqlite(database):
            raise SQLDiffusionError(f"{database} is a SQLite database, not a DuckDB one; give --db a DuckDB file "
                                    "(a new name makes one)")
        try:
            self.con = duckdb.connect(self.database, read_only=self.read_only, config=LOCKED_DOWN)
        except (duckdb.IOException, duckdb.Error) as e:
            raise SQLDiffusionError(f"cannot open DuckDB database {self.database}: {first_line(e)}") from None
        self.storage = ConnectionStorage(self, storage)
        # Every relation is keyed (b, y, x) and read by key, so row order is free: without this,
        # DuckDB runs the UNION ALL branches of a statement one after another to keep their order.
        self.con.execute("SET preserve_insertion_order = false")
        # DuckDB draws a bar of its own for statements longer than 2 s; the pipeline draws one per step
        self.con.execute("SET enable_progress_bar = false")
        # One UNION ALL branch per thread, at most MAX_PARTS: each branch is planned again at every
        # pass (measured on 2 cores only; the cap guards many-core machines against planning time).
        threads = self.con.execute("SELECT current_setting('threads')").fetchone()[0]
        self.dialect = DuckDBDialect(parts=max(1, min(int(threads), MAX_PARTS)))

    @classmethod
    def describe(cls, database=None) -> str:
        return database or "DuckDB in memory"

    def close(self) -> None:
        self.con.close()

    def interrupt(self) -> None:
        self.con.interrupt()

    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        self.con.execute(sql, list(params)) if params else self.con.execute(sql)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return (self.con.execute(sql, list(params)) if params else self.con.execute(sql)).fetchall()

    @contextmanager
    def transaction(self):
        self.con.begin()
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    # ---- the registry and the parameter tables ------------------------------------------------
    def registry_exists(self) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND table_name = ?", [self.registry]).fetchone()[0])

    def namespace_exists(self, namespace: str) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = ?",
            [namespace]).fetchone()[0])

    def import_model(self, model, layers, on_layer=None) -> str:
        if self.read_only and self.imported_namespace(model) is None:
            raise SQLDiffusionError(f"DuckDB file {self.database} is read-only and does not hold this model; "
                                    "import it into a file you can write (sqldiffusion import --db FILE)")
        return super().import_model(model, layers, on_layer)

    # ---- relations ----------------------------------------------------------------------------
    def create(self, name: str, select: str) -> None:
        self.execute_sql(create_sql(name, select))


def create_sql(name: str, select: str) -> str:
    """The statement that makes the temporary relation `name` (replacing one) from a SELECT."""
    return f"CREATE OR REPLACE TEMP TABLE {name} AS {select}"


def _is_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\0"
    except OSError:
        return False
