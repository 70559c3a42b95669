"""Exporters: a run written out to run elsewhere, with no Python there. `psql.py` writes a
standalone PostgreSQL script (`sqldiffusion export-sql`); `web/` a static page where DuckDB-WASM
runs the network's SQL in a browser (`sqldiffusion export-web`). Each records the statements an
engine would execute (`backends/recording.py`), so they are the very ones a native run executes."""
