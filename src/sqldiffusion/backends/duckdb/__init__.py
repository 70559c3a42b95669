"""The DuckDB backend: embedded, the default. Dialect, storage and engine; see docs/backends.md."""

from ..options import Option

OPTIONS = (Option("--db", "DuckDB database file [default: in memory].", takes="file", metavar="FILE"),)
TASKS = "embedded"  # generate-many: each task runs in a DuckDB of its own, in memory
TESTS = "fast"  # in the process, in memory: its cases are in the tests' fast subset (backends/options.py)


def target(db: str | None = None) -> str | None:
    return db
