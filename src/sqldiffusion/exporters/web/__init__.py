"""`sqldiffusion export-web`: a static page where DuckDB-WASM runs the network's SQL in a browser."""
