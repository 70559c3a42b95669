"""How Spark holds tensors: the DuckDB layout, as Spark DataFrames.

Activations: one row per pixel, `(b INT, y INT, x INT, v ARRAY<FLOAT>)` (vectors: `(b, v)`).
Parameters: one row per layer, `m ARRAY<ARRAY<FLOAT>>`, the layer's matrix (`backends/parameters.py`)
as a list of rows; an embedding table read by `lookup` (packing "rows"): one row per entry,
`(o INT, v ARRAY<FLOAT>)`, joined on `o`. Every relation is a temporary view of the session whose lineage was cut
(`SparkEngine.keep`: held in the driver on a local master, Parquet files on a cluster), so that
each statement plans only itself.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ...graph.ops import Layer
from ..parameters import layer_matrix
from ..storage import Storage

IMAGE_SCHEMA = "b INT, y INT, x INT, v ARRAY<FLOAT>"
MATRIX_SCHEMA = "m ARRAY<ARRAY<FLOAT>>"
# Up to this many floats a matrix is built in the JVM (a small model's import 8.3 -> 3.6 s); larger
# ones go through Python rows, which measured faster for them (the butterfly's import 55 s that way,
# 83 s all built in the JVM: a call per matrix row and a boxed float per element there)
LOCAL_MATRIX_MAX = 1 << 18


def store_layer(engine, table: str, layer: Layer, tensors: dict[str, np.ndarray], path: str | None = None) -> None:
    """The layer's view; its Parquet file at `path` (a warehouse) if given."""
    matrix = layer_matrix(layer, tensors)
    frame = None
    if matrix.size <= LOCAL_MATRIX_MAX:
        # Spark Connect and other internals have no JVM to build in: Python rows work everywhere
        with contextlib.suppress(Exception):
            frame = _local_matrix(engine.spark, matrix)
    if frame is None:
        frame = engine.spark.createDataFrame([(matrix.tolist(),)], MATRIX_SCHEMA)
    if layer.packing == "rows":
        frame = frame.selectExpr("posexplode(m) AS (o, v)")
    engine.materialise(table, frame, path)


def _local_matrix(spark, matrix: np.ndarray):
    """A float32 matrix as a one-row local relation made in the JVM from its bytes: no Spark job
    and no Python rows (which cost a job and a pickled float per element: a small model's import
    took 8 s that way)."""
    from pyspark.sql import DataFrame

    jvm, gateway = spark._jvm, spark.sparkContext._gateway
    rows, cols = matrix.shape
    floats = jvm.java.nio.ByteBuffer.wrap(bytearray(np.ascontiguousarray(matrix, dtype="<f4").tobytes())) \
        .order(jvm.java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    flat = gateway.new_array(jvm.float, rows * cols)
    floats.get(flat)
    matrix_rows = gateway.new_array(jvm.java.lang.Object, rows)
    for r in range(rows):
        matrix_rows[r] = jvm.java.util.Arrays.copyOfRange(flat, r * cols, (r + 1) * cols)
    values = gateway.new_array(jvm.java.lang.Object, 1)
    values[0] = matrix_rows
    frame_rows = jvm.java.util.ArrayList()
    frame_rows.add(jvm.org.apache.spark.sql.RowFactory.create(values))
    schema = jvm.org.apache.spark.sql.types.StructType.fromDDL(MATRIX_SCHEMA)
    return DataFrame(spark._jsparkSession.createDataFrame(frame_rows, schema), spark)


def put_image(engine, name: str, image: np.ndarray) -> None:
    b, c, h, w = image.shape
    pixels = np.ascontiguousarray(image.transpose(0, 2, 3, 1), dtype=np.float32)
    rows = [(i, y, x, pixels[i, y, x].tolist()) for i in range(b) for y in range(h) for x in range(w)]
    engine.materialise(name, engine.spark.createDataFrame(rows, IMAGE_SCHEMA))


def fetch_image(engine, name: str, shape: tuple[int, int, int, int]) -> np.ndarray:
    b, c, h, w = shape
    out = np.zeros((b, h, w, c), dtype=np.float32)
    for row in engine.spark.sql(f"SELECT b, y, x, v FROM {name}").collect():
        out[row[0], row[1], row[2]] = row[3]
    return out.transpose(0, 3, 1, 2).copy()


def fetch_vectors(engine, name: str) -> np.ndarray:
    rows = engine.spark.sql(f"SELECT v FROM {name} ORDER BY b").collect()
    return np.asarray([r[0] for r in rows], dtype=np.float32)


class SparkStorage(Storage):
    """The layout above, over the engine's Spark session and its views."""

    def store_layer(self, table, layer, tensors, path: str | None = None) -> None:
        store_layer(self.engine, table, layer, tensors, path)

    def put_image(self, name, image) -> None:
        put_image(self.engine, name, image)

    def fetch_image(self, name, shape) -> np.ndarray:
        return fetch_image(self.engine, name, shape)

    def fetch_vectors(self, name) -> np.ndarray:
        return fetch_vectors(self.engine, name)
