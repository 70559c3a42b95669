"""Backends: one folder per engine (dialect, storage, engine) behind the contract, whose bases are
`dialect.py` (Dialect), `engine.py` (Engine), `storage.py` (Storage) and `noise.py`.

BACKENDS is the one registry every part reads: `get_engine`, the command line's `--engine`
and engine options (each backend's package declares its own: `backends/options.py`) and the
tests' engine fixtures. Adding an engine is one folder and one line here
(docs/backends.md).
"""

from __future__ import annotations

import importlib

from ..errors import SQLDiffusionError

# name -> its folder's package, and the classes its dialect.py and engine.py define; imported only
# when asked for, so that a backend's driver is needed only by those who use it
BACKENDS = {
    "duckdb": ("sqldiffusion.backends.duckdb", "DuckDBDialect", "DuckDBEngine"),
    "postgres": ("sqldiffusion.backends.postgres", "PostgresDialect", "PostgresEngine"),
    "hyper": ("sqldiffusion.backends.hyper", "HyperDialect", "HyperEngine"),
    "spark": ("sqldiffusion.backends.spark", "SparkDialect", "SparkEngine"),
}
ALIASES = {"postgresql": "postgres"}


def _entry(name: str) -> tuple[str, str, str]:
    name = ALIASES.get(name, name)
    if name not in BACKENDS:
        raise SQLDiffusionError(f"unknown engine {name!r} (available: {', '.join(BACKENDS)})")
    return BACKENDS[name]


DEFAULT = next(iter(BACKENDS))  # the engine when none is named (and no option selects one)


def backend_package(name: str):
    """A backend's package: its OPTIONS and target() (backends/options.py), no driver loaded."""
    return importlib.import_module(_entry(name)[0])


def dialect_class(name: str):
    package, dialect, _ = _entry(name)
    return getattr(importlib.import_module(f"{package}.dialect"), dialect)


def engine_class(name: str):
    package, _, engine = _entry(name)
    return getattr(importlib.import_module(f"{package}.engine"), engine)


def get_engine(name: str, database: str | None = None):
    """An engine connected to `database`: for DuckDB a file (None: in memory), for PostgreSQL a
    DSN (None: a throwaway server)."""
    return engine_class(name)(database)


def get_dialect(name: str, **options):
    """The dialect of backend `name` on its own, e.g. to print or write SQL without a database."""
    return dialect_class(name)(**options)


# ---- the recording engines the exporters run the pipeline against (backends/recording.py) --------
def script_writer(out):
    """PostgreSQL's statements written to `out` as a psql script instead of executed
    (`postgres/script.py`)."""
    from .postgres.script import ScriptWriter

    return ScriptWriter(out)


def page_recorder():
    """DuckDB's statements at one thread, kept for a page to replay in DuckDB-WASM instead of
    executed (`duckdb/recorder.py`)."""
    from .duckdb.recorder import Recorder

    return Recorder()
