"""The DuckDB backend: embedded, the default. Dialect, storage and engine; see docs/backends.md."""

from .dialect import DuckDBDialect as Dialect
from .engine import DuckDBEngine as Engine

__all__ = ["Dialect", "Engine"]
