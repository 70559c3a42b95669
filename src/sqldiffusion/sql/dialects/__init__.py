"""SQL dialects: each renders every primitive for one engine."""

from .duckdb import DuckDBDialect

__all__ = ["DuckDBDialect"]
