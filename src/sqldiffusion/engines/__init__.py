"""Engines: connect, import weights, execute a program, fetch the result. Nothing else."""

from __future__ import annotations

from ..errors import SQLDiffusionError

ENGINES = ("duckdb", "postgres")


def get_engine(name: str, database: str | None = None):
    """`database`: a DuckDB file (None: in memory), or a PostgreSQL DSN (None: a throwaway server)."""
    if name == "duckdb":
        from .duckdb import DuckDBEngine

        return DuckDBEngine(database)
    if name in ("postgres", "postgresql"):
        from .postgres import PostgresEngine

        return PostgresEngine(database)
    raise SQLDiffusionError(f"unknown engine {name!r} (available: {', '.join(ENGINES)})")
