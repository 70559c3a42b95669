"""Backends: one folder per engine (dialect, storage, engine) behind the contract in `contract.py`.

BACKENDS is the one registry every part reads: `get_engine`, the command line's `--engine`
choices and the tests' engine fixtures. Adding an engine is one folder and one line here
(docs/backends.md).
"""

from __future__ import annotations

import importlib

from ..errors import SQLDiffusionError

# name -> the package holding its `Engine` and `Dialect`; imported only when asked for, so that a
# backend's driver is needed only by those who use it
BACKENDS = {
    "duckdb": "sqldiffusion.backends.duckdb",
    "postgres": "sqldiffusion.backends.postgres",
}
ALIASES = {"postgresql": "postgres"}


def backend(name: str):
    """The package of backend `name`."""
    name = ALIASES.get(name, name)
    if name not in BACKENDS:
        raise SQLDiffusionError(f"unknown engine {name!r} (available: {', '.join(BACKENDS)})")
    return importlib.import_module(BACKENDS[name])


def get_engine(name: str, database: str | None = None):
    """An engine connected to `database`: for DuckDB a file (None: in memory), for PostgreSQL a
    DSN (None: a throwaway server)."""
    return backend(name).Engine(database)


def get_dialect(name: str, **options):
    """The dialect of backend `name` on its own, e.g. to print or write SQL without a database."""
    return backend(name).Dialect(**options)
