"""The DuckDB backend: embedded, the default. Dialect, storage and engine; see docs/backends.md."""
