"""Engines: connect, import weights, execute a program, fetch the result. Nothing else."""

from __future__ import annotations

from ..errors import SQLDiffusionError

ENGINES = ("duckdb",)


def get_engine(name: str, database: str | None = None):
    if name == "duckdb":
        from .duckdb import DuckDBEngine

        return DuckDBEngine(database)
    raise SQLDiffusionError(f"unknown engine {name!r} (available: {', '.join(ENGINES)})")
