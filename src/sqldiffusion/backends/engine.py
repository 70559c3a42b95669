"""The engine base: how a backend runs SQL, one `Engine` per engine (`backends/<name>/engine.py`).

Its abstract methods are what a backend writes (the connection, transactions, catalogue
questions); written once here for all: running a program statement by statement and the whole
import of a model's weights, through the engine's `Storage` (storage.py). `SessionWeights` is the
import of engines whose weights last one session.
"""

from __future__ import annotations

import json
import re
import resource
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, contextmanager

import numpy as np

from ..errors import SQLDiffusionError
from ..graph.ops import Layer
from ..program import CLASS_LABELS, SAMPLE, TIMESTEPS, Program, Statement
from .dialect import Dialect
from .storage import Storage


def cpu_seconds() -> float:
    """This process's CPU time (an embedded engine's worker threads are ours; a server's are not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime



class Engine(ABC):
    """A connection to one database, its `dialect`, and the few things only it knows how to do.

    The relations a run makes are temporary (`create`); a model's parameters are ordinary tables in
    a namespace of its own, named by its digest and listed in the registry table (`import_model`).
    A namespace is a schema where the engine keeps weights in schemas (DuckDB, PostgreSQL), and a
    prefix of each table's name where it cannot (Hyper's temporary tables, Spark's views):
    `Dialect.table(namespace, name)` says which.
    """

    name: str = ""
    dialect: Dialect
    storage: Storage  # its storage, bound to it (made in its __init__)
    database: str | None = None
    registry: str = "sqldiffusion_models"  # the registry table, as statements name it
    placeholder: str = "?"  # how the driver marks a bound parameter
    layout_version: str = ""  # the version of its storage layout, where a backend has had several
    durable: bool = True  # whether it can make ordinary tables (False: temporary ones only, gone with it)
    check_values: bool = True  # whether an import found there has its every value checked before a run
    read_only: bool = False  # whether its database was opened read-only (runs still work; nothing is kept)
    why_not_durable: str = ""  # where it is not durable, why its weights last one run only

    @classmethod
    def describe(cls, database=None) -> str:
        """Where a run on this engine happens, given its target (`database`), for messages."""
        return cls.name

    # ---- what a backend writes ----------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def execute_sql(self, sql: str, params: Sequence = ()) -> None:
        """Run one statement that returns no rows, with `params` bound to its placeholders."""

    @abstractmethod
    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """Run one statement that returns rows (a SELECT), with `params` bound; return its rows."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager:
        """A transaction: committed when the block ends, rolled back if it raises (Ctrl-C included)."""

    @abstractmethod
    def create(self, name: str, select: str) -> None:
        """A temporary relation `name` from a SELECT, replacing any relation of that name."""

    def refill(self, name: str, select: str) -> None:
        """As `create`, for a relation made again at every pass with the same columns (a program's
        statements, the timesteps): an engine may keep its table and refill it (Hyper does)."""
        self.create(name, select)

    def put_image(self, name: str, image: np.ndarray) -> None:
        """Upload a float32 (B, C, H, W) array as the image relation `name` (replacing one)."""
        self.drop(name)
        self.storage.put_image(name, image)

    def fetch_image(self, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
        """The image relation `name` as a float32 (B, C, H, W) array."""
        return self.storage.fetch_image(name, shape)

    def fetch_vectors(self, name: str) -> np.ndarray:
        """A vector relation (b, ...) as a (B, C) array."""
        return self.storage.fetch_vectors(name)

    def store_layer(self, namespace: str, layer: Layer, tensors: dict[str, np.ndarray]) -> None:
        """Create and fill the parameter table of `layer` in `namespace`, in this backend's layout."""
        self.storage.store_layer(self.dialect.table(namespace, layer.name), layer, tensors)

    @abstractmethod
    def registry_exists(self) -> bool: ...

    @abstractmethod
    def namespace_exists(self, namespace: str) -> bool: ...

    def interrupt(self) -> None:
        """From another thread: stop the statement this engine is running, if its driver can (the
        statement then fails with the driver's error; the connection stays usable)."""

    def lock_imports(self) -> None:
        """Inside the import transaction: wait for any other process importing into this database."""

    # ---- written once for every backend -------------------------------------------------------
    def drop(self, *names: str) -> None:
        for name in names:
            self.execute_sql(f"DROP TABLE IF EXISTS {name}")

    def rename(self, old: str, new: str) -> None:
        self.drop(new)
        self.execute_sql(f"ALTER TABLE {old} RENAME TO {new}")

    def namespace_of(self, model) -> str:
        """The namespace a model is imported into: named by its digest, so one model is stored once,
        and by the storage `layout_version` where a backend has had more than one, so that an older import
        is not read as a newer one."""
        return f"sqld_{model.digest[:16]}" + (f"_{self.layout_version}" if self.layout_version else "")

    def made_namespace(self, model, name: str) -> bool:
        """Whether `name` is a namespace sqldiffusion makes for `model` (in any layout): the only
        kind of name a registry row may lead it to drop."""
        return re.fullmatch(rf"sqld_{re.escape(model.digest[:16])}(_[a-z0-9]+)*", name) is not None

    def may_drop(self, model, name: str) -> bool:
        """Whether an older import of `model` listed in the registry as `name` may be dropped: a name
        sqldiffusion makes for that model (and, where the database has owners, one this role owns)."""
        return self.made_namespace(model, name)

    def registered_namespace(self, model) -> str | None:
        """The namespace the registry lists for `model` (in whatever layout it was imported)."""
        if not self.registry_exists():
            return None
        rows = self.query(f"SELECT schema_name FROM {self.registry} WHERE digest = {self.placeholder}",
                          [model.digest])
        return rows[0][0] if rows else None

    def imported_namespace(self, model) -> str | None:
        """The namespace holding `model` in this backend's current layout, if imported."""
        namespace = self.registered_namespace(model)
        return namespace if namespace == self.namespace_of(model) and self.namespace_exists(namespace) else None

    def import_model(self, model, layers: list[Layer], on_layer: Callable[[int, int], None] | None = None) -> str:
        """Store `layers` of `model` in a namespace of its own and note it there; a no-op if it is
        there already. Returns the namespace.

        One template for every engine: the weights are read and checked before the database is
        touched; `importing` brackets the making of the tables (a durable engine: one transaction,
        the registry, an import in an older layout replaced, all rolled back on any failure or
        interruption; a per-session engine: the tables it made dropped); `store_layers` makes them.
        `found_import` lets an engine take an import it holds elsewhere (Spark's warehouse), and
        `shared_import` one another user made and shared. An import already there is checked
        against the graph (`check_stored`) before it is used."""
        namespace = self.namespace_of(model)
        if self.imported_namespace(model) == namespace:
            self.check_stored(model, namespace, layers)
            return namespace
        if self.found_import(model, namespace, layers):
            return namespace
        shared = self.shared_import(model, layers)
        if shared is not None:
            return shared
        tensors = model.tensors({name: shape for layer in layers for name, shape in layer.tensors.items()})
        with self.importing(model, namespace, layers) as needed:
            if needed:
                self.store_layers(namespace, layers, tensors, on_layer)
        if not needed:  # another process imported it while this one waited: checked as any other
            self.check_stored(model, namespace, layers)
        return namespace

    def found_import(self, model, namespace: str, layers: list[Layer]) -> bool:
        """Whether the engine holds this import somewhere it can take it from without the weights
        (and has taken it): none do but Spark's warehouse."""
        return False

    def shared_import(self, model, layers: list[Layer]) -> str | None:
        """The namespace of an import of `model` that another user of the database made and may
        share with this one, if there is one it can trust: none but PostgreSQL's roles."""
        return None

    def check_stored(self, model, namespace: str, layers: list[Layer]) -> None:
        """Every parameter table of an import, against what the graph needs: one line naming the
        first damaged table and how to import the model again."""
        damaged = self.storage.check_import(namespace, layers)
        if damaged is not None:
            table, problem = damaged
            raise SQLDiffusionError(f"the stored weights of {model.name} are damaged: table {table} {problem}; "
                                    f"{self.how_to_reimport(namespace)}")

    def how_to_reimport(self, namespace: str) -> str:
        """What a user does about a damaged import in `namespace` (for the line `check_stored` says)."""
        return (f"drop schema {self.dialect.quote(namespace)} and its row in {self.registry}, or use another "
                "database, and run again to import the model anew")

    @contextmanager
    def importing(self, model, namespace: str, layers: list[Layer]):
        """Around the making of an import's tables in a durable database: one transaction, the
        import lock, the registry. Yields whether the tables are still to be made (not if another
        process imported the model while this one waited for the lock).

        A registry row is trusted only as far as it names a namespace sqldiffusion makes for its
        model (`may_drop`): a row planted to name any other schema is removed, its schema kept."""
        q, ph = self.dialect.quote, self.placeholder
        with self.transaction():
            self.lock_imports()
            self.make_registry()
            old = self.registered_namespace(model)
            if old == namespace and self.namespace_exists(namespace):  # imported while we waited
                yield False
                return
            if old is not None:  # imported in an older layout (or its schema gone): replaced
                if old != namespace and self.may_drop(model, old):
                    self.execute_sql(f"DROP SCHEMA IF EXISTS {q(old)} CASCADE")
                self.execute_sql(f"DELETE FROM {self.registry} WHERE digest = {ph}", [model.digest])
            if self.namespace_exists(namespace):
                raise SQLDiffusionError(f"schema {namespace} already exists in this database but is not a "
                                        "sqldiffusion model; drop it or use another database")
            self.execute_sql(f"CREATE SCHEMA {q(namespace)}")
            yield True
            self.execute_sql(f"INSERT INTO {self.registry} (digest, schema_name, model, config) "
                             f"VALUES ({ph}, {ph}, {ph}, {ph})",
                             [model.digest, namespace, model.name, json.dumps(model.config.raw)])

    def make_registry(self) -> None:
        """Inside the import transaction: the registry table, made if missing."""
        self.execute_sql(f"CREATE TABLE IF NOT EXISTS {self.registry} (digest TEXT PRIMARY KEY, "
                         "schema_name TEXT NOT NULL, model TEXT, config TEXT, "
                         "imported_at TIMESTAMP WITH TIME ZONE DEFAULT current_timestamp)")

    def gallery_table(self, columns: str) -> str:
        """The table the page keeps finished pictures in, with the column definitions `columns`,
        made if missing; where the engine keeps no tables beyond a run, a temporary one."""
        temp = "" if self.durable else "TEMP "
        self.execute_sql(f"CREATE {temp}TABLE IF NOT EXISTS sqldiffusion_gallery ({columns})")
        return "sqldiffusion_gallery"

    def store_layers(self, namespace: str, layers: list[Layer], tensors: dict[str, np.ndarray],
                     on_layer: Callable[[int, int], None] | None = None) -> None:
        """Make every layer's table, one after another (`on_layer(done, total)` after each)."""
        for i, layer in enumerate(layers):
            self.store_layer(namespace, layer, tensors)
            if on_layer:
                on_layer(i + 1, len(layers))

    def run(self, program: Program, sample: np.ndarray, timesteps: np.ndarray,
            on_statement: Callable[[Statement, float, float], None] | None = None,
            class_labels: Sequence[float] | None = None) -> np.ndarray:
        """Execute `program` on `sample` (B, C, H, W) at `timesteps` (B,) (and `class_labels` (B,)
        for a class-conditional model); return the output (B, C', H, W)."""
        try:
            self.put_image(SAMPLE, sample)
            output = self.execute(program, timesteps, on_statement, class_labels=class_labels)
            return self.fetch_image(output, (sample.shape[0], *program.output_shape))
        finally:
            self.drop(SAMPLE, TIMESTEPS, CLASS_LABELS, *(s.target for s in program.statements))

    def execute(self, program: Program, timesteps, on_statement=None,
                on_start: Callable[[Statement], None] | None = None,
                class_labels: Sequence[float] | None = None) -> str:
        """Run a program on the image already in SAMPLE; return the relation holding its output.

        Every relation but the output is dropped as soon as nothing reads it any more.
        `on_start(statement)` is called before each statement, `on_statement(statement, wall, cpu)`
        after it (either may raise to stop the pass). A class-conditional program reads
        `class_labels` (checked numbers, one per item, or embeddings (B, T): `sql_unet.checked_labels`).
        """
        if program.class_conditional:
            if class_labels is None:
                raise SQLDiffusionError("this model is class-conditional: give a class label (--class-label)")
            if np.ndim(class_labels) == 2:  # embeddings (B, T), as one-pixel images
                self.put_image(CLASS_LABELS, np.asarray(class_labels, dtype=np.float32)[:, :, None, None])
            else:
                self.create(CLASS_LABELS, self.dialect.timesteps(class_labels))
        self.refill(TIMESTEPS, self.dialect.timesteps(timesteps))
        return self.run_statements(program, on_statement, on_start)

    def run_statements(self, program: Program, on_statement=None,
                       on_start: Callable[[Statement], None] | None = None) -> str:
        """Run a program's statements on its inputs, already in place; return the relation holding
        its output. Every other relation it makes is dropped as soon as nothing reads it.
        `on_start(statement)` is called before each statement, `on_statement(statement, wall, cpu)`
        after it."""
        for statement in program.statements:
            if on_start:
                on_start(statement)
            wall, cpu = time.perf_counter(), cpu_seconds()
            self.refill(statement.target, statement.sql)
            self.drop(*statement.drops)
            if on_statement:
                on_statement(statement, time.perf_counter() - wall, cpu_seconds() - cpu)
        return program.output


class SessionWeights:
    """For engines whose weights last only as long as the engine (Hyper's temporary tables, a Spark
    session's views): no registry, and a model is imported once per engine, into `_imported`."""

    _imported: set[str]

    def registry_exists(self) -> bool:
        return False

    def namespace_exists(self, namespace: str) -> bool:
        return namespace in self._imported

    def imported_namespace(self, model) -> str | None:
        namespace = self.namespace_of(model)
        return namespace if namespace in self._imported else None

    @contextmanager
    def importing(self, model, namespace: str, layers: list[Layer]):
        """The tables made for the session: dropped if the import fails or is interrupted."""
        try:
            yield True
        except BaseException:
            self.drop(*(self.dialect.table(namespace, layer.name) for layer in layers))
            raise
        self._imported.add(namespace)
