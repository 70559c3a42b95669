"""PostgreSQL: a server given by DSN, or a throwaway one started for this process.

Weights live in ordinary tables, one schema per model digest, listed in `public.sqldiffusion_models`;
everything a run makes is a temporary table of its own session, so runs sharing a server never see
each other's relations and a killed run leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


from ...errors import SQLDiffusionError, first_line
from ...redact import redact
from ...graph.ops import Layer
from ..contract import ConnectionStorage, Engine
from . import storage
from .dialect import PostgresDialect
from .server import ThrowawayServer

_IMPORT_LOCK = 7_420_531_011  # advisory lock key: one import at a time per database


class PostgresEngine(Engine):
    name = "postgres"
    dialect = PostgresDialect()
    registry = "public.sqldiffusion_models"
    placeholder = "%s"

    @classmethod
    def describe(cls, database=None) -> str:
        return "a throwaway PostgreSQL server" if database is None else "PostgreSQL"

    def __init__(self, dsn: str | None = None) -> None:
        try:
            import psycopg
        except ImportError:
            raise SQLDiffusionError("the postgres engine needs psycopg: pip install 'sqldiffusion[postgres]'") from None
        self.server = None
        self.storage = ConnectionStorage(self, storage)
        if dsn is None:
            self.server = ThrowawayServer.start()
            dsn = self.server.dsn
        self.dsn = dsn
        try:
            self.con = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            self._stop_server()
            raise SQLDiffusionError(redact(f"cannot connect to PostgreSQL at {dsn}: {first_line(e)}; "
                                           "check the DSN and that the server is running", dsn)) from None
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

    def interrupt(self) -> None:
        self.con.cancel_safe()

    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        self.con.execute(sql, list(params) if params else None)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.con.execute(sql, list(params) if params else None).fetchall()

    def transaction(self):
        return self.con.transaction()

    # ---- the registry and the parameter tables ------------------------------------------------
    def registry_exists(self) -> bool:
        return self.con.execute("SELECT to_regclass(%s)", [self.registry]).fetchone()[0] is not None

    def namespace_exists(self, namespace: str) -> bool:
        return self.con.execute("SELECT to_regnamespace(%s)", [namespace]).fetchone()[0] is not None

    def lock_imports(self) -> None:
        self.con.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])

    def import_model(self, model, layers: list[Layer], on_layer: Callable[[int, int], None] | None = None) -> str:
        import psycopg

        try:
            return super().import_model(model, layers, on_layer)
        except psycopg.errors.InsufficientPrivilege as e:
            raise SQLDiffusionError(f"PostgreSQL refused the import ({first_line(e)}); the user needs the "
                                    "CREATE privilege on the database and SELECT on public.sqldiffusion_models") from None

    # ---- relations ----------------------------------------------------------------------------
    def create(self, name: str, select: str) -> None:
        self.drop(name)
        self.con.execute(f"CREATE TEMP TABLE {name} AS {select}")
        self.con.execute(f"ANALYZE {name}")  # row counts for the planner: temp tables get no autovacuum
