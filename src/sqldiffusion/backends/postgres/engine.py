"""PostgreSQL: a server given by DSN, or a throwaway one started for this process.

Weights live in ordinary tables, one schema per model digest and role, listed in the role's own
registry; everything a run makes is a temporary table of its own session, so runs sharing a server
never see each other's relations and a killed run leaves nothing behind.

On a server shared with other roles, sqldiffusion writes to, reads from and drops only what the
running role owns and made (`roles.py`): its registry and gallery live in a schema of its own, every
name it reads is schema-qualified under a search path of the system catalog alone (a function or
operator another role plants in `public` is never chosen), and another role's import is used only
where that role shared it as sqldiffusion made it, held by a lock while it is read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from ...errors import SQLDiffusionError, first_line
from ...graph.ops import Layer
from ...redact import redact
from ..engine import Engine
from ..storage import ConnectionStorage
from . import roles, storage
from .dialect import PostgresDialect
from .server import ThrowawayServer

IMPORT_LOCK = 742_053  # advisory lock (this, hashtext(role)): one import at a time per role and database
log = logging.getLogger("sqldiffusion")


class PostgresEngine(Engine):
    name = "postgres"
    dialect = PostgresDialect()
    placeholder = "%s"
    lock_wait = 600.0  # seconds an import waits for another session's import of the same role

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
        # names resolve in the catalog, then this session's temporary tables, never in a schema
        # another role can write; a policy of another role's table is an error, never run as us
        self.con.execute("SET search_path = pg_catalog, pg_temp")
        self.con.execute("SET row_security = off")
        self.database = dsn
        self.role = self.con.execute("SELECT current_user").fetchone()[0]
        self.home = roles.home_schema(self.role)
        self.registry = f"{self.dialect.quote(self.home)}.models"
        self._holds = []  # connections holding shared imports still while this one reads them

    def close(self) -> None:
        for holder in self._holds:
            holder.close()
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
        return roles.own_relation(self, self.home, "models")

    def namespace_exists(self, namespace: str) -> bool:
        return roles.schema_owner(self, namespace) is not None

    def namespace_of(self, model) -> str:
        """A schema per model and role: two roles importing one model each keep their own."""
        return f"sqld_{model.digest[:16]}_{roles.role_tag(self.role)}"

    def may_drop(self, model, name: str) -> bool:
        return super().may_drop(model, name) and roles.schema_owner(self, name) == self.role

    def make_registry(self) -> None:
        roles.make_home(self)
        super().make_registry()
        roles.own_relation(self, self.home, "models")

    def how_to_reimport(self, namespace: str) -> str:
        owner = roles.schema_owner(self, namespace)
        if owner != self.role:
            return f"ask role {owner} to import it again"
        return super().how_to_reimport(namespace)

    def lock_imports(self) -> None:
        """Wait for another session importing as this role, at most `lock_wait` seconds (one line
        naming who holds the lock, after that); said once if it takes more than two seconds."""
        start, said = time.monotonic(), False
        lock = "SELECT pg_try_advisory_xact_lock(%s, hashtext(current_user))"
        while not self.con.execute(lock, [IMPORT_LOCK]).fetchone()[0]:
            waited = time.monotonic() - start
            if waited > self.lock_wait:
                raise SQLDiffusionError(f"waited {waited:.0f} s for another session importing as role {self.role} "
                                        f"({roles.lock_holder(self, IMPORT_LOCK)}) to finish; try again once it has, "
                                        "or end that session")
            if waited > 2 and not said:
                log.warning(f"waiting for another session importing as role {self.role} "
                            f"({roles.lock_holder(self, IMPORT_LOCK)}) to finish")
                said = True
            time.sleep(0.2)

    def shared_import(self, model, layers: list[Layer]) -> str | None:
        """Another role's import of `model`, where that role shared it as sqldiffusion made it
        (`roles.shared_imports`): held by locks so that it stays so while this engine runs."""
        for owner, namespace, problem in roles.shared_imports(self, model, layers):
            holder = None
            if problem is None:  # checked again once held: it cannot change after that
                holder, problem = roles.hold(self, namespace, layers)
                problem = problem or roles.shared_problem(self, model, owner, namespace, layers) or \
                    self.check_import_of(namespace, layers)
            if problem is None:
                self._holds.append(holder)
                log.warning(f"using role {owner}'s import of {model.name} (schema {namespace}), which it shares")
                return namespace
            if holder is not None:
                holder.close()
            log.warning(f"role {owner}'s import of {model.name} is not used ({problem}): importing your own copy")
        return None

    def check_import_of(self, namespace: str, layers: list[Layer]) -> str | None:
        damaged = self.storage.check_import(namespace, layers)
        return None if damaged is None else f"table {damaged[0]} {damaged[1]}"

    def import_model(self, model, layers: list[Layer], on_layer: Callable[[int, int], None] | None = None) -> str:
        import psycopg

        try:
            return super().import_model(model, layers, on_layer)
        except psycopg.errors.InsufficientPrivilege as e:
            raise SQLDiffusionError(f"PostgreSQL refused the import ({first_line(e)}); the user needs the "
                                    "CREATE privilege on the database") from None

    def gallery_table(self, columns: str) -> str:
        """The gallery in the role's own schema (made if missing; refused if another role's)."""
        roles.make_home(self)
        table = f"{self.dialect.quote(self.home)}.gallery"
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        roles.own_relation(self, self.home, "gallery")
        return table

    # ---- relations ----------------------------------------------------------------------------
    def create(self, name: str, select: str) -> None:
        self.drop(name)
        self.con.execute(f"CREATE TEMP TABLE {name} AS {select}")
        self.con.execute(f"ANALYZE {name}")  # row counts for the planner: temp tables get no autovacuum
