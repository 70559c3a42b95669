"""DuckDB, embedded: the default engine. In memory unless given a database file."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from contextlib import contextmanager

import duckdb

from ...errors import SQLDiffusionError, first_line
from ...model.files import kind_of_file
from ..engine import Engine
from ..storage import ConnectionStorage
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
        self.read_only = database is not None and _read_only(database)
        if database is not None and _is_sqlite(database):
            raise SQLDiffusionError(f"{database} is a SQLite database, not a DuckDB one; give --db a DuckDB file "
                                    "(a new name makes one)")
        try:
            self.con = duckdb.connect(self.database, read_only=self.read_only, config=LOCKED_DOWN)
        except (duckdb.IOException, duckdb.Error) as e:
            raise SQLDiffusionError(f"cannot open DuckDB database {self.database}: {first_line(e)}") from None
        # every weight of a file someone else made is checked before a run; the user's own file
        # (or memory) has its tables' kinds and columns checked (reading every value costs seconds)
        self.check_values = database is not None and os.stat(database).st_uid != os.getuid()
        if database is not None:
            self._refuse_shadowing()
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
        try:
            return super().import_model(model, layers, on_layer)
        except (duckdb.IOException, duckdb.TransactionException) as e:  # a full disk: rolled back, nothing kept
            raise SQLDiffusionError(f"cannot import {model.name} into {self.database}: {first_line(e)}; "
                                    "the file is as it was: free some space or give --db another file") from None

    def _refuse_shadowing(self) -> None:
        """A database file can hold macros and functions of its own, and DuckDB prefers them to its
        built-ins of the same name (a `sqrt` or `list_dot_product` macro would change every
        picture silently): a file holding one is refused."""
        shadows = [row[0] for row in self.con.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE NOT internal "
            "AND database_name = current_database() AND function_name IN "
            "(SELECT function_name FROM duckdb_functions() WHERE internal) ORDER BY 1").fetchall()]
        if shadows:
            self.con.close()
            shown = ", ".join(name[:40] for name in shadows[:5])
            raise SQLDiffusionError(f"DuckDB file {self.database} defines {len(shadows)} function(s) named as "
                                    f"DuckDB's own ({shown}), which would change what every statement computes; "
                                    "use a file you made yourself (a new --db name makes one)")

    def gallery_table(self, columns: str) -> str:
        """The file's own table, refused in one line if something else has its name (a view runs
        SQL of the file's maker); in a read-only file, a temporary copy: pictures last the run."""
        found = self.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = 'main' AND table_name = 'sqldiffusion_gallery'").fetchall()
        if found and found[0][0] != "BASE TABLE":
            raise SQLDiffusionError(f"sqldiffusion_gallery in {self.database} is a {found[0][0].lower()}, not a table "
                                    "sqldiffusion made; drop it or give serve another --db file")
        if not self.read_only:
            return super().gallery_table(columns)
        self.execute_sql(f"CREATE OR REPLACE TEMP TABLE sqldiffusion_gallery ({columns})")
        if found:
            catalog = self.con.execute("SELECT current_database()").fetchone()[0]
            self.execute_sql("INSERT INTO temp.sqldiffusion_gallery BY NAME "
                             f"SELECT * FROM {self.dialect.quote(catalog)}.main.sqldiffusion_gallery")
        return "temp.sqldiffusion_gallery"

    # ---- relations ----------------------------------------------------------------------------
    def create(self, name: str, select: str) -> None:
        self.execute_sql(create_sql(name, select))


def create_sql(name: str, select: str) -> str:
    """The statement that makes the temporary relation `name` (replacing one) from a SELECT."""
    return f"CREATE OR REPLACE TEMP TABLE {name} AS {select}"


def _read_only(path: str) -> bool:
    """Whether a database file is to be opened read-only: one we may not write, or one whose mode
    grants writing to no one (root included, as `--out` treats such a file). It can still run
    every model it holds (a run's relations are temporary tables, which live outside the file).
    Anything there but a regular file is refused: a FIFO would block the open for ever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as e:
        raise SQLDiffusionError(f"--db {path}: cannot be examined ({e.strerror})") from None
    if not stat.S_ISREG(mode):
        raise SQLDiffusionError(f"--db {path} is {kind_of_file(mode)}, not a regular file; give a DuckDB database "
                                "file (a new name makes one)")
    return not mode & 0o222 or not os.access(path, os.W_OK)


def _is_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\0"
    except OSError:
        return False
