"""A run of the DuckDB engine recorded, statement by statement, for a page to replay in DuckDB-WASM.

`Recorder` is the DuckDB engine with its connection taken out: the pipeline runs against it as it
runs against the real one (the same dialect, import, program and loop), and every statement the
engine would execute is kept instead. A UNet pass is kept as one step, "run the program at these
timesteps", since the page runs the program's statements one by one to light up its diagram; a
fetch of x_t or x0 is kept as a fetch, where the page reads the picture back to draw it.

The seed is the one thing a page changes: a run is recorded at two sentinel seeds and the two
records must differ only where the sentinel is written, which is where the page writes its seed.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np

from ...backends.duckdb.dialect import DuckDBDialect
from ...backends.duckdb.engine import DuckDBEngine, create_sql
from ...backends.duckdb.storage import fetch_image_sql, layer_upload
from ...errors import SQLDiffusionError
from ...events import StepFinished
from ...pipeline import SQLDiffusionPipeline, replanned
from ...program import SAMPLE
from ...schedulers.base import PREDICTION

SEED = "{seed}"  # where a recorded statement takes the page's seed
# seeds the pipeline keeps as they are (it takes them modulo 2**62), whose digits appear nowhere else
SENTINELS = (3_141_592_653_589_793_238, 2_718_281_828_459_045_235)


@dataclass
class Upload:
    """A parameter table: its name, its values (flat float32), and the statement that creates it from
    a relation {values} of rows (i BIGINT, a FLOAT)."""

    table: str
    values: np.ndarray
    sql: str


class Recorder(DuckDBEngine):
    """The DuckDB engine's statements, kept in `ops` instead of executed (one thread: the page has one)."""

    name = "duckdb-wasm"
    database = None
    read_only = False

    def __init__(self) -> None:  # no connection
        self.dialect = DuckDBDialect(parts=1)
        self.ops: list[dict] = []
        self.uploads: dict[str, Upload] = {}

    def close(self) -> None:
        pass

    def interrupt(self) -> None:
        pass

    def execute_sql(self, sql, params=()) -> None:
        if params:
            raise SQLDiffusionError("a recorded run binds no parameters")
        self.ops.append({"sql": sql})

    def query(self, sql, params=()) -> list[tuple]:
        raise SQLDiffusionError("a recorded run cannot hand rows back")

    def transaction(self):
        return nullcontext()

    def registry_exists(self) -> bool:
        return False

    def namespace_exists(self, namespace: str) -> bool:
        return False

    @contextmanager
    def importing(self, model, namespace, layers):
        yield True  # no registry and no transaction: the page creates the tables itself

    def store_layer(self, namespace, layer, tensors) -> None:
        """The layer's values and table statement, kept for the page."""
        table = self.dialect.table(namespace, layer.name)
        self.uploads[table] = Upload(table, *layer_upload(table, layer, tensors))

    def create(self, name: str, select: str) -> None:
        self.execute_sql(create_sql(name, select))

    def execute(self, program, timesteps, on_statement=None, on_start=None, class_labels=None) -> str:
        if program.class_conditional:
            raise SQLDiffusionError("the page does not take class labels: export a model that is not class-conditional")
        self.ops.append({"pass": create_sql("sqld_timesteps", self.dialect.timesteps(timesteps))})
        return program.output

    def put_image(self, name, image) -> None:
        raise SQLDiffusionError("a recorded run makes its own noise; it cannot start from a given tensor")

    def fetch_image(self, name: str, shape) -> np.ndarray:
        self.ops.append({"fetch": fetch_image_sql(name), "as": {SAMPLE: "sample", PREDICTION: "prediction"}.get(name, name)})
        return np.zeros(shape, dtype=np.float32)

    def fetch_vectors(self, name):
        raise SQLDiffusionError("a recorded run cannot hand vectors back")


def record_run(net, scheduler, recipe, batch: int) -> list[dict]:
    """The ops of one run of `recipe` (sampler, plan) making `batch` images, with the seed as SEED.

    `net` is an SQLUNet on a Recorder. Each op is one of {"sql"}, {"pass"} (the timesteps, then the
    UNet program), {"fetch", "as"} (a picture read back: "sample" or "prediction"), {"step", "total",
    "timestep"} (a step finished: the two pictures fetched just before it are its x_t and x0)."""
    records = [[_with_seed(op, seed) for op in _record(net, scheduler, recipe, batch, seed)] for seed in SENTINELS]
    if records[0] != records[1] or not any(SEED in _text(op) for op in records[0]):
        raise SQLDiffusionError("this run's statements depend on the seed other than through the noise's seed; "
                                "it cannot be exported for a page")
    return records[0]


def _record(net, scheduler, recipe, batch: int, seed: int) -> list[dict]:
    engine = net.engine
    engine.ops = []

    def on_event(event) -> None:
        if isinstance(event, StepFinished):
            engine.ops.append({"step": event.step.index, "total": event.step.total, "timestep": event.step.timestep})

    pipe = SQLDiffusionPipeline(net, scheduler)
    pipe.set_progress_bar_config(disable=True)
    pipe(batch_size=batch, **replanned(recipe.timesteps, recipe.karras), seed=seed, sampler=recipe.sampler,
         eta=0.0, add_noise=recipe.add_noise, output_type="latent", on_event=on_event)
    return engine.ops


def _text(op: dict) -> str:
    return op.get("sql") or op.get("pass") or op.get("fetch") or ""


def _with_seed(op: dict, seed: int) -> dict:
    return {k: v.replace(str(seed), SEED) if isinstance(v, str) else v for k, v in op.items()}
