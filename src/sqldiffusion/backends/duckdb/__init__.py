"""The DuckDB backend: embedded, the default. Dialect, storage and engine; see docs/backends.md."""

__all__ = ["Dialect", "Engine"]


def __getattr__(name: str):
    """`Dialect` and `Engine`, imported when first asked for (the engine needs the driver; the
    dialect alone writes SQL without one)."""
    if name == "Dialect":
        from .dialect import DuckDBDialect

        return DuckDBDialect
    if name == "Engine":
        from .engine import DuckDBEngine

        return DuckDBEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
