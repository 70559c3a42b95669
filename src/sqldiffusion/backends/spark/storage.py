"""How Spark holds tensors: the DuckDB layout, as Spark DataFrames.

Activations: one row per pixel, `(b INT, y INT, x INT, v ARRAY<FLOAT>)` (vectors: `(b, v)`).
Parameters: one row per layer, `m ARRAY<ARRAY<FLOAT>>`, the layer's matrix (`backends/parameters.py`)
as a list of rows. Every relation is a temporary view of the session whose lineage was cut
(`SparkEngine.keep`: held in the driver on a local master, Parquet files on a cluster), so that
each statement plans only itself.
"""

from __future__ import annotations

import numpy as np

from ...graph.ops import Layer
from ..parameters import layer_matrix

IMAGE_SCHEMA = "b INT, y INT, x INT, v ARRAY<FLOAT>"


def store_layer(engine, table: str, layer: Layer, tensors: dict[str, np.ndarray], path: str | None = None) -> None:
    """The layer's view; its Parquet file at `path` (a warehouse) if given."""
    matrix = layer_matrix(layer, tensors)
    frame = engine.spark.createDataFrame([(matrix.tolist(),)], "m ARRAY<ARRAY<FLOAT>>")
    engine.keep(table, frame, path)


def put_image(engine, name: str, image: np.ndarray) -> None:
    b, c, h, w = image.shape
    pixels = np.ascontiguousarray(image.transpose(0, 2, 3, 1), dtype=np.float32)
    rows = [(i, y, x, pixels[i, y, x].tolist()) for i in range(b) for y in range(h) for x in range(w)]
    engine.keep(name, engine.spark.createDataFrame(rows, IMAGE_SCHEMA))


def fetch_image(engine, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
    b, c, h, w = shape
    out = np.zeros((b, h, w, c), dtype=np.float32)
    for row in engine.spark.sql(f"SELECT b, y, x, v FROM {name}").collect():
        out[row[0], row[1], row[2]] = row[3]
    return out.transpose(0, 3, 1, 2).copy()


def fetch_vectors(engine, name: str) -> np.ndarray:
    rows = engine.spark.sql(f"SELECT v FROM {name} ORDER BY b").collect()
    return np.asarray([r[0] for r in rows], dtype=np.float32)
