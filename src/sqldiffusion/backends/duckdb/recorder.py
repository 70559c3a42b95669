"""The DuckDB engine with its connection taken out, for a page to replay in DuckDB-WASM (the
exporter that records runs against it: `exporters/web/`).

The pipeline runs against `Recorder` as it runs against the real engine (the same dialect, import,
program and loop), and every statement the engine would execute is kept instead. A UNet pass is
kept as one step, "run the program at these timesteps", since the page runs the program's
statements one by one to light up its diagram; a fetch of x_t or x0 is kept as a fetch (`as`: the
relation read), where the page reads the picture back to draw it. A layer's table is kept as its
values and the statement that makes the table from them, for the page to create it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SQLDiffusionError
from ..recording import RecordingEngine
from .dialect import DuckDBDialect
from .engine import DuckDBEngine, create_sql
from .storage import fetch_image_sql, half_values_sql, layer_upload


@dataclass
class Upload:
    """A parameter table: its name, its values (flat float32), and the statement that creates it from
    a relation {values} of rows (i BIGINT, a FLOAT)."""

    table: str
    values: np.ndarray
    sql: str


class Recorder(RecordingEngine, DuckDBEngine):
    """The DuckDB engine's statements, kept in `ops` instead of executed (one thread: the page has one)."""

    name = "duckdb-wasm"
    recording = "a recorded run"
    # the {values} relation of a table whose values the page ships as IEEE fp16 bits (storage.py)
    half_values_sql = staticmethod(half_values_sql)

    def __init__(self) -> None:  # no connection
        self.dialect = DuckDBDialect(parts=1)
        self.ops: list[dict] = []
        self.uploads: dict[str, Upload] = {}

    def record(self, sql: str) -> None:
        self.ops.append({"sql": sql})

    def store_layer(self, namespace, layer, tensors) -> None:
        """The layer's values and table statement, kept for the page."""
        table = self.dialect.table(namespace, layer.name)
        self.uploads[table] = Upload(table, *layer_upload(table, layer, tensors))

    def execute(self, program, timesteps, on_statement=None, on_start=None, class_labels=None) -> str:
        if program.class_conditional:
            raise SQLDiffusionError("the page does not take class labels: export a model that is not class-conditional")
        self.ops.append({"pass": create_sql("sqld_timesteps", self.dialect.timesteps(timesteps))})
        return program.output

    def fetch_image(self, name: str, shape) -> np.ndarray:
        self.ops.append({"fetch": fetch_image_sql(name), "as": name})  # the exporter names it for the page
        return np.zeros(shape, dtype=np.float32)
