"""The PostgreSQL backend: pure SQL on a server of yours or a throwaway one. Dialect, storage,
engine and the throwaway server; see docs/backends.md."""

__all__ = ["Dialect", "Engine"]


def __getattr__(name: str):
    """`Dialect` and `Engine`, imported when first asked for (the engine needs the driver; the
    dialect alone writes SQL without one)."""
    if name == "Dialect":
        from .dialect import PostgresDialect

        return PostgresDialect
    if name == "Engine":
        from .engine import PostgresEngine

        return PostgresEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
