"""Hyper, embedded: a `hyperd` process started for this engine and stopped with it.

Hyper keeps array columns only in temporary tables, so a model's weights are imported into each
process that runs it (no database file, no registry). A run's relations are created once and
refilled at every pass (`create`): creating a table costs 10-15 ms here, inserting into one well
under a millisecond, and a UNet pass is hundreds of statements.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from collections import deque
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from ...errors import SQLDiffusionError, first_line
from ...graph.ops import Layer
from ..engine import Engine, SessionWeights
from ..storage import ConnectionStorage
from . import storage
from .dialect import HyperDialect

LOOKAHEAD = 2  # layer files written ahead of the one being loaded


def _shut(con, process) -> None:
    con.close()
    process.close()


def _bind(sql: str, params: Sequence) -> str:
    """The statement with each `?` replaced by its value as a literal (the Python client binds no
    parameters): text quoted with its quotes doubled, numbers as numbers, None as NULL. Statements
    given parameters hold no `?` of their own."""
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError(f"{len(parts) - 1} placeholders for {len(params)} parameters")

    def literal(value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return repr(value) if value == value and abs(value) != float("inf") else f"'{value}'::DOUBLE PRECISION"
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        raise TypeError(f"cannot bind a {type(value).__name__} in Hyper SQL")

    return parts[0] + "".join(literal(v) + rest for v, rest in zip(params, parts[1:]))


class HyperEngine(SessionWeights, Engine):
    name = "hyper"
    durable = False  # no database file: every table is temporary
    why_not_durable = "Hyper stores arrays only in temporary tables"

    @classmethod
    def describe(cls, database=None) -> str:
        return "Hyper (a process of its own for this run)"

    def __init__(self, database: str | None = None) -> None:
        if database is not None:
            raise SQLDiffusionError("the hyper engine imports a model's weights into each run (Hyper keeps "
                                    "arrays only in temporary tables); run it without --db or --dsn")
        try:
            from tableauhyperapi import Connection, HyperException, HyperProcess, Telemetry
        except ImportError:
            raise SQLDiffusionError("the hyper engine needs tableauhyperapi: pip install 'sqldiffusion[hyper]' "
                                    "(wheels exist for Linux x86_64 and Windows amd64)") from None
        self._error = HyperException
        try:
            # no telemetry, no log file in the working directory
            self.process = HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""})
            self.con = Connection(self.process.endpoint)
        except HyperException as e:
            raise SQLDiffusionError(f"cannot start Hyper: {first_line(e)}") from None
        # closed with the engine, or when it is collected or the interpreter exits: hyperd never outlives us
        self._closer = weakref.finalize(self, _shut, self.con, self.process)
        self.dialect = HyperDialect()
        self.storage = ConnectionStorage(self, storage)
        self._imported: set[str] = set()
        self._refilled: dict[str, bool] = {}  # refilled relations -> whether they hold rows
        self.database = None

    def close(self) -> None:
        self._closer()

    def interrupt(self) -> None:
        self.con.cancel()

    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        self.con.execute_command(_bind(sql, params) if params else sql)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return [tuple(row) for row in self.con.execute_list_query(_bind(sql, params) if params else sql)]

    @contextmanager
    def transaction(self):
        self.con.execute_command("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute_command("ROLLBACK")
            raise
        self.con.execute_command("COMMIT")

    # ---- weights: temporary tables of this process ----------------------------------------------

    def store_layers(self, namespace: str, layers: list[Layer], tensors, on_layer=None) -> None:
        """The next layers' files are written (by DuckDB, in a thread) while Hyper reads this one's:
        both release the GIL. Disk: at most LOOKAHEAD + 1 layers at a time; the folder goes,
        whatever happens."""
        with tempfile.TemporaryDirectory(prefix="sqld_weights_") as folder, ThreadPoolExecutor(1) as pool:
            ahead = deque(pool.submit(storage.write_layer, layer, tensors, folder) for layer in layers[:LOOKAHEAD])
            try:
                for i, layer in enumerate(layers):
                    written = ahead.popleft().result()
                    if i + LOOKAHEAD < len(layers):
                        ahead.append(pool.submit(storage.write_layer, layers[i + LOOKAHEAD], tensors, folder))
                    storage.load_layer(self.con, self.dialect.table(namespace, layer.name), written)
                    os.unlink(written[0])
                    if on_layer:
                        on_layer(i + 1, len(layers))
            except BaseException:
                for future in ahead:
                    future.cancel()
                raise

    # ---- relations ----------------------------------------------------------------------------
    def refill(self, name: str, select: str) -> None:
        """A relation made at every pass keeps its table: emptied and filled again (a SELECT of
        other columns fails the INSERT and makes the table again)."""
        if name in self._refilled:
            if self._refilled[name]:
                self.con.execute_command(f"TRUNCATE TABLE {name}")
            try:
                self.con.execute_command(f"INSERT INTO {name} {select}")
                self._refilled[name] = True
                return
            except self._error:
                del self._refilled[name]
        self.create(name, select)
        self._refilled[name] = True

    def put_image(self, name, image) -> None:
        """An uploaded relation is made anew, even one a program refilled before (its table kept:
        the text a text encoder's pass left, then given as an array)."""
        self._refilled.pop(name, None)
        super().put_image(name, image)

    def create(self, name: str, select: str) -> None:
        self._refilled.pop(name, None)
        self.con.execute_command(f"DROP TABLE IF EXISTS {name}")
        self.con.execute_command(f"CREATE TEMP TABLE {name} AS {select}")

    def drop(self, *names: str) -> None:
        for name in names:
            if name in self._refilled:
                if self._refilled[name]:
                    self.con.execute_command(f"TRUNCATE TABLE {name}")
                    self._refilled[name] = False
            else:
                self.con.execute_command(f"DROP TABLE IF EXISTS {name}")

    def rename(self, old: str, new: str) -> None:
        self._refilled.pop(new, None)
        self._refilled.pop(old, None)
        super().rename(old, new)
