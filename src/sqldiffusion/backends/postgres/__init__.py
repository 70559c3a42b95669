"""The PostgreSQL backend: pure SQL on a server of yours or a throwaway one. Dialect, storage,
engine and the throwaway server; see docs/backends.md."""
