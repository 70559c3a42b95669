"""The PostgreSQL backend: pure SQL on a server of yours or a throwaway one. Dialect, storage,
engine and the throwaway server; see docs/backends.md."""

from ..options import Option

OPTIONS = (Option("--dsn", "PostgreSQL server, postgresql://user@host:port/db [default: a throwaway server "
                           "for this run].", metavar="URL", selects=True),)
TASKS = "server"  # generate-many: every task connects to the server --dsn names


def target(dsn: str | None = None) -> str | None:
    return dsn
